"""How well a model reads the expressions in a folder-per-class image set (the library behind
`trayagent evaluate`).

Users and IT check the model on their own people and lighting, and compare models to pick the one
that works best for them (the paper's authors' suggestion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trayagent.perception import labelled
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.cv import cv2
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.perception.faces import crop, face_detector, find_face
from trayagent.core.metrics import confusion, summary

NO_FACE = "no face"
BATCH = 256


@dataclass
class Images:
    """The readable images of a labelled set, as grey or colour arrays, with their FER7 labels."""

    labels: list[int] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)


def read_images(found: labelled.LabelledSet, progress: bool) -> Images:
    from tqdm import tqdm

    out = Images()
    for path, label in tqdm(found.items, desc="reading", unit="img", disable=None if progress else True,
                            leave=False):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            out.unreadable.append(path)
            continue
        out.images.append(img)
        out.labels.append(FER7.index(label))
    return out


def evaluate(clf: EmotionClassifier, data: Images, detect_faces: bool, progress: bool = True) -> dict:
    """Metrics for one model. With detect_faces, a picture where no face is found counts as wrong."""
    from tqdm import tqdm

    detector = face_detector(video=False) if detect_faces else None  # the daemon's, untracked
    n = len(data.images)
    n_labels = len(clf.info.labels)
    preds = np.full(n, -1, dtype=np.int64)  # index into clf labels, -1: no face found
    probs4 = np.zeros((n, len(PRODUCT4)), np.float32)
    bar = tqdm(total=n, desc="classifying", unit="img", disable=None if progress else True, leave=False)
    for start in range(0, n, BATCH):
        idx, faces = [], []
        for i in range(start, min(n, start + BATCH)):
            img = data.images[i]
            if detector is not None:
                _, box = find_face(detector, img)
                if box is None:
                    continue
                img = crop(img, box)
            idx.append(i)
            faces.append(img)
        if faces:
            p = clf.predict(faces)
            preds[idx] = p.argmax(1)
            probs4[idx] = clf.product(p)
        bar.update(min(n, start + BATCH) - start)
    bar.close()

    found = preds >= 0
    y7 = np.array(data.labels)
    product_of = {name: PRODUCT4.index(to_product(name)) for name in FER7}
    y4 = np.array([product_of[FER7[y]] for y in y7])
    p4 = np.where(found, probs4.argmax(1), len(PRODUCT4))
    cols4 = len(PRODUCT4) + (1 if detect_faces else 0)
    cm4 = confusion(y4, p4, len(PRODUCT4), cols4)
    s4 = summary(cm4, PRODUCT4)
    result = {
        "model": str(clf.info.path),
        "images": n,
        "faces_found_rate": round(float(found.mean()), 4) if n else 0.0,
        "accuracy_4": s4["accuracy"], "macro_f1_4": s4["macro_f1"], "recall_4": s4["recall"],
        "labels_4": list(PRODUCT4) + ([NO_FACE] if detect_faces else []),
        "confusion_4": cm4.tolist(),
        "accuracy_7": None, "macro_f1_7": None, "recall_7": None, "confusion_7": None,
        "emotions_present": [FER7[i] for i in sorted(set(data.labels))],
    }
    if clf.info.has_fer7:
        p7 = np.where(found, preds, n_labels)
        cm7 = confusion(y7, p7, len(FER7), len(FER7) + (1 if detect_faces else 0))
        s7 = summary(cm7, FER7)
        result.update({"accuracy_7": s7["accuracy"], "macro_f1_7": s7["macro_f1"], "recall_7": s7["recall"],
                       "labels_7": list(FER7) + ([NO_FACE] if detect_faces else []),
                       "confusion_7": cm7.tolist()})
    return result
