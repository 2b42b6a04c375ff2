"""What trayagent records: one sample per analysed frame, one summary per call. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Sample:
    time: datetime  # timezone-aware
    emotion: str | None  # product class, None when no face was found
    stress: float  # the index after this frame
    probs: tuple[float, ...] | None  # over PRODUCT4, None when no face was found

    @property
    def face(self) -> bool:
        return self.emotion is not None


@dataclass(frozen=True)
class CallSummary:
    id: str
    start: datetime
    end: datetime
    samples: int
    faces: int
    peak: float
    mean: float
    final: float
    calibrated: bool = False  # the faces were read through the person's calibration

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict:
        return {"id": self.id, "start": self.start.isoformat(timespec="milliseconds"),
                "end": self.end.isoformat(timespec="milliseconds"), "duration_s": round(self.duration_s, 1),
                "samples": self.samples, "faces": self.faces, "peak": round(self.peak, 4),
                "mean": round(self.mean, 4), "final": round(self.final, 4), "calibrated": self.calibrated}
