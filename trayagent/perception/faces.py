"""Face finding (the paper's step 1): Viola-Jones Haar first, as published; YuNet, a small CNN,
looks only when Haar finds nothing, at a bounded rate. Both detectors ship as package data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from trayagent import os_errors, paths
from trayagent.core.errors import TrayagentError
from trayagent.i18n import N_, _
from trayagent.perception.cv import cv2


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int
    # The eyes' centres in the frame, (x, y) of the one on the image's left then right, when the
    # detector gives landmarks (YuNet does, Haar does not); crop() turns the face to put them level.
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def area(self) -> int:
        return self.w * self.h

    @property
    def roll(self) -> float:
        """Degrees the line between the eyes slopes down to the right (0 without landmarks)."""
        if self.eyes is None:
            return 0.0
        (ax, ay), (bx, by) = self.eyes
        return math.degrees(math.atan2(by - ay, bx - ax))


def _read(path: Path, cannot_read: str) -> bytes:
    """Model files are read by Python and handed to OpenCV as bytes: OpenCV's own file opening
    fails on non-ASCII paths on Windows (a Korean user name puts Hangul in every per-user path).
    `cannot_read` is the message (with {path} and {reason}) for a file that cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TrayagentError(_(cannot_read).format(path=path, reason=os_errors.reason(e))) from None


def load_cascade(path: Path) -> cv2.CascadeClassifier:
    text = _read(path, N_("{path}: cannot read the face-detection cascade ({reason})")).decode("utf-8", "replace")
    cascade = cv2.CascadeClassifier()
    try:
        storage = cv2.FileStorage(text, cv2.FILE_STORAGE_READ | cv2.FILE_STORAGE_MEMORY)
        ok = cascade.read(storage.getFirstTopLevelNode())
    except cv2.error:
        ok = False
    if not ok or cascade.empty():
        raise TrayagentError(_("{path}: cannot load the face-detection cascade").format(path=path))
    return cascade


class YuNet:
    """YuNet (Wu, Peng and Yu 2023; Apache-2.0): a 75k-parameter CNN that also finds faces turned,
    tilted, dark or backlit, with five landmarks. It costs about twice a full Haar search, so it is
    the fallback, never the first step.

    Frames are searched `work_width` pixels wide, as Haar's are; `around` a face it found in the
    last frame, only that face's neighbourhood is searched, scaled so the face is TRACK_HEIGHT
    pixels tall (about a sixth of a full search's cost). Its box is mapped to the framing of a Haar
    box (and so of FER2013's crops, see BOX_TO_HAAR), and its eyes give the face's roll.
    """

    TRACK_HEIGHT = 48  # pixels the last face is scaled to for the local search

    # The crop must frame a face as the model's training faces were framed, that is as a Haar box
    # does. Measured on 209 FER2013 publictest faces in 640x480 scenes found by both (medians,
    # `python -m models.facebench --fit-box`): Haar centre = YuNet centre + (dx, dy) * YuNet
    # height, Haar side = k * YuNet height.
    BOX_TO_HAAR = (-0.006, -0.03, 0.949)
    # Confidence to accept a face. OpenCV's sample uses 0.9, which loses tilted, dark and backlit
    # faces; at 0.5 YuNet alone finds 84% of 15-degree tilted faces against 79% at 0.7, and raised no
    # false alarm on 600 face-free scenes (models/facebench.py, "none").
    SCORE = 0.5

    def __init__(self, model: Path | None = None, work_width: int = 320, min_face: float = 0.12) -> None:
        path = model or paths.yunet_file()
        data = np.frombuffer(_read(path, N_("{path}: cannot read the YuNet face detector ({reason})")), np.uint8)
        try:
            self._net = cv2.FaceDetectorYN.create("onnx", data, np.zeros(0, np.uint8), (work_width, work_width),
                                                  self.SCORE, 0.3, 20)
        except cv2.error:
            raise TrayagentError(_("{path}: cannot load the YuNet face detector").format(path=path)) from None
        self.work_width = work_width
        self.min_face = min_face
        self._size: tuple[int, int] | None = None

    def find(self, frame: np.ndarray, around: Box | None = None) -> Box | None:
        """The largest face in a BGR (or grey) frame, or only near `around`, or None."""
        h, w = frame.shape[:2]
        if around is None:
            x0 = y0 = 0
            scale = min(1.0, self.work_width / w)
            small = _resize(frame, scale)
            smallest = min(small.shape[:2]) * self.min_face  # as Haar's smallest face
        else:
            x0, y0 = max(0, around.x - around.w // 2), max(0, around.y - around.h // 2)
            x1, y1 = min(w, around.x + around.w * 3 // 2), min(h, around.y + around.h * 3 // 2)
            if x1 - x0 < 16 or y1 - y0 < 16:  # `around` lies (almost) outside this frame
                return None
            scale = min(1.0, self.TRACK_HEIGHT / max(1, around.h))
            small = _resize(frame[y0:y1, x0:x1], scale)
            smallest = around.h * scale * 0.6  # the same face, nearer or farther, not a small one beside it
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        size = (small.shape[1], small.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _found, faces = self._net.detect(small)
        if faces is None:
            return None
        faces = faces[faces[:, 3] * self.BOX_TO_HAAR[2] >= smallest]
        if len(faces) == 0:
            return None
        f = max(faces, key=lambda r: r[2] * r[3]) / scale
        f[[0, 4, 6, 8, 10, 12]] += x0
        f[[1, 5, 7, 9, 11, 13]] += y0
        x, y, bw, bh = f[:4]
        (rx, ry), (lx, ly) = f[4:6], f[6:8]  # the person's right eye is on the image's left
        dx, dy, k = self.BOX_TO_HAAR
        cx, cy, side = x + bw / 2 + dx * bh, y + bh / 2 + dy * bh, k * bh
        return Box(round(cx - side / 2), round(cy - side / 2), round(side), round(side),
                   ((float(rx), float(ry)), (float(lx), float(ly))))


class FaceDetector:
    """Finds the largest face in a frame: Haar first, YuNet when Haar finds nothing.

    Haar searches full frames `work_width` pixels wide: a desk webcam at 640x480 shows a face
    120-300 pixels tall, still 60-150 at half size, and detection cost falls with the square of the
    scale. With `track`, the next frame is first searched only around the last face, at a scale
    where that face is about 40 pixels wide and over sizes from 0.7 to 1.4 times it: about a
    fifth of the cost of a full search while the agent sits still, which is most of a call.

    A Haar box frames a face as FER2013's crops do (measured: median box/crop 0.99, centred), so
    the box is cropped as it is.

    `fallback` (YuNet) searches the whole frame on at most one in `fallback_every` of the frames in
    which Haar found nothing in a row, starting with the first. The budget is stated per analysed
    frame (6 ms CPU), so the limit counts frames, not seconds: whatever frame rate is set, a run of
    misses costs a full Haar search plus a third of a full YuNet search per frame (with 3), and
    `analyze` on a video behaves as the daemon did live. Once YuNet has found the face, a face Haar
    cannot see (a tilted head) is followed with `track` as Haar's is: Haar around the last face,
    then YuNet around it (about 1 ms), and only if both miss the full searches; so a tilted head
    is read in every frame at about the cost of a tracked Haar frame. Still pictures are
    independent, so they use 1 (see `face_detector`).

    With `level`, a face found by YuNet keeps its eye landmarks, and crop() turns the face upright.
    It is off: YuNet's eyes understate a tilt (median 5 degrees read for 15, 9 for 30), and on
    FER2013 publictest faces in scenes levelling changed 4-class accuracy by -1.5 points at 15
    degrees, +1.0 at 30 and -0.7 upright (models/facebench.py --accuracy): no measurable help.
    """

    TRACK_WIDTH = 40  # pixels the last face is scaled to for the local search

    def __init__(self, cascade: Path | None = None, work_width: int = 320, min_face: float = 0.12,
                 track: bool = False, fallback: YuNet | None = None, fallback_every: int = 1,
                 level: bool = False) -> None:
        self._cascade = load_cascade(cascade or paths.cascade_file())
        self.work_width = work_width
        self.min_face = min_face  # smallest face, as a fraction of the frame's shorter side
        self.track = track
        self.fallback = fallback
        self.fallback_every = max(1, fallback_every)
        self.level = level
        self._last: Box | None = None
        self._misses = 0  # frames in a row in which Haar found nothing
        self._last_by_fallback = False
        self._shape: tuple[int, ...] | None = None  # of the frames the last face was found in
        self.fallback_runs = 0

    def reset(self) -> None:
        self._last = None
        self._misses = 0

    def detect(self, gray: np.ndarray, color: np.ndarray | None = None) -> Box | None:
        """The largest face in a grey frame; `color`, the same frame in BGR, helps the fallback."""
        if gray.shape[:2] != self._shape:  # another camera or resolution: the last face means nothing
            self.reset()
            self._shape = gray.shape[:2]
        image = color if color is not None else gray
        last = self._last if self.track else None  # tracking: looking near the last face first
        box = self._near_last(gray, last) if last is not None else None
        by_fallback = False
        if box is None and last is not None and self._last_by_fallback and self.fallback is not None:
            box = self.fallback.find(image, around=last)
            by_fallback = box is not None
        if box is None:
            box = self._full(gray)
        if box is None and self.fallback is not None:
            if self._misses % self.fallback_every == 0:
                self.fallback_runs += 1
                box = self.fallback.find(image)
                by_fallback = box is not None
            self._misses += 1
        elif box is not None and not by_fallback:
            self._misses = 0
        if box is not None and by_fallback and not self.level:
            box = replace(box, eyes=None)
        self._last, self._last_by_fallback = box, by_fallback
        return box

    def _full(self, gray: np.ndarray) -> Box | None:
        h, w = gray.shape[:2]
        scale = min(1.0, self.work_width / w)
        small = _resize(gray, scale)
        side = max(20, int(min(small.shape[:2]) * self.min_face))
        found = self._cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        return _largest(found, scale, 0, 0)

    def _near_last(self, gray: np.ndarray, last: Box) -> Box | None:
        h, w = gray.shape[:2]
        x0, y0 = max(0, last.x - last.w // 2), max(0, last.y - last.h // 2)
        x1, y1 = min(w, last.x + last.w * 3 // 2), min(h, last.y + last.h * 3 // 2)
        if x1 - x0 < 24 or y1 - y0 < 24:  # the last face lies (almost) outside this frame
            return None
        scale = min(1.0, self.TRACK_WIDTH / last.w)
        roi = _resize(gray[y0:y1, x0:x1], scale)
        size = self.TRACK_WIDTH * min(1.0, last.w / self.TRACK_WIDTH)  # a face already small stays as is
        lo, hi = max(24, int(size * 0.7)), int(size * 1.4)
        found = self._cascade.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=5, minSize=(lo, lo),
                                               maxSize=(hi, hi))
        return _largest(found, scale, x0, y0)


# The fallback's rate limit in video; see FaceDetector.
FALLBACK_EVERY = 3


def face_detector(video: bool) -> FaceDetector:
    """The product's one face-finding configuration. The daemon and `analyze` (video) track the
    last face and rate-limit the fallback; still pictures (`evaluate --detect-faces`) are each
    searched whole by both, since nothing carries from one to the next."""
    return FaceDetector(track=video, fallback=YuNet(), fallback_every=FALLBACK_EVERY if video else 1)


def find_face(detector: FaceDetector, frame: np.ndarray) -> tuple[np.ndarray, Box | None]:
    """A BGR (or grey) frame's grey version and its face: the one detection step of the daemon,
    `analyze` and `evaluate --detect-faces`."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return gray, detector.detect(gray, frame if frame.ndim == 3 else None)


def _resize(img: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _largest(found: Sequence[Sequence[int]] | np.ndarray, scale: float, dx: int, dy: int) -> Box | None:
    if len(found) == 0:
        return None
    x, y, bw, bh = max(found, key=lambda r: r[2] * r[3])
    return Box(dx + round(x / scale), dy + round(y / scale), round(bw / scale), round(bh / scale))


def level_matrix(box: Box) -> np.ndarray:
    """The 2x3 affine turning the image about the box's centre so that the face's eyes lie level."""
    return cv2.getRotationMatrix2D((box.x + box.w / 2, box.y + box.h / 2), box.roll, 1.0)


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    """The box's pixels; a rolled face is first turned upright about the box's centre, so the model
    sees the upright faces it was trained on (only the box's pixels are computed)."""
    if abs(box.roll) < 1.0:
        return image[max(0, box.y):box.y + box.h, max(0, box.x):box.x + box.w]
    m = level_matrix(box)
    m[:, 2] -= (box.x, box.y)
    return cv2.warpAffine(image, m, (box.w, box.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
