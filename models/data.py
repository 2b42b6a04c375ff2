"""Training data: FER2013's canonical splits and any folder-per-class image set."""

from __future__ import annotations

import lzma
from pathlib import Path

import cv2
import numpy as np

from trayagent import labelled
from trayagent.emotions import FER7

CACHE = Path(__file__).resolve().parent.parent / ".cache"


def load_fer_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 48, 48) uint8 faces and (N,) FER7 labels; the decoded images are cached in .cache/."""
    root = Path(root)
    cached = CACHE / f"{split}.npy"
    if cached.exists():
        images = np.load(cached)
    else:
        images = np.load(lzma.open(root / f"{split}.images.npy.xz"))
        CACHE.mkdir(exist_ok=True)
        np.save(cached, images)
    return images, np.load(root / f"{split}.labels.npy")


def load_folder_set(root: Path, size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Every readable image of a folder-per-class set as grey size x size faces with FER7 labels."""
    found = labelled.scan(root)
    images, labels = [], []
    for path, label in found.items:
        img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img is None:
            continue
        images.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA))
        labels.append(FER7.index(label))
    return np.stack(images), np.array(labels, dtype=np.uint8)
