"""Frame -> face -> expression -> Table 3 stress: the paper's three modules in one loop step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from trayagent.core.calibration import Calibration
from trayagent.core.records import Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.faces import Box, FaceDetector, crop, face_detector, find_face
from trayagent.perception.visibility import measure

if TYPE_CHECKING:
    from trayagent.config import Config


@dataclass(frozen=True)
class Observation:
    box: Box | None
    probs: np.ndarray | None  # over the model's labels
    probs4: np.ndarray | None  # over PRODUCT4, after the person's calibration if there is one
    calibrated: bool = False  # probs4 went through the person's calibration
    visibility: Visibility | None = None  # how well the face could be seen; None: no frame

    @property
    def emotion(self) -> str | None:
        return None if self.probs4 is None else EmotionClassifier.product_label(self.probs4)

    def record(self, stats: CallStats, time: datetime) -> Sample:
        """This observation as the call's next sample, the index moved by Table 3."""
        index = stats.step(self.emotion, self.calibrated, self.visibility)
        probs = None if self.probs4 is None else tuple(float(p) for p in self.probs4)
        return Sample(time, self.emotion, index, probs, self.visibility)


USER: Literal["user"] = "user"  # Perception(calibration=USER): the user's stored calibration, if one fits the model


class Perception:
    """Stateless per frame: the frame is dropped as soon as this returns; only numbers leave.

    `calibration`: the person's calibration applied to every face (core/calibration.py). By default
    the user's stored baseline, when there is one made with this model, so the daemon, `analyze`
    and anything else reading this user's face apply it alike; None reads faces as they are.
    """

    def __init__(self, model: Path | str | None = None, detector: FaceDetector | None = None,
                 classifier: EmotionClassifier | None = None,
                 calibration: Calibration | Literal["user"] | None = USER, settings: Config | None = None) -> None:
        self.detector = detector or face_detector(video=True)
        self.classifier = classifier or EmotionClassifier(model)
        self._settings = settings  # the caller's, so they are not read (and their problems said) twice
        self.calibration: Calibration | None = None
        if isinstance(calibration, str):  # USER, the only string it takes
            self.recalibrate()
        else:
            self.calibration = calibration

    def recalibrate(self) -> Calibration | None:
        """(Re)read the user's stored calibration, e.g. after `calibrate_from_frames` stored a new one."""
        from trayagent.perception.calibration import user_calibration

        self.calibration = user_calibration(self.classifier, self._settings)
        return self.calibration

    def observe(self, frame_bgr: np.ndarray) -> Observation:
        gray, box = self.find_face(frame_bgr)
        return self.classify(frame_bgr, gray, box)

    def find_face(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, Box | None]:
        return find_face(self.detector, frame_bgr)

    def classify(self, frame_bgr: np.ndarray, gray: np.ndarray, box: Box | None) -> Observation:
        seen = measure(gray, box)
        if box is None:
            return Observation(None, None, None, visibility=seen)
        color = self.classifier.info.preprocessing.color != "gray"
        probs = self.classifier.predict([crop(frame_bgr if color else gray, box)])[0]
        probs4 = self.classifier.product(probs)
        calibrated = self.calibration is not None
        if self.calibration is not None:
            probs4 = self.calibration.apply(probs4)
        if not (np.isfinite(probs).all() and np.isfinite(probs4).all()):
            return Observation(box, None, None, visibility=seen)  # no reading: NaN must never reach a CSV
        return Observation(box, probs, probs4, calibrated, seen)
