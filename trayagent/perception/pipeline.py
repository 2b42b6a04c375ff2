"""Frame -> face -> expression -> Table 3 stress: the paper's three modules in one loop step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trayagent.core.calibration import Baseline, Calibration
from trayagent.core.records import Sample, Visibility
from trayagent.perception.brightness import measure
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.face_box import Box
from trayagent.perception.faces import FaceDetector, crop, face_detector, find_face
from trayagent.perception.model_baseline import user_calibration

if TYPE_CHECKING:
    from trayagent.config import Config


@dataclass(frozen=True)
class FaceReading:
    box: Box | None
    probs: np.ndarray | None  # over the model's labels
    probs4: np.ndarray | None  # over PRODUCT4, after the person's calibration if there is one
    calibrated: bool = False  # probs4 went through the person's calibration
    visibility: Visibility | None = None  # how well the face could be seen; None: no frame

    @property
    def emotion(self) -> str | None:
        return None if self.probs4 is None else EmotionClassifier.product_label(self.probs4)

    def sample(self, time: datetime, index: float) -> Sample:
        """This observation as a call's sample at `time`, with the index it moved the call to
        (core.stress.CallStats.step keeps the call's running totals)."""
        probs = None if self.probs4 is None else tuple(float(p) for p in self.probs4)
        return Sample(time, self.emotion, index, probs, self.visibility, self.calibrated and probs is not None)


class Perception:
    """Stateless per frame: the frame is dropped as soon as this returns; only numbers leave.

    `calibration`: the person's calibration applied to every face (core/calibration.py); None reads
    faces as they are. `for_user` builds one with the user's stored baseline.
    """

    def __init__(self, model: Path | str | None = None, detector: FaceDetector | None = None,
                 classifier: EmotionClassifier | None = None, calibration: Calibration | None = None) -> None:
        self.detector = detector or face_detector(video=True)
        self.classifier = classifier or EmotionClassifier(model)
        self.calibration = calibration

    @classmethod
    def for_user(cls, model: Path | str | None, baseline: Baseline | None, cfg: Config) -> Perception:
        """The model reading faces through the user's baseline (the caller loads it from storage)
        when it was made with this model, so the daemon and `analyze` read this user's face alike."""
        classifier = EmotionClassifier(model)
        return cls(classifier=classifier, calibration=user_calibration(classifier, baseline, cfg))

    def observe(self, frame_bgr: np.ndarray) -> FaceReading:
        gray, box = self.find_face(frame_bgr)
        return self.classify(frame_bgr, gray, box)

    def find_face(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, Box | None]:
        return find_face(self.detector, frame_bgr)

    def classify(self, frame_bgr: np.ndarray, gray: np.ndarray, box: Box | None) -> FaceReading:
        seen = measure(gray, box)
        if box is None:
            return FaceReading(None, None, None, visibility=seen)
        color = self.classifier.info.preprocessing.color != "gray"
        through = self.calibration.apply if self.calibration is not None else None
        probs = self.classifier.predict([crop(frame_bgr if color else gray, box)], through)[0]
        probs4 = self.classifier.product(probs)
        calibrated = self.calibration is not None
        if self.calibration is not None:
            probs4 = self.calibration.apply(probs4)
        if not (np.isfinite(probs).all() and np.isfinite(probs4).all()):
            return FaceReading(box, None, None, visibility=seen)  # no reading: NaN must never reach a CSV
        return FaceReading(box, probs, probs4, calibrated, seen)
