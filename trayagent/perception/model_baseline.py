"""Personal calibration, model side: the model's identity and neutral reference, a baseline
measured from frames through the product's own face finding, and the user's stored baseline made
ready to apply (core/calibration.py holds the arithmetic and the rules)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from trayagent.core.calibration import (
    MIN_FACES_PHOTOS,
    MIN_FACES_VIDEO,
    MIN_SMILE_FACES_VIDEO,
    Baseline,
    Calibration,
    CalibrationError,
    Reference,
    mean_log_probs,
    refusal,
    smile_refusal,
)
from trayagent.core.emotions import PRODUCT4
from trayagent.i18n import N_, _, ngettext
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.face_box import Box
from trayagent.perception.faces import crop

if TYPE_CHECKING:
    from trayagent.config import Config

log = logging.getLogger(__name__)


class FaceReader(Protocol):
    """What measuring a baseline needs of perception.pipeline.Perception (which imports this module)."""

    detector: Any
    classifier: EmotionClassifier

    def find_face(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, Box | None]: ...


REFERENCE_KEY = "neutral_reference"  # the model metadata models/reference.py writes

_sha_cache: dict[tuple[str, int, int], str] = {}


def model_identity(path: Path) -> str:
    """sha256 of the model file: a baseline belongs to exactly the model it was measured with."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _sha_cache:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _sha_cache[key] = h.hexdigest()
    return _sha_cache[key]


def reference_for(clf: EmotionClassifier) -> Reference:
    """The model's neutral reference from its metadata; the documented fallback when it has none."""
    raw = clf.info.metadata.get(REFERENCE_KEY)
    if raw is None:
        log.warning("%s has no %s metadata: calibrating against an approximate reference "
                    "(python -m models.reference measures the real one)", clf.info.path, REFERENCE_KEY)
        return Reference.fallback()
    try:
        d = json.loads(raw)
        if tuple(d["classes"]) != PRODUCT4:
            raise ValueError(f"classes {d['classes']}")
        happy = d.get("happy_logp")  # models measured before the smile step have none: no smile gain
        ref = Reference(tuple(float(v) for v in d["logp"]), tuple(float(v) for v in d["limits"]),
                        f"model metadata ({d.get('data', 'unknown data')})",
                        None if happy is None else tuple(float(v) for v in happy))
        if len(ref.logp) != len(PRODUCT4) or len(ref.limits) != len(PRODUCT4) \
                or (ref.happy is not None and len(ref.happy) != len(PRODUCT4)):
            raise ValueError("wrong length")
        return ref
    except (ValueError, KeyError, TypeError) as e:
        log.warning("%s: %s metadata unusable (%s); using the approximate reference", clf.info.path,
                    REFERENCE_KEY, e)
        return Reference.fallback()


def face_quality(face_gray: np.ndarray) -> tuple[float, float]:
    """(brightness, contrast) of a grey face crop: mean and standard deviation of its grey levels."""
    f = face_gray.astype(np.float32)
    return float(f.mean()), float(f.std())


def measure(frames: Iterable[np.ndarray], perception: FaceReader, source: str = "camera") -> tuple[Baseline, int]:
    """The baseline of the faces in `frames` (BGR or grey), found and classified exactly as in a
    call, without any calibration; and how many frames there were. Frames are dropped as read."""
    probs, bright, contrast, n = [], [], [], 0
    clf: EmotionClassifier = perception.classifier
    for frame in frames:
        n += 1
        gray, box = perception.find_face(frame)
        if box is None:
            continue
        face = crop(gray, box)
        if face.size == 0:
            continue
        color = clf.info.preprocessing.color != "gray"
        p = clf.predict([crop(frame, box) if color and frame.ndim == 3 else face], mirror="every face")[0]
        probs.append(clf.product(p))
        b, c = face_quality(face)
        bright.append(b)
        contrast.append(c)
    logp = tuple(float(v) for v in mean_log_probs(np.array(probs))) if probs else (0.0,) * len(PRODUCT4)
    baseline = Baseline(logp, len(probs), model_identity(clf.info.path),
                        datetime.now().astimezone().isoformat(timespec="seconds"),
                        float(np.mean(bright)) if bright else 0.0, float(np.mean(contrast)) if contrast else 0.0,
                        source)
    return baseline, n


# What to do when a baseline breaks a rule of core.calibration.refusal, with its numbers.
_REFUSALS = {
    "in view": N_("a face was found in only {faces} of {frames} frames: keep your face in view, facing the camera, "
                  "for the whole time and try again"),
    "dark": N_("your face is too dark (brightness {brightness:.0f} of 255, at least {needed:.0f} needed): turn on a "
               "light in front of you, not behind, and try again"),
    "contrast": N_("your face shows too little contrast ({contrast:.0f}, at least {needed:.0f} needed): light your "
                   "face from the front, avoid a bright window behind you, and try again"),
    "happy": N_("your face looked smiling, not relaxed (happy {value:+.2f} against a typical neutral face, at most "
                "{limit:+.2f}): relax your face -- no smile, no frown -- and try again"),
    "stress": N_("your face looked frowning or tense, not relaxed (stress {value:+.2f} against a typical neutral "
                 "face, at most {limit:+.2f}): relax your face -- no smile, no frown -- and try again"),
    "surprise": N_("your face looked surprised, not relaxed (surprise {value:+.2f} against a typical neutral face, "
                   "at most {limit:+.2f}): relax your face -- no smile, no frown -- and try again"),
    "smile in view": N_("while smiling, a face was found in only {faces} of {frames} frames: keep your face in view, "
                        "facing the camera, and try again"),
    "no smile": N_("the smile barely changed how your face reads ({reach:.0%} of a typical smile, at least "
                   "{needed:.0%} needed): smile as you would greet a customer and try again"),
    "smile unusable": N_("this model has no typical smile to compare yours with: calibrate with `--no-smile`, or "
                         "measure the model's reference again (`python -m models.reference`)"),
}


def validate(baseline: Baseline, reference: Reference, frames: int, min_faces: int) -> None:
    """Refuse a baseline that would calibrate badly (CalibrationError), saying what to do instead."""
    refused = refusal(baseline, reference, frames, min_faces)
    if refused is None:
        return
    _refuse(*refused)


def _refuse(rule: str, numbers: dict) -> None:
    if rule in ("faces", "smile faces"):
        raise CalibrationError(ngettext(
            "only {n} face found (at least {needed} needed): sit facing the camera, about an arm's length away, "
            "and try again",
            "only {n} faces found (at least {needed} needed): sit facing the camera, about an arm's length away, "
            "and try again", numbers["n"]).format(**numbers))
    raise CalibrationError(_(_REFUSALS[rule]).format(**numbers))


def calibrate_from_frames(frames: Iterable[np.ndarray], perception: FaceReader, source: str = "camera",
                          min_faces: int | None = None, smile: Iterable[np.ndarray] | None = None,
                          smile_source: str | None = None) -> Baseline:
    """A checked baseline from a relaxed face's frames (the daemon's tray item calls this with the
    camera's frames; `trayagent calibrate` with a camera, a video or photos), and from the frames
    of a greeting smile when given (read only once the relaxed face is accepted; `smile_source`
    when it comes from elsewhere than the relaxed face, e.g. photos after a video). Raises
    CalibrationError, with what to do, for too few faces, poor light, a held expression or a smile
    that barely reads as one."""
    if hasattr(perception.detector, "reset"):
        perception.detector.reset()
    baseline, n = measure(frames, perception, source)
    if min_faces is None:
        min_faces = MIN_FACES_PHOTOS if source == "photos" else MIN_FACES_VIDEO
    reference = reference_for(perception.classifier)
    validate(baseline, reference, n, min_faces)
    if smile is None:
        return baseline
    if hasattr(perception.detector, "reset"):
        perception.detector.reset()
    smiling, n = measure(smile, perception, source)
    baseline = replace(baseline, smile_logp=smiling.logp, smile_faces=smiling.faces)
    smile_min = MIN_FACES_PHOTOS if (smile_source or source) == "photos" else MIN_SMILE_FACES_VIDEO
    refused = smile_refusal(baseline, reference, n, smile_min)
    if refused is not None:
        _refuse(*refused)
    return baseline


def calibration_for(clf: EmotionClassifier, baseline: Baseline | None, strength: float,
                    clip: float) -> Calibration | None:
    """The baseline ready to apply with this model, or None (with a warning) when it was measured
    with another model: a shift measured on one model's output means nothing on another's."""
    if baseline is None or strength == 0:
        return None
    if baseline.model_sha256 != model_identity(clf.info.path):
        log.warning("calibration not applied: it was made with another model (%s...); "
                    "run `trayagent calibrate` again", baseline.model_sha256[:12])
        return None
    return Calibration(baseline, reference_for(clf), strength, clip)


def user_calibration(clf: EmotionClassifier, baseline: Baseline | None, cfg: Config) -> Calibration | None:
    """The user's baseline (loaded by the caller) with their calibration settings, if it applies to this model."""
    return calibration_for(clf, baseline, cfg["calibration.strength"], cfg["calibration.clip"])
