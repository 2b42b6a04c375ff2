"""Training data: FER2013's canonical splits and any folder-per-class image set."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import cv2
import numpy as np

from trayagent.core.emotions import FER7
from trayagent.perception import labelled

CACHE = Path(__file__).resolve().parent.parent / ".cache"
# The one default for where FER2013 lives: beside the checkout, as CI lays it out.
SHARED = Path(os.environ.get("TRAYAGENT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
FER_DATA = SHARED / "datasets" / "fer2013"

# FER+ vote columns, in the file's order; contempt counts as disgust (both are stress to the product),
# "unknown" and "not a face" are no emotion and are left out of the target.
FERPLUS_COLUMNS = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt", "unknown", "noface")
_FERPLUS_TO_FER7 = {"contempt": "disgust"}


def load_fer_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 48, 48) uint8 faces and (N,) FER7 labels; the decoded images are cached in .cache/."""
    root = Path(root)
    cached = CACHE / f"{split}.npy"
    if cached.exists():
        images = np.load(cached)
    else:
        with lzma.open(root / f"{split}.images.npy.xz") as f:
            images = np.load(f)
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


def ferplus_targets(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """FER+ crowd votes as (N, 7) distributions over FER7, and a mask of the rows that have them.

    A row without votes (not matched to FER+) or whose annotators mostly said "not a face" has
    mask False: such rows keep their FER2013 label alone.
    """
    votes = np.load(Path(root) / f"{split}.ferplus_votes.npy").astype(np.float32)
    dist = np.zeros((len(votes), len(FER7)), dtype=np.float32)
    for col, name in enumerate(FERPLUS_COLUMNS[:8]):
        dist[:, FER7.index(_FERPLUS_TO_FER7.get(name, name))] += votes[:, col]
    emotional = dist.sum(1)
    mask = (emotional > 0) & (votes[:, 9] < emotional)
    dist[mask] /= emotional[mask, None]
    return dist, mask
