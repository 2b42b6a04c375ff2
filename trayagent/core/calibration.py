"""Personal calibration: shift the model's output so a person's relaxed face reads as a typical
neutral face does. Pure: numbers in, numbers out; no files, no model.

The model reads some people's relaxed face as sad or as neutral-with-anything (faces unlike its
training data, the paper's same-race argument). A per-person baseline -- the mean 4-class
log-probabilities of that person's relaxed face -- measures that bias; `Calibration.apply` removes it
by subtracting `strength * clip(baseline - reference)` from each face's log-probabilities, where the
reference is what the model outputs on average for FER2013 publictest's neutral faces. At strength
1 the person's relaxed face maps exactly onto the reference: it reads as neutral as an average
neutral face does, no more. Every other face of theirs moves by the same amount.

Optionally the person also smiles as they would greet a customer. Some people's expressions move
the model's output less than a typical face's do (the model sees their smile, and their frown,
only faintly); their smile measures by how much, and every face's distance from their relaxed
face is multiplied by a *gain* (1 to GAIN_MAX) that makes their smile move the output as far as a
typical smile does. Leave-one-person-out on jaffe-dev chose this and nothing else: models/README.md,
"Personal calibration", and models/calibration_study.py.
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
FORMAT = 2  # the stored baseline's format version (1: no smile; still read)
FORMATS = (1, 2)

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

# The smile. The gain only ever amplifies (1 to GAIN_MAX): chosen by leave-one-person-out on
# jaffe-dev (on three women, scored on the fourth) from caps 1.25 to 4 and floors 0.5 to 1; a
# floor under 1 (damping a person whose smile reads strongly) never won. A smile that moves the
# output along a typical smile's direction by less than MIN_SMILE of a typical smile's distance
# is mostly noise (the gain would be set by it): refused. 34 of FER2013 publictest's 895 happy faces
# (4%) reach less than that from its neutral reference; of jaffe-dev's 13 smiles one (KA's fourth).
GAIN_MIN = 1.0
GAIN_MAX = 2.0
MIN_SMILE = 0.25
# A smile held for about 5 s at 2-3 frames a second: 10-15 frames, at least 5 faces.
MIN_SMILE_FACES_VIDEO = 5


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
    happy: tuple[float, ...] | None = None  # a typical smile: the mean over publictest's happy faces

    @staticmethod
    def fallback() -> Reference:
        """For a model without `neutral_reference` metadata: a neutral-heavy guess (neutral 0.55,
        the others 0.15 each) and limits of log 4 (a class four times likelier than in a typical
        neutral face). Approximate: run `python -m models.reference MODEL` to measure the real one."""
        p = {"happy": 0.15, "neutral": 0.55, "stress": 0.15, "surprise": 0.15}
        smile = {"happy": 0.7, "neutral": 0.2, "stress": 0.05, "surprise": 0.05}
        return Reference(tuple(float(np.log(p[c])) for c in PRODUCT4), (float(np.log(4.0)),) * len(PRODUCT4),
                         "fallback (model has no neutral_reference metadata)",
                         tuple(float(np.log(smile[c])) for c in PRODUCT4))


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
    smile_logp: tuple[float, ...] | None = None  # the same for their greeting smile; None: no smile given
    smile_faces: int = 0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["logp"] = [round(float(v), 6) for v in self.logp]
        if self.smile_logp is None:  # stored as before the smile step
            del d["smile_logp"], d["smile_faces"]
        else:
            d["smile_logp"] = [round(float(v), 6) for v in self.smile_logp]
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
            smile = d.get("smile_logp")  # absent in format 1
            smile = None if smile is None else tuple(float(v) for v in smile)
            b = Baseline(logp, int(d["faces"]), str(d["model_sha256"]), str(d["created"]),
                         float(d["brightness"]), float(d["contrast"]), str(d.get("source", "camera")),
                         classes, int(d["format"]), smile, int(d.get("smile_faces", 0)))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"stored baseline is damaged ({e})") from None
        if b.format not in FORMATS or classes != PRODUCT4 or len(logp) != len(PRODUCT4) \
                or not all(np.isfinite(logp)) or b.faces < 1:
            raise ValueError("stored baseline is from another trayagent version or damaged")
        if smile is not None and (len(smile) != len(PRODUCT4) or not all(np.isfinite(smile)) or b.smile_faces < 1):
            raise ValueError("stored baseline's smile is damaged")
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

    @property
    def gain(self) -> float:
        return gain(self.baseline, self.reference)

    def apply(self, probs4: np.ndarray) -> np.ndarray:
        return apply(probs4, self.baseline, self.reference, self.strength, self.clip)


def _centred(v: np.ndarray) -> np.ndarray:
    # Log-probabilities mean the same up to a constant (softmax): directions are compared centred.
    return v - v.mean(axis=-1, keepdims=True)


def smile_reach(baseline_logp: np.ndarray, smile_logp: np.ndarray, neutral_logp: np.ndarray,
                happy_logp: np.ndarray) -> np.ndarray:
    """How far the person's smile moves the output from their relaxed face along the direction a
    typical smile moves it from a typical neutral face, as a fraction of that distance (1: as far
    as a typical smile). Any leading axes of baseline and smile (one per calibration) broadcast."""
    theirs = _centred(np.asarray(smile_logp, np.float64) - np.asarray(baseline_logp, np.float64))
    typical = _centred(np.asarray(happy_logp, np.float64) - np.asarray(neutral_logp, np.float64))
    return theirs @ typical / (typical @ typical)


def smile_gain(baseline_logp: np.ndarray, smile_logp: np.ndarray, neutral_logp: np.ndarray,
               happy_logp: np.ndarray, lo: float = GAIN_MIN, hi: float = GAIN_MAX) -> np.ndarray:
    """The factor that makes the person's smile move the output as far as a typical smile does
    (least squares along their smile), within [lo, hi]; 1 for a smile under MIN_SMILE."""
    theirs = _centred(np.asarray(smile_logp, np.float64) - np.asarray(baseline_logp, np.float64))
    typical = _centred(np.asarray(happy_logp, np.float64) - np.asarray(neutral_logp, np.float64))
    g = theirs @ typical / np.maximum((theirs * theirs).sum(axis=-1), 1e-9)
    reach = smile_reach(baseline_logp, smile_logp, neutral_logp, happy_logp)
    return np.where(reach < MIN_SMILE, 1.0, np.clip(g, lo, hi))


def gain(baseline: Baseline, reference: Reference) -> float:
    """The person's gain: 1 without a smile (or a model without a typical smile to compare it to)."""
    if baseline.smile_logp is None or reference.happy is None:
        return 1.0
    return float(smile_gain(np.asarray(baseline.logp), np.asarray(baseline.smile_logp),
                            np.asarray(reference.logp), np.asarray(reference.happy)))


def apply(probs4: np.ndarray, baseline: Baseline, reference: Reference, strength: float, clip: float) -> np.ndarray:
    """Calibrated probabilities over PRODUCT4, for one face (4,) or many (N, 4): each face's distance
    from the relaxed face times the gain, from the relaxed face shifted (at strength 1 and within
    the clip: onto the reference)."""
    b = np.asarray(baseline.logp)
    shift = strength * np.clip(b - np.asarray(reference.logp), -clip, clip)
    z = gain(baseline, reference) * (log_probs(probs4) - b) + b - shift
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def refusal(baseline: Baseline, reference: Reference, frames: int, min_faces: int) -> tuple[str, dict] | None:
    """The first rule a baseline breaks, as (rule, the numbers that show it), or None when it would
    calibrate well. Rules: "faces" (too few), "in view" (a face in too few of the frames), "dark",
    "contrast", and a held expression, named by its class ("happy", "stress", "surprise").
    perception.model_baseline says it in the reader's words, with what to do instead."""
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


def smile_refusal(baseline: Baseline, reference: Reference, frames: int, min_faces: int) -> tuple[str, dict] | None:
    """The first rule the smile breaks, or None: "smile faces" (too few), "smile in view", "no smile"
    (it barely moved the output towards a typical smile; `reach` is how far, 1 = a typical smile).
    A model without a typical smile cannot use one: "smile unusable"."""
    if baseline.smile_logp is None:
        return None
    if reference.happy is None:
        return "smile unusable", {}
    if baseline.smile_faces < min_faces:
        return "smile faces", {"n": baseline.smile_faces, "needed": min_faces}
    if min_faces > MIN_FACES_PHOTOS and frames and baseline.smile_faces < MIN_FOUND_SHARE_VIDEO * frames:
        return "smile in view", {"faces": baseline.smile_faces, "frames": frames}
    reach = float(smile_reach(np.asarray(baseline.logp), np.asarray(baseline.smile_logp),
                              np.asarray(reference.logp), np.asarray(reference.happy)))
    if reach < MIN_SMILE:
        return "no smile", {"reach": reach, "needed": MIN_SMILE}
    return None
