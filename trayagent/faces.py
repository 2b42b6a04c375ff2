"""Viola-Jones face detection (the paper's step 1) with the Haar cascade shipped as package data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.cv import cv2
from trayagent.errors import TrayagentError


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

    Frames are searched at `work_width` pixels wide: a desk webcam at 640x480 shows a face 120-300
    pixels tall, still 60-150 at half size, and detection cost falls with the square of the scale.
    A Haar box frames a face as FER2013's crops do (measured: median box/crop 0.99, centred), so
    the box is cropped as it is.
    """

    def __init__(self, cascade: Path | None = None, work_width: int = 320, min_face: float = 0.12) -> None:
        path = cascade or paths.cascade_file()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise TrayagentError(f"{path}: cannot load the face-detection cascade")
        self.work_width = work_width
        self.min_face = min_face  # smallest face, as a fraction of the frame's shorter side

    def detect(self, gray: np.ndarray) -> Box | None:
        h, w = gray.shape[:2]
        scale = min(1.0, self.work_width / w)
        small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) \
            if scale < 1.0 else gray
        side = max(20, int(min(small.shape[:2]) * self.min_face))
        found = self._cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(found) == 0:
            return None
        x, y, bw, bh = max(found, key=lambda r: r[2] * r[3])
        return Box(round(x / scale), round(y / scale), round(bw / scale), round(bh / scale))


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    return image[max(0, box.y):box.y + box.h, max(0, box.x):box.x + box.w]
