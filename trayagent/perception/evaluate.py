"""`trayagent evaluate DIR`: how well a model reads the expressions in a folder-per-class image set.

Users and IT check the model on their own people and lighting, and compare models to pick the one
that works best for them (the paper's authors' suggestion).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trayagent.perception import labelled
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.cv import cv2
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.core.errors import TrayagentError
from trayagent.perception.faces import FaceDetector, crop
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

    detector = FaceDetector() if detect_faces else None
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
                box = detector.detect(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
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


def _matrix_text(matrix: list[list[int]], rows: list[str], cols: list[str]) -> list[str]:
    width = max(7, *(len(c) for c in cols))
    lines = [" " * 10 + "".join(f"{c:>{width + 1}}" for c in cols) + "   <- predicted"]
    for name, row in zip(rows, matrix):
        lines.append(f"{name:>10}" + "".join(f"{v:>{width + 1}}" for v in row))
    return lines


def text_report(r: dict) -> str:
    lines = [f"model: {r['model']}", f"images: {r['images']}, faces found: {r['faces_found_rate']:.1%}",
             f"4 classes: accuracy {r['accuracy_4']:.1%}, macro-F1 {r['macro_f1_4']:.3f}",
             "  recall: " + ", ".join(f"{k} {v:.1%}" for k, v in r["recall_4"].items())]
    lines += _matrix_text(r["confusion_4"], list(PRODUCT4), r["labels_4"])
    if r["accuracy_7"] is not None:
        lines += [f"7 emotions: accuracy {r['accuracy_7']:.1%}, macro-F1 {r['macro_f1_7']:.3f}",
                  "  recall: " + ", ".join(f"{k} {v:.1%}" for k, v in r["recall_7"].items())]
        lines += _matrix_text(r["confusion_7"], list(FER7), r["labels_7"])
    return "\n".join(lines)


def command(args) -> int:
    from trayagent import config as config_mod

    found = labelled.scan(Path(args.dir))
    progress = not args.json
    for name in found.skipped_folders:
        print(f"skipped folder {name!r}: not an emotion trayagent knows", file=sys.stderr)
    if found.skipped_files:
        print(f"skipped {len(found.skipped_files)} files that are not images (e.g. {found.skipped_files[0]})",
              file=sys.stderr)
    models = args.model or [config_mod.load()["model.path"] or None]
    classifiers = [EmotionClassifier(m) for m in models]  # every model checked before the long part
    data = read_images(found, progress)
    for path in data.unreadable[:5]:
        print(f"skipped unreadable image {path}", file=sys.stderr)
    if len(data.unreadable) > 5:
        print(f"... and {len(data.unreadable) - 5} more unreadable images", file=sys.stderr)
    if not data.images:
        raise TrayagentError(f"{args.dir}: none of the {len(found.items)} image files could be read")
    results = []
    for clf in classifiers:
        r = evaluate(clf, data, args.detect_faces, progress)
        r["skipped_folders"] = found.skipped_folders
        r["unreadable"] = [str(p) for p in data.unreadable]
        results.append(r)
    best = max(results, key=lambda r: (r["macro_f1_4"], r["accuracy_4"]))
    if args.json:
        out = results[0] if len(results) == 1 else {"models": results, "best": best["model"]}
        print(json.dumps(out, indent=2))
    else:
        print("\n\n".join(text_report(r) for r in results))
        if len(results) > 1:
            print(f"\nbest on these pictures (4-class macro-F1): {best['model']}")
    return 0
