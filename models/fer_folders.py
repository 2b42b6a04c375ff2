"""Write a FER2013 split as a folder-per-class image set, the form `trayagent evaluate` reads.

    python -m models.fer_folders privatetest /tmp/fer-privatetest
"""

from __future__ import annotations

import argparse
import lzma
from pathlib import Path

import cv2
import numpy as np

from trayagent.core.emotions import FER7


def write(data: Path, split: str, out: Path) -> int:
    with lzma.open(data / f"{split}.images.npy.xz") as f:
        images = np.load(f)
    labels = np.load(data / f"{split}.labels.npy")
    for name in FER7:
        (out / name).mkdir(parents=True, exist_ok=True)
    for i, (img, y) in enumerate(zip(images, labels)):
        cv2.imwrite(str(out / FER7[y] / f"{split}-{i:05d}.png"), img)
    return len(images)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split", choices=["train", "publictest", "privatetest"])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    args = ap.parse_args()
    print(f"wrote {write(args.data, args.split, args.out)} images to {args.out}")


if __name__ == "__main__":
    main()
