"""How well the camera sees the face in one frame: numbers from the grey frame and the face box.

Pure numpy on the grey frame the face detector already made; the frame is never kept. The rule
that turns these numbers into "too dark", "backlit" or "unseen" is core/visibility.py.
"""

from __future__ import annotations

import numpy as np

from trayagent.core.records import Visibility
from trayagent.perception.faces import Box

_STEP = 2  # every other row and column: the same means to within a grey level, a quarter of the work


def measure(gray: np.ndarray, box: Box | None) -> Visibility:
    """The frame's brightness and contrast; with a face, the face box's too, and its backlight:
    the mean grey outside the box over the mean grey inside it (floored at 1 grey level)."""
    small = gray[::_STEP, ::_STEP].astype(np.float32)
    frame_mean, frame_std = float(small.mean()), float(small.std())
    if box is None:
        return Visibility(round(frame_mean, 2), round(frame_std, 2))
    h, w = gray.shape[:2]
    x0, y0 = max(0, box.x), max(0, box.y)
    x0, y0 = x0 - x0 % _STEP, y0 - y0 % _STEP  # on the frame's grid, so the face's pixels are a part of it
    x1, y1 = min(w, box.x + box.w), min(h, box.y + box.h)
    face = gray[y0:y1:_STEP, x0:x1:_STEP].astype(np.float32)
    if face.size == 0:
        return Visibility(round(frame_mean, 2), round(frame_std, 2))
    face_mean, face_std = float(face.mean()), float(face.std())
    outside_n = small.size - face.size
    # The frame's sum less the face's, on the same grid of pixels: the mean of the rest of the frame.
    around = (float(small.sum()) - float(face.sum())) / outside_n if outside_n > 0 else face_mean
    return Visibility(round(frame_mean, 2), round(frame_std, 2), round(face_mean, 2), round(face_std, 2),
                      round(around / max(face_mean, 1.0), 3))
