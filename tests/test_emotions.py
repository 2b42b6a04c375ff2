"""The 7-to-4 grouping: angry+disgust+sad -> stress, fear+surprise -> surprise."""

import numpy as np
import pytest

from trayagent.core.emotions import FER7, PRODUCT4, grouping_matrix, to_product


@pytest.mark.parametrize("emotion, product", [
    ("angry", "stress"), ("disgust", "stress"), ("sad", "stress"),
    ("fear", "surprise"), ("surprise", "surprise"),
    ("happy", "happy"), ("neutral", "neutral"),
])
def test_each_emotion_maps_to_its_product_class(emotion, product):
    assert to_product(emotion) == product


def test_grouped_probabilities_are_sums_of_members():
    probs7 = np.array([[0.1, 0.05, 0.15, 0.2, 0.1, 0.25, 0.15]], np.float32)
    probs4 = probs7 @ grouping_matrix(FER7)
    expected = {"happy": 0.2, "neutral": 0.15, "stress": 0.1 + 0.05 + 0.1, "surprise": 0.15 + 0.25}
    assert probs4[0] == pytest.approx([expected[c] for c in PRODUCT4])
    assert probs4.sum() == pytest.approx(1.0)


def test_a_four_class_model_maps_to_itself():
    labels = ("surprise", "stress", "neutral", "happy")  # any order a model may use
    m = grouping_matrix(labels)
    p = np.array([[0.1, 0.2, 0.3, 0.4]])
    assert (p @ m)[0] == pytest.approx([0.4, 0.3, 0.2, 0.1])


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="contempt"):
        grouping_matrix(("happy", "contempt"))
