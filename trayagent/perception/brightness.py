"""How well the camera sees the face in one frame: numbers from the grey frame and the face box.

Pure numpy on the grey frame the face detector already made; the frame is never kept. The rule
that turns these numbers into "too dark", "backlit" or "unseen" is core/visibility.py.
"""

from __future__ import annotations

import numpy as np

from trayagent.core.records import Visibility
from trayagent.perception.cv import cv2
from trayagent.perception.face_box import Box

_STEP = 2  # every other row and column: the same means to within a grey level, a quarter of the work


def measure(gray: np.ndarray, box: Box | None) -> Visibility:
    """The frame's brightness and contrast; with a face, the face's too, and its backlight: the mean
    grey of the frame outside the box over the face's mean grey (floored at 1 grey level).

    The face's figures come from the middle half of the box (each way): a detector's box has hair,
    ears and background in its corners, which in front of a window would hide the dark face."""
    small = gray[::_STEP, ::_STEP]
    mean, std = _mean_std(small)
    frame = Visibility(round(mean, 2), round(std, 2))
    if box is None:
        return frame
    h, w = gray.shape[:2]
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(w, box.x + box.w), min(h, box.y + box.h)
    x0, y0 = x0 - x0 % _STEP, y0 - y0 % _STEP  # on the frame's grid, so the box's pixels are a part of it
    whole = gray[y0:y1:_STEP, x0:x1:_STEP]
    mx, my = (x1 - x0) // 4, (y1 - y0) // 4
    face = gray[y0 + my:y1 - my, x0 + mx:x1 - mx]
    if whole.size == 0 or face.size == 0:
        return frame
    face_mean, face_std = _mean_std(face)
    outside = small.size - whole.size
    # The frame's sum less the box's, on the same grid of pixels: the mean of the rest of the frame.
    around = (mean * small.size - _mean_std(whole)[0] * whole.size) / outside if outside > 0 else face_mean
    return Visibility(frame.frame_brightness, frame.frame_contrast, round(face_mean, 2), round(face_std, 2),
                      round(around / max(face_mean, 1.0), 3))


def _mean_std(pixels: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of grey pixels, in one pass in double precision (OpenCV): about
    a fifth of numpy's cost on a converted copy, which mattered at every analysed frame."""
    mean, std = cv2.meanStdDev(pixels)
    return float(mean[0, 0]), float(std[0, 0])
