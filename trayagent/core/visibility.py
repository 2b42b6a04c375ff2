"""Whether the camera can see the person well enough to read their face. Pure: numbers in, a state out.

The paper names lighting as the main reason its system misread faces. Each sample carries the
numbers of perception/brightness.py; `classify` judges one sample, and `Watch` judges the last few
seconds of a call, so a glance away or one bad frame changes nothing, and a covered camera, a dark
room or a window behind the person is said, with one hint, while it lasts. The thresholds are in
the settings table ([visibility], config.py); their defaults were measured on the test videos
(models/README.md, "Seeing the face").
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from trayagent.core.records import Visibility


class Seen(str, Enum):
    SEEN = "seen"  # a face, lit well enough to read
    UNSEEN = "unseen"  # no face in a frame that shows a scene: turned away, left, out of frame
    COVERED = "covered"  # no face in a dark, flat frame: something is over the lens
    DARK = "dark"  # a face too dark to read, or a frame too dark to find one in
    BACKLIT = "backlit"  # the frame around the face far brighter than the face: a window behind


# When a window holds as many of two states, the one whose hint helps most is said.
_PRIORITY = (Seen.COVERED, Seen.BACKLIT, Seen.DARK, Seen.UNSEEN)


@dataclass(frozen=True)
class VisibilityThresholds:
    """Defaults measured on the test videos (models/README.md, "Seeing the face"): each lies
    between what a normally lit face gives and what a darkened, backlit or covered one gives,
    with a margin both ways."""

    window_s: float = 10.0  # the stretch judged together
    unseen_share: float = 0.6  # share of that stretch not seen well before the tray says so
    dark_face: float = 52.0  # mean grey of the face below this: too dark
    dark_frame: float = 55.0  # no face, and the frame's mean grey below this: too dark
    covered_contrast: float = 6.0  # no face, and the frame's grey spread below this: covered
    backlit: float = 2.3  # frame around the face this many times brighter than the face: backlit


def classify(v: Visibility | None, th: VisibilityThresholds) -> Seen:
    """One sample. No numbers (no frame: the camera failed) is unseen."""
    if v is None:
        return Seen.UNSEEN
    if v.face:
        assert v.face_brightness is not None and v.backlight is not None
        if v.backlight >= th.backlit:
            return Seen.BACKLIT
        if v.face_brightness < th.dark_face:
            return Seen.DARK
        return Seen.SEEN
    if v.frame_contrast < th.covered_contrast and v.frame_brightness < th.dark_frame:
        return Seen.COVERED
    if v.frame_brightness < th.dark_frame:
        return Seen.DARK
    return Seen.UNSEEN


class Watch:
    """The state the tray shows, from the samples of the last `window_s` seconds of a call.

    It turns from seen only once the call has lasted `window_s` and at least `unseen_share` of the
    last `window_s` was not seen well: a glance away, a hand passing the face or a few missed frames
    are not reported. It turns back once the face has been seen well for a quarter of the window
    (2.5 s by default) or less than half that share is left, so it neither lags nor flickers."""

    def __init__(self, th: VisibilityThresholds) -> None:
        self.th = th
        self._recent: deque[tuple[datetime, Seen]] = deque()
        self._first: datetime | None = None
        self.state = Seen.SEEN

    def add(self, time: datetime, v: Visibility | None) -> Seen:
        if self._first is None:
            self._first = time
        self._recent.append((time, classify(v, self.th)))
        while (time - self._recent[0][0]).total_seconds() > self.th.window_s:
            self._recent.popleft()
        if (time - self._first).total_seconds() < self.th.window_s:
            return self.state  # too early in the call to call anything sustained
        counts: Counter[Seen] = Counter(s for _t, s in self._recent if s is not Seen.SEEN)
        share = sum(counts.values()) / len(self._recent)
        lately = any(s is not Seen.SEEN for t, s in self._recent if (time - t).total_seconds() < self.th.window_s / 4)
        held = self.state is not Seen.SEEN and share >= self.th.unseen_share / 2
        if lately and (share >= self.th.unseen_share or held):
            top = max(counts.values())
            self.state = next(s for s in _PRIORITY if counts.get(s) == top)
        else:
            self.state = Seen.SEEN
        return self.state
