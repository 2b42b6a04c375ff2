"""Where the last face went: its look, kept as a few hundred grey levels between two frames, found
again in the next frame by normalised cross-correlation. It only says where to look: the face
detector then confirms the face there with Haar, so every box is still a Haar box."""

from __future__ import annotations

import numpy as np

from trayagent.perception.cv import cv2

# The look is kept this many pixels wide and matched at half the search's scale: about a tenth of
# a millisecond, where a Haar search around the last face costs several.
SIDE = 20
# Below this correlation the best place is no better than the background: no guess, and the
# detector searches the whole neighbourhood as it would without a look.
MIN_SCORE = 0.5


class FaceLook:
    def __init__(self) -> None:
        self._look: np.ndarray | None = None

    def remember(self, gray: np.ndarray, x: int, y: int, side: int) -> None:
        """Keep the look of the square face at (x, y); a face partly outside the frame is not kept,
        nor one without contrast, which would match any flat wall perfectly."""
        h, w = gray.shape[:2]
        if x < 0 or y < 0 or x + side > w or y + side > h or side < 2:
            self._look = None
            return
        look = cv2.resize(gray[y:y + side, x:x + side], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
        self._look = look if cv2.meanStdDev(look)[1][0, 0] >= 1 else None

    def forget(self) -> None:
        self._look = None

    def where(self, roi: np.ndarray, side: int) -> tuple[int, int] | None:
        """The top-left corner in `roi` where the face, `side` pixels wide there, looks most like the
        kept look; None without a look, or where nothing in `roi` looks like it."""
        if self._look is None:
            return None
        half = cv2.resize(roi, (max(1, roi.shape[1] // 2), max(1, roi.shape[0] // 2)), interpolation=cv2.INTER_AREA)
        t = max(4, side // 2)
        if t >= min(half.shape[:2]):
            return None
        look = self._look if t == SIDE else cv2.resize(self._look, (t, t), interpolation=cv2.INTER_AREA)
        scores = cv2.matchTemplate(half, look, cv2.TM_CCOEFF_NORMED)
        _lo, best, _at_lo, (bx, by) = cv2.minMaxLoc(scores)
        if not best >= MIN_SCORE:  # NaN on a flat roi counts as no match
            return None
        return 2 * bx, 2 * by
