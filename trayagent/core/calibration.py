"""Personal calibration: shift the model's output so a person's relaxed face reads as a typical
neutral face does. Pure: numbers in, numbers out; no files, no model.

The model reads some people's relaxed face as sad or as neutral-with-anything (faces unlike its
training data, the paper's same-race argument). A per-person baseline -- the mean 4-class
log-probabilities of that person's relaxed face -- measures that bias; `Calibration.apply` removes it
by subtracting `strength * clip(baseline - reference)` from each face's log-probabilities, where the
reference is what the model outputs on average for FER2013 publictest's neutral faces. At strength
1 the person's relaxed face maps exactly onto the reference: it reads as neutral as an average
neutral face does, no more. Every other face of theirs moves by the same amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError

# Probabilities are floored before the log: a class the model gives 1e-7 would otherwise weigh
# in the mean log-probability as much as a real difference (log 1e-4 = -9.2 nats).
FLOOR = 1e-4
FORMAT = 1  # the stored baseline's format version

# How many faces a baseline needs. From photos: one clear neutral photo already carries most of
# the bias (the per-person figures in models/README.md use exactly one); from a camera or a
# video: 10 s of relaxed face at the capture rate of 2-3 frames a second gives 20-30 frames, and
# fewer than 10 found faces means the face was mostly not seen (turned away, out of frame).
MIN_FACES_PHOTOS = 1
MIN_FACES_VIDEO = 10
MIN_FOUND_SHARE_VIDEO = 0.5  # a face in fewer than half the frames: the person was not in view

# Light. The model standardises each face, so darkness hurts through lost grey levels and sensor
# noise: FER2013 publictest faces darkened to a mean of 39 (contrast, the standard deviation of
# the face's grey levels, 23) with sensor noise (sd 2) keep 90% of their 4-class readings; at a
# mean of 26 (contrast 16) only 85%. Below these the baseline would mostly measure noise.
MIN_BRIGHTNESS = 40.0
MIN_CONTRAST = 20.0


class CalibrationError(TrayagentError):
    """A calibration was refused or a stored baseline is unusable; the message says what to do."""


@dataclass(frozen=True)
class Reference:
    """What the model outputs, on average, for a typical neutral face (per model, PRODUCT4 order).

    `limits`: how far above the reference a class may read in a relaxed face, per class: the 95th
    percentile of (log p - reference) over the same neutral faces. A baseline beyond it on happy,
    stress or surprise is a held expression, not a relaxed face.
    """

    logp: tuple[float, ...]
    limits: tuple[float, ...]
    source: str  # where it came from, said to the user (model metadata or the fallback)

    @staticmethod
    def fallback() -> Reference:
        """For a model without `neutral_reference` metadata: a neutral-heavy guess (neutral 0.55,
        the others 0.15 each) and limits of log 4 (a class four times likelier than in a typical
        neutral face). Approximate: run `python -m models.reference MODEL` to measure the real one."""
        p = {"happy": 0.15, "neutral": 0.55, "stress": 0.15, "surprise": 0.15}
        return Reference(tuple(float(np.log(p[c])) for c in PRODUCT4), (float(np.log(4.0)),) * len(PRODUCT4),
                         "fallback (model has no neutral_reference metadata)")


@dataclass(frozen=True)
class Baseline:
    """One person's relaxed face, as numbers only: never an image."""

    logp: tuple[float, ...]  # mean log-probabilities over PRODUCT4 (floored at FLOOR)
    faces: int  # faces the mean is over
    model_sha256: str  # the model file it was measured with; another model never uses it
    created: str  # ISO date and time
    brightness: float  # mean grey level of the faces, 0..255
    contrast: float  # mean standard deviation of the faces' grey levels
    source: str = "camera"  # "camera", "video" or "photos"
    classes: tuple[str, ...] = field(default=PRODUCT4)
    format: int = FORMAT

    def as_dict(self) -> dict:
        d = asdict(self)
        d["logp"] = [round(float(v), 6) for v in self.logp]
        d["classes"] = list(self.classes)
        d["brightness"], d["contrast"] = round(self.brightness, 2), round(self.contrast, 2)
        return d

    @staticmethod
    def from_dict(d: dict) -> Baseline:
        """A baseline from its stored form; ValueError when anything is missing or odd (storage.baseline
        says so to the user)."""
        try:
            classes = tuple(d["classes"])
            logp = tuple(float(v) for v in d["logp"])
            b = Baseline(logp, int(d["faces"]), str(d["model_sha256"]), str(d["created"]),
                         float(d["brightness"]), float(d["contrast"]), str(d.get("source", "camera")),
                         classes, int(d["format"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"stored baseline is damaged ({e})") from None
        if b.format != FORMAT or classes != PRODUCT4 or len(logp) != len(PRODUCT4) \
                or not all(np.isfinite(logp)) or b.faces < 1:
            raise ValueError("stored baseline is from another trayagent version or damaged")
        return b


def log_probs(probs4: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probs4, np.float64), FLOOR, 1.0))


def mean_log_probs(probs4: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """The baseline's numbers: mean over faces of the floored log-probabilities."""
    return log_probs(np.asarray(probs4).reshape(-1, len(PRODUCT4))).mean(axis=0)


@dataclass(frozen=True)
class Calibration:
    """A baseline ready to apply: the shift is computed once."""

    baseline: Baseline
    reference: Reference
    strength: float = 1.0
    clip: float = 1.5

    @property
    def shift(self) -> np.ndarray:
        d = np.asarray(self.baseline.logp) - np.asarray(self.reference.logp)
        return self.strength * np.clip(d, -self.clip, self.clip)

    def apply(self, probs4: np.ndarray) -> np.ndarray:
        return apply(probs4, self.baseline, self.reference, self.strength, self.clip)


def apply(probs4: np.ndarray, baseline: Baseline, reference: Reference, strength: float, clip: float) -> np.ndarray:
    """Calibrated probabilities over PRODUCT4, for one face (4,) or many (N, 4)."""
    shift = strength * np.clip(np.asarray(baseline.logp) - np.asarray(reference.logp), -clip, clip)
    z = log_probs(probs4) - shift
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def refusal(baseline: Baseline, reference: Reference, frames: int, min_faces: int) -> tuple[str, dict] | None:
    """The first rule a baseline breaks, as (rule, the numbers that show it), or None when it would
    calibrate well. Rules: "faces" (too few), "in view" (a face in too few of the frames), "dark",
    "contrast", and a held expression, named by its class ("happy", "stress", "surprise").
    perception.calibration says it in the reader's words, with what to do instead."""
    if baseline.faces < min_faces:
        return "faces", {"n": baseline.faces, "needed": min_faces}
    if min_faces > MIN_FACES_PHOTOS and frames and baseline.faces < MIN_FOUND_SHARE_VIDEO * frames:
        return "in view", {"faces": baseline.faces, "frames": frames}
    if baseline.brightness < MIN_BRIGHTNESS:
        return "dark", {"brightness": baseline.brightness, "needed": MIN_BRIGHTNESS}
    if baseline.contrast < MIN_CONTRAST:
        return "contrast", {"contrast": baseline.contrast, "needed": MIN_CONTRAST}
    d = np.asarray(baseline.logp) - np.asarray(reference.logp)
    worst = max((c for c in ("happy", "stress", "surprise")),
                key=lambda c: d[PRODUCT4.index(c)] - reference.limits[PRODUCT4.index(c)])
    i = PRODUCT4.index(worst)
    if d[i] > reference.limits[i]:
        return worst, {"value": float(d[i]), "limit": float(reference.limits[i])}
    return None
