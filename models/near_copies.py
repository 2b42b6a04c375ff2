"""Which test faces have a near-copy in FER2013 train (pixel correlation > 0.99).

    python -m models.near_copies            # writes models/near_copies.json

About 8% of publictest and privatetest do (shared/datasets/fer2013/README.md). A model that
memorised them scores better on FER2013 than it will on a webcam, so the model card also reports
privatetest with them left out. Only indices are kept, never pixels.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from models.data import FER_DATA, load_fer_split

HERE = Path(__file__).resolve().parent
OUT = HERE / "near_copies.json"
THRESHOLD = 0.99


def _unit_rows(images: np.ndarray) -> np.ndarray:
    x = images.reshape(len(images), -1).astype(np.float32)
    x -= x.mean(1, keepdims=True)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norm, 1e-6)  # a flat image correlates with nothing


def near_copies(test: np.ndarray, train: np.ndarray, threshold: float = THRESHOLD, chunk: int = 512) -> list[int]:
    """Indices of `test` images whose Pearson correlation with some train image exceeds `threshold`."""
    t, tr = _unit_rows(test), _unit_rows(train)
    found = []
    for i in range(0, len(t), chunk):
        best = (t[i:i + chunk] @ tr.T).max(1)
        found += [i + j for j in np.flatnonzero(best > threshold).tolist()]
    return found


def load(split: str) -> set[int]:
    return set(json.loads(OUT.read_text())[split])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=FER_DATA)
    args = ap.parse_args()
    train, _ = load_fer_split(args.data, "train")
    result = {"threshold": THRESHOLD}
    for split in ("publictest", "privatetest"):
        images, _ = load_fer_split(args.data, split)
        result[split] = near_copies(images, train)
        print(f"{split}: {len(result[split])} of {len(images)} have a near-copy in train "
              f"({len(result[split]) / len(images):.1%})")
    OUT.write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
