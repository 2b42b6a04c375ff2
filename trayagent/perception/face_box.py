"""A face's box in a frame, and the two steps both face detectors share: reading a detector's
file and scaling a frame down for the search."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trayagent import os_errors
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
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


def read_model_file(path: Path, cannot_read: str) -> bytes:
    """Model files are read by Python and handed to OpenCV as bytes: OpenCV's own file opening
    fails on non-ASCII paths on Windows (a Korean user name puts Hangul in every per-user path).
    `cannot_read` is the message (with {path} and {reason}) for a file that cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TrayagentError(_(cannot_read).format(path=path, reason=os_errors.reason(e))) from None


def resize(img: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
