"""Viola-Jones face detection (the paper's step 1) with the Haar cascade shipped as package data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.perception.cv import cv2
from trayagent.core.errors import TrayagentError


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


class FaceDetector:
    """Finds the largest face in a grey frame.

    Full frames are searched at `work_width` pixels wide: a desk webcam at 640x480 shows a face
    120-300 pixels tall, still 60-150 at half size, and detection cost falls with the square of the
    scale. With `track`, the next frame is first searched only around the last face, at a scale
    where that face is about 40 pixels wide and over sizes from 0.7 to 1.4 times it: about a
    fifth of the cost of a full search while the agent sits still, which is most of a call.

    A Haar box frames a face as FER2013's crops do (measured: median box/crop 0.99, centred), so
    the box is cropped as it is.
    """

    TRACK_WIDTH = 40  # pixels the last face is scaled to for the local search

    def __init__(self, cascade: Path | None = None, work_width: int = 320, min_face: float = 0.12,
                 track: bool = False) -> None:
        path = cascade or paths.cascade_file()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise TrayagentError(f"{path}: cannot load the face-detection cascade")
        self.work_width = work_width
        self.min_face = min_face  # smallest face, as a fraction of the frame's shorter side
        self.track = track
        self._last: Box | None = None

    def reset(self) -> None:
        self._last = None

    def detect(self, gray: np.ndarray) -> Box | None:
        box = self._near_last(gray) if self.track and self._last is not None else None
        if box is None:
            box = self._full(gray)
        self._last = box
        return box

    def _full(self, gray: np.ndarray) -> Box | None:
        h, w = gray.shape[:2]
        scale = min(1.0, self.work_width / w)
        small = _resize(gray, scale)
        side = max(20, int(min(small.shape[:2]) * self.min_face))
        found = self._cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        return _largest(found, scale, 0, 0)

    def _near_last(self, gray: np.ndarray) -> Box | None:
        last = self._last
        h, w = gray.shape[:2]
        x0, y0 = max(0, last.x - last.w // 2), max(0, last.y - last.h // 2)
        x1, y1 = min(w, last.x + last.w * 3 // 2), min(h, last.y + last.h * 3 // 2)
        scale = min(1.0, self.TRACK_WIDTH / last.w)
        roi = _resize(gray[y0:y1, x0:x1], scale)
        size = self.TRACK_WIDTH * min(1.0, last.w / self.TRACK_WIDTH)  # a face already small stays as is
        lo, hi = max(24, int(size * 0.7)), int(size * 1.4)
        found = self._cascade.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=5, minSize=(lo, lo),
                                               maxSize=(hi, hi))
        return _largest(found, scale, x0, y0)


def _resize(img: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _largest(found, scale: float, dx: int, dy: int) -> Box | None:
    if len(found) == 0:
        return None
    x, y, bw, bh = max(found, key=lambda r: r[2] * r[3])
    return Box(dx + round(x / scale), dy + round(y / scale), round(bw / scale), round(bh / scale))


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    return image[max(0, box.y):box.y + box.h, max(0, box.x):box.x + box.w]
