"""Metrics against confusion matrices worked out by hand."""

import numpy as np
import pytest

from trayagent.core.metrics import confusion, summary


def test_confusion_counts_pairs():
    cm = confusion([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 3], n_true=3, n_pred=4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 1]]


def test_summary_by_hand():
    # true a: 3 (2 right, 1 as b); true b: 2 (1 right, 1 as a); true c: 1 (right)
    cm = np.array([[2, 1, 0], [1, 1, 0], [0, 0, 1]])
    s = summary(cm, ["a", "b", "c"])
    assert s["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    # a: p=2/3 r=2/3 f=2/3; b: p=1/2 r=1/2 f=1/2; c: p=1 r=1 f=1
    assert s["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3, abs=1e-4)
    assert s["recall"] == pytest.approx({"a": 0.6667, "b": 0.5, "c": 1.0})


def test_missed_faces_count_against_recall_and_accuracy():
    # column 2 is "no face": one image of class a had no face found
    cm = np.array([[1, 0, 1], [0, 2, 0]])
    s = summary(cm, ["a", "b"])
    assert s["accuracy"] == pytest.approx(3 / 4)
    assert s["recall"] == {"a": 0.5, "b": 1.0}


def test_absent_classes_are_left_out_of_the_macro_average():
    cm = np.array([[3, 1, 0], [0, 0, 0], [0, 0, 2]])  # no true "b"; one "a" predicted as "b"
    s = summary(cm, ["a", "b", "c"])
    assert s["present"] == ["a", "c"]
    assert "b" not in s["recall"]
    assert s["accuracy"] == pytest.approx(5 / 6, abs=1e-4)
    f_a = 2 * 1.0 * 0.75 / 1.75
    assert s["macro_f1"] == pytest.approx((f_a + 1.0) / 2, abs=1e-4)
