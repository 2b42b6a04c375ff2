"""Where reading the mirror image pays: the `mirror` margin of a model, measured on publictest.

    python -m models.mirror models/emotion.onnx

Averaging a face's reading with its mirror image's costs a second pass of the network and changes
the answer mostly where the first reading is a near tie. The product (classifier.py) reads the
mirror image only where the two likeliest of its four classes are closer than the margin. This
reads publictest (the selection set; privatetest is never read here) once plain and once mirrored,
and keeps the smallest margin that loses nothing on the product's four classes and at most
MAX_7CLASS_LOSS on the seven emotions against mirroring every face. models/export.py's models and
models/ensemble.py's (with :mirror) carry {"margin": 1}, every face, until this is run.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.data import load_fer_split
from models.metadata import set_entry

FER = Path("../shared/datasets/fer2013")
KEY = "mirror"
MARGINS = tuple(round(m, 2) for m in np.arange(0.0, 1.0, 0.05))
MAX_7CLASS_LOSS = 0.005


def measure(model: Path, fer: Path = FER) -> dict:
    from trayagent.core.emotions import FER7, PRODUCT4, to_product
    from trayagent.perception.classifier import EmotionClassifier

    x, y = load_fer_split(fer, "publictest")
    clf = EmotionClassifier(model)
    clf.info = replace(clf.info, mirror_margin=None)  # each pass by itself
    faces = np.stack([clf.prepare(f) for f in x])
    plain = np.concatenate([clf.predict_prepared(faces[i:i + 256]) for i in range(0, len(faces), 256)])
    mirrored = np.concatenate([clf.predict_prepared(np.ascontiguousarray(faces[i:i + 256][..., ::-1]))
                               for i in range(0, len(faces), 256)])
    y4 = np.array([PRODUCT4.index(to_product(FER7[k])) for k in y])
    top = np.sort(clf.product(plain), axis=1)
    gap = top[:, -1] - top[:, -2]

    def accuracy(close: np.ndarray) -> tuple[float, float, float]:
        probs = np.where(close[:, None], (plain + mirrored) / 2, plain)
        right4 = clf.product(probs).argmax(1) == y4
        right7 = probs.argmax(1) == y if clf.info.has_fer7 else right4  # a 4-class model: 4 classes twice
        return float(right4.mean()), float(right7.mean()), float(close.mean())

    always = accuracy(np.full(len(y), True))
    table = {m: accuracy(gap < m) for m in MARGINS}
    margin = next((m for m, (a4, a7, _) in table.items() if a4 >= always[0] and a7 >= always[1] - MAX_7CLASS_LOSS),
                  1.0)
    chosen = table.get(margin, always)
    return {"margin": margin, "mirrored_share": round(chosen[2], 3),
            "accuracy_4_7": [round(chosen[0], 4), round(chosen[1], 4)],
            "every_face_4_7": [round(always[0], 4), round(always[1], 4)],
            "data": f"FER2013 publictest ({len(y)} faces)",
            "scan": {str(m): [round(v, 4) for v in t] for m, t in table.items()}}


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
    value = write(args.model, args.fer, args.out)
    print("margin  mirrored  4-class  7-class (publictest)")
    for m, (a4, a7, share) in value["scan"].items():
        print(f"{float(m):6.2f}  {share:8.1%}  {a4:7.2%}  {a7:7.2%}")
    a4, a7 = value["every_face_4_7"]
    print(f"every face  100.0%  {a4:7.2%}  {a7:7.2%}")
    print(f"chosen margin {value['margin']}: {value['mirrored_share']:.1%} of faces read twice")


if __name__ == "__main__":
    main()
