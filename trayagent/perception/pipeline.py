"""Frame -> face -> expression -> Table 3 stress: the paper's three modules in one loop step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.faces import Box, FaceDetector, crop, face_detector, find_face
from trayagent.storage.calls import Sample
from trayagent.core.stress import next_index


@dataclass(frozen=True)
class Observation:
    box: Box | None
    probs: np.ndarray | None  # over the model's labels
    probs4: np.ndarray | None  # over PRODUCT4

    @property
    def emotion(self) -> str | None:
        return None if self.probs4 is None else EmotionClassifier.product_label(self.probs4)


class Perception:
    """Stateless per frame: the frame is dropped as soon as this returns; only numbers leave."""

    def __init__(self, model: Path | str | None = None, detector: FaceDetector | None = None,
                 classifier: EmotionClassifier | None = None) -> None:
        self.detector = detector or face_detector(video=True)
        self.classifier = classifier or EmotionClassifier(model)

    def observe(self, frame_bgr: np.ndarray) -> Observation:
        gray, box = self.find_face(frame_bgr)
        return self.classify(frame_bgr, gray, box)

    def find_face(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, Box | None]:
        return find_face(self.detector, frame_bgr)

    def classify(self, frame_bgr: np.ndarray, gray: np.ndarray, box: Box | None) -> Observation:
        if box is None:
            return Observation(None, None, None)
        color = self.classifier.info.preprocessing.color != "gray"
        probs = self.classifier.predict([crop(frame_bgr if color else gray, box)])[0]
        return Observation(box, probs, self.classifier.product(probs))


class StressTracker:
    """One call's index: starts at 0 (paper IV) and moves by Table 3 with each observation."""

    def __init__(self) -> None:
        self.index = 0.0
        self.samples = 0

    def sample(self, time: datetime, obs: Observation) -> Sample:
        self.index = next_index(self.index, obs.emotion)
        self.samples += 1
        probs = None if obs.probs4 is None else tuple(float(p) for p in obs.probs4)
        return Sample(time, obs.emotion, self.index, probs)
