"""Measure a model's neutral reference and store it in the model's metadata (`neutral_reference`).

    python -m models.reference models/emotion.onnx

Personal calibration (trayagent/core/calibration.py) maps a person's relaxed face onto what the
model outputs for a typical neutral face: the mean 4-class log-probabilities over FER2013
publictest's neutral faces (607), read through the product's own classifier, so the reference
follows whatever preprocessing the model declares. `limits` are the 95th percentiles of each
class's deviation from it over the same faces: a calibration reading more happy, stressed or
surprised than 19 in 20 neutral faces is refused as a held expression. `happy_logp`, the mean over
publictest's happy faces, is a typical smile: a person's greeting smile is compared with it to set
their gain (core/calibration.py). publictest is the selection set; privatetest is never read here.
models/export.py calls this for every new model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from models.data import load_fer_split
from models.metadata import set_entry
from trayagent.core.calibration import log_probs
from trayagent.core.emotions import FER7, PRODUCT4

KEY = "neutral_reference"
QUANTILE = 0.95
FER = Path("../shared/datasets/fer2013")


def measure(model: Path, fer: Path = FER) -> dict:
    from trayagent.perception.classifier import EmotionClassifier

    x, y = load_fer_split(fer, "publictest")
    clf = EmotionClassifier(model)

    def read(emotion: str) -> np.ndarray:
        faces = x[y == FER7.index(emotion)]
        return log_probs(np.concatenate([clf.product(clf.predict(list(faces[i:i + 256]), mirror="every face"))
                                         for i in range(0, len(faces), 256)]))

    lp, happy = read("neutral"), read("happy")
    ref = lp.mean(0)
    limits = np.quantile(lp - ref, QUANTILE, axis=0)
    return {"classes": list(PRODUCT4), "logp": [round(float(v), 4) for v in ref],
            "limits": [round(float(v), 4) for v in limits], "quantile": QUANTILE,
            "happy_logp": [round(float(v), 4) for v in happy.mean(0)],
            "data": f"FER2013 publictest neutral faces ({len(lp)}), happy faces ({len(happy)})"}


def write(model: Path, fer: Path = FER, out: Path | None = None) -> dict:
    value = measure(model, fer)
    set_entry(model, KEY, value, out)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--fer", type=Path, default=FER)
    ap.add_argument("--out", type=Path, help="write here instead of changing MODEL in place")
    args = ap.parse_args()
    print(json.dumps(write(args.model, args.fer, args.out)))


if __name__ == "__main__":
    main()
