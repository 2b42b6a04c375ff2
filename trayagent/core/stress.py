"""The paper's stress index (its Table 3) and the colour bands shown in the tray. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from trayagent.core.records import CallSummary, Visibility
from trayagent.core.visibility import Seen, VisibilityThresholds, classify


def next_index(index: float, emotion: str | None) -> float:
    """Table 3, once per classified frame. `emotion` is a product class, or None for no face."""
    if emotion is None:
        return index
    if emotion == "happy":
        return index - (0.02 if index > 0 else 0.005)
    if emotion == "neutral":
        return index - 0.005 if index > 0 else index
    if emotion == "stress":
        return index + 0.02
    if emotion == "surprise":
        return index + 0.005
    raise ValueError(f"unknown emotion {emotion!r}")


class Band(str, Enum):
    CALM = "calm"
    ELEVATED = "elevated"
    ALERT = "alert"


@dataclass(frozen=True)
class Thresholds:
    """At 2 frames a second, +0.02 per stressed frame: 0.25 is ~6 s of net stressed expression,
    0.6 is ~15 s net, i.e. stress that outweighed every calm moment of the call so far."""

    calm_below: float = 0.25
    alert_from: float = 0.6

    def band(self, index: float) -> Band:
        if index >= self.alert_from:
            return Band.ALERT
        if index >= self.calm_below:
            return Band.ELEVATED
        return Band.CALM


@dataclass
class CallStats:
    """The one fold over a call: the index by Table 3 (`step`, live calls and `analyze`) and the
    call's summary figures; crash recovery folds recorded rows with `add`, their index known."""

    samples: int = 0
    faces: int = 0
    index: float = 0.0
    peak: float = 0.0
    total: float = 0.0
    calibrated: bool = False  # some face was read through the person's calibration
    visibility: VisibilityThresholds = VisibilityThresholds()  # what counts as seen well
    seen: int = 0  # samples in which the face was seen well
    measured: int = 0  # samples that carried visibility numbers (none in records from before them)

    def add(self, index: float, face: bool, visibility: Visibility | None = None, calibrated: bool = False) -> None:
        self.samples += 1
        self.calibrated = self.calibrated or calibrated
        self.faces += face
        self.measured += visibility is not None
        self.seen += visibility is not None and classify(visibility, self.visibility) is Seen.SEEN
        self.index = index
        self.peak = max(self.peak, index) if self.samples > 1 else index
        self.total += index

    def step(self, emotion: str | None, calibrated: bool = False, visibility: Visibility | None = None) -> float:
        """One classified frame (None: no face): moves the index by Table 3 and returns it."""
        self.add(next_index(self.index, emotion), emotion is not None, visibility, calibrated)
        return self.index

    @property
    def mean(self) -> float:
        return self.total / self.samples if self.samples else 0.0

    def summary(self, call_id: str, start: datetime, end: datetime) -> CallSummary:
        seen = self.seen / self.samples if self.measured else None
        return CallSummary(call_id, start, end, self.samples, self.faces, self.peak, self.mean, self.index,
                           self.calibrated, seen)
