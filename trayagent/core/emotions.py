"""The one place for emotion class names, their order and the paper's 7-to-4 grouping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# FER2013's label order: a model trained on it emits probabilities in this order.
FER7: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

# The product's classes (paper, section III), in the order used in CSVs, graphs and metrics.
PRODUCT4: tuple[str, ...] = ("happy", "neutral", "stress", "surprise")

GROUP: dict[str, str] = {
    "angry": "stress",
    "disgust": "stress",
    "sad": "stress",
    "fear": "surprise",
    "surprise": "surprise",
    "happy": "happy",
    "neutral": "neutral",
}

# Folder names people use for labelled image sets (CK+, KDEF, AffectNet exports, ...).
FOLDER_ALIASES: dict[str, str] = {
    **{name: name for name in FER7},
    "anger": "angry",
    "happiness": "happy",
    "sadness": "sad",
}


class UnknownLabel(ValueError):
    """A model's class name that is neither a FER2013 emotion nor one of PRODUCT4."""

    def __init__(self, label: str) -> None:
        super().__init__(f"label {label!r} is neither a FER2013 emotion nor a product class")
        self.label = label


def grouping_matrix(labels: Sequence[str]) -> np.ndarray:
    """Matrix M (len(labels) x 4) with probs4 = probs @ M; works for 7-class and 4-class label sets."""
    import numpy as np  # here, not at the top: `trayagent call start` must start fast

    m = np.zeros((len(labels), len(PRODUCT4)), dtype=np.float32)
    for i, label in enumerate(labels):
        product = label if label in PRODUCT4 else GROUP.get(label)
        if product is None:
            raise UnknownLabel(label)
        m[i, PRODUCT4.index(product)] = 1.0
    return m


def to_product(fer7_label: str) -> str:
    return GROUP[fer7_label]
