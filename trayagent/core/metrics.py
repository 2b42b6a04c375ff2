"""Classification metrics from a confusion matrix. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def confusion(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_true: int, n_pred: int | None = None) -> np.ndarray:
    """Rows are true classes, columns predicted ones (n_pred may exceed n_true: e.g. a "no face" column)."""
    cm = np.zeros((n_true, n_pred or n_true), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def summary(cm: np.ndarray, labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 and per-class recall over the classes present in the truth.

    A class with no true examples has no recall and is left out of the macro average, so a user's
    set without, say, disgust pictures is judged on the emotions it has. Predictions of an absent
    class still count as errors.
    """
    n = len(labels)
    total = float(cm.sum())  # float: averaged (fractional) matrices too, e.g. evaluate --per-person
    correct = float(np.trace(cm[:, :n]))
    present = [i for i in range(n) if cm[i].sum() > 0]
    recall, f1 = {}, []
    for i in present:
        tp = cm[i, i]
        r = tp / cm[i].sum()
        predicted = cm[:, i].sum()
        p = tp / predicted if predicted else 0.0
        recall[labels[i]] = round(float(r), 4)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    return {
        "accuracy": round(correct / total, 4) if total else 0.0,
        "macro_f1": round(float(np.mean(f1)), 4) if f1 else 0.0,
        "recall": recall,
        "present": [labels[i] for i in present],
    }
