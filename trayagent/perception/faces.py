"""Face finding (the paper's step 1): Viola-Jones Haar first, as published; YuNet, a small CNN,
looks only when Haar finds nothing, at a bounded rate. Both detectors ship as package data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.i18n import N_, _
from trayagent.perception.cv import cv2
from trayagent.perception.face_box import Box, read_model_file, resize
from trayagent.perception.face_look import FaceLook
from trayagent.perception.yunet import YuNet


def load_cascade(path: Path) -> cv2.CascadeClassifier:
    data = read_model_file(path, N_("{path}: cannot read the face-detection cascade ({reason})"))
    text = data.decode("utf-8", "replace")
    cascade = cv2.CascadeClassifier()
    try:
        storage = cv2.FileStorage(text, cv2.FILE_STORAGE_READ | cv2.FILE_STORAGE_MEMORY)
        ok = cascade.read(storage.getFirstTopLevelNode())
    except cv2.error:
        ok = False
    if not ok or cascade.empty():
        raise TrayagentError(_("{path}: cannot load the face-detection cascade").format(path=path))
    return cascade


class FaceDetector:
    """Finds the largest face in a frame: Haar first, YuNet when Haar finds nothing.

    Haar searches full frames `work_width` pixels wide: a desk webcam at 640x480 shows a face
    120-300 pixels tall, still 60-150 at half size, and detection cost falls with the square of the
    scale. With `track`, the next frame is first searched only around the last face, at a scale
    where that face is about 40 pixels wide and over sizes from 0.7 to 1.4 times it: about a
    fifth of the cost of a full search while the agent sits still, which is most of a call. Within
    that, the face's look from the last frame says where it went, and Haar first searches only
    there (LOOK_SEARCH): every box is still Haar's, found in a quarter of the windows.

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
    # Where the face's look went (face_look.py), Haar searches that place and 0.15 of the face's
    # width around it, for faces 0.85-1.2 times as wide in Haar's usual 10% steps, and three
    # overlapping hits do (there are fewer places to overlap): about a third of the cost of the
    # search around the last face, which runs when this misses. Steps of 15% cost less but drift
    # to boxes 6% larger than a full search's. Chosen on publictest faces in a moving scene
    # (models/README.md, "Finding faces in a call").
    LOOK_PAD = 0.15
    LOOK_SEARCH = (0.85, 1.2, 1.1, 3)  # smallest and largest (times the face), scale step, hits

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
        self._look = FaceLook()
        self.fallback_runs = 0

    def reset(self) -> None:
        self._last = None
        self._look.forget()
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
        if self.track:
            self._remember(gray, box)
        return box

    def _remember(self, gray: np.ndarray, box: Box | None) -> None:
        if box is None:
            self._look.forget()
        else:
            self._look.remember(gray, box.x, box.y, box.w)

    def _full(self, gray: np.ndarray) -> Box | None:
        h, w = gray.shape[:2]
        scale = min(1.0, self.work_width / w)
        small = resize(gray, scale)
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
        roi = resize(gray[y0:y1, x0:x1], scale)
        size = self.TRACK_WIDTH * min(1.0, last.w / self.TRACK_WIDTH)  # a face already small stays as is
        guess = self._look.where(roi, round(size))
        if guess is not None:
            pad = round(size * self.LOOK_PAD)
            gx, gy = max(0, guess[0] - pad), max(0, guess[1] - pad)
            spot = roi[gy:gy + round(size) + 2 * pad, gx:gx + round(size) + 2 * pad]
            near = self._search(spot, size, *self.LOOK_SEARCH)
            if len(near):
                return _largest(near + (gx, gy, 0, 0), scale, x0, y0)
        return _largest(self._search(roi, size, 0.7, 1.4), scale, x0, y0)

    def _search(self, roi: np.ndarray, size: float, lo: float, hi: float, factor: float = 1.1,
                neighbours: int = 5) -> np.ndarray:
        """Haar's faces in `roi` from `lo` to `hi` times `size` pixels wide, as (x, y, w, h) rows."""
        smallest = max(24, int(size * lo))
        if min(roi.shape[:2]) < smallest:
            return np.zeros((0, 4), int)
        found = self._cascade.detectMultiScale(roi, scaleFactor=factor, minNeighbors=neighbours,
                                               minSize=(smallest, smallest), maxSize=(int(size * hi),) * 2)
        return np.asarray(found, int).reshape(-1, 4)


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
