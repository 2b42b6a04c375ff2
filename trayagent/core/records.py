"""What trayagent records: one sample per analysed frame, one summary per call. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Visibility:
    """How well the camera saw the person in one frame, as numbers only (grey levels 0-255).

    `backlight` is how many times brighter the frame around the face is than the face: about 1 in
    even light, far more with a window behind the person. The face figures are None when no face
    was found; the frame's still tell a covered camera (dark and flat) from an empty desk."""

    frame_brightness: float  # mean grey of the whole frame
    frame_contrast: float  # standard deviation of the whole frame's grey
    face_brightness: float | None = None  # mean grey of the face box
    face_contrast: float | None = None  # standard deviation of the face box's grey
    backlight: float | None = None  # mean grey outside the face box / mean grey of the face box

    @property
    def face(self) -> bool:
        return self.face_brightness is not None


@dataclass(frozen=True)
class Sample:
    time: datetime  # timezone-aware
    emotion: str | None  # product class, None when no face was found
    stress: float  # the index after this frame
    probs: tuple[float, ...] | None  # over PRODUCT4, None when no face was found
    visibility: Visibility | None = None  # None: no frame (camera problem), or a record from before it
    calibrated: bool = False  # the face was read through the person's calibration

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
    seen: float | None = None  # share of samples in which the face was seen well (None: not recorded)

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict:
        return {"id": self.id, "start": self.start.isoformat(timespec="milliseconds"),
                "end": self.end.isoformat(timespec="milliseconds"), "duration_s": round(self.duration_s, 1),
                "samples": self.samples, "faces": self.faces, "peak": round(self.peak, 4),
                "mean": round(self.mean, 4), "final": round(self.final, 4), "calibrated": self.calibrated,
                "seen": None if self.seen is None else round(self.seen, 4)}
