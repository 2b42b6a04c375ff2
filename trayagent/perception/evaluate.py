"""How well a model reads the expressions in a folder-per-class image set (the library behind
`trayagent evaluate`).

Users and IT check the model on their own people and lighting, and compare models to pick the one
that works best for them (the paper's authors' suggestion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trayagent.core.calibration import Baseline, Calibration, log_probs
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.core.errors import TrayagentError
from trayagent.core.metrics import confusion, summary
from trayagent.i18n import _
from trayagent.perception import labelled
from trayagent.perception.classifier import Adjust, EmotionClassifier, Mirror
from trayagent.perception.cv import read_image
from trayagent.perception.faces import crop, face_detector, find_face
from trayagent.perception.model_baseline import model_identity, reference_for

NO_FACE = "no face"
BATCH = 256


@dataclass
class Images:
    """A labelled set's pictures by file, with their FER7 labels. Pictures are decoded one at a
    time as they are read, never kept: memory stays bounded whatever the folder's size."""

    labels: list[int] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # each image's file (--per-person reads names)
    unreadable: list[Path] = field(default_factory=list)  # found so far (by read_faces)

    def __len__(self) -> int:
        return len(self.paths)

    def drop(self, keep: np.ndarray) -> None:
        """Forget the pictures that could not be read, noting them as unreadable."""
        self.unreadable += [p for p, k in zip(self.paths, keep) if not k]
        self.paths = [p for p, k in zip(self.paths, keep) if k]
        self.labels = [y for y, k in zip(self.labels, keep) if k]


def read_images(found: labelled.LabelledSet, progress: bool = False) -> Images:
    """The set's pictures, to be decoded as `read_faces` reaches them."""
    out = Images()
    for path, label in found.items:
        out.paths.append(path)
        out.labels.append(FER7.index(label))
    return out


def read_faces(clf: EmotionClassifier, data: Images, detect_faces: bool,
               progress: bool = True, mirror: Mirror = "where close") -> tuple[np.ndarray, np.ndarray]:
    """Each picture's prediction over the model's labels (-1: no face found, or no finite reading)
    and its 4-class probabilities, uncalibrated, the mirror image read as `mirror` says
    (EmotionClassifier.predict). Pictures that cannot be decoded (or are larger than
    MAX_IMAGE_PIXELS) are dropped from `data` and listed in `data.unreadable`."""
    from tqdm import tqdm

    detector = face_detector(video=False) if detect_faces else None  # the daemon's, untracked
    n = len(data)
    preds = np.full(n, -1, dtype=np.int64)  # index into clf labels, -1: no face found
    probs4 = np.zeros((n, len(PRODUCT4)), np.float32)
    readable = np.ones(n, bool)
    bar = tqdm(total=n, desc="classifying", unit="img", disable=None if progress else True, leave=False)
    for start in range(0, n, BATCH):
        idx, faces = [], []
        for i in range(start, min(n, start + BATCH)):
            img = read_image(data.paths[i])
            if img is None:
                readable[i] = False
                continue
            if detector is not None:
                _gray, box = find_face(detector, img)
                if box is None:
                    continue
                img = crop(img, box)
            idx.append(i)
            faces.append(clf.prepare(img))  # the model's small input; the picture itself is let go
        if faces:
            p = clf.predict_prepared(np.stack(faces), mirror=mirror)
            ok = clf.readable(p)
            idx_ok = np.asarray(idx)[ok]
            preds[idx_ok] = p[ok].argmax(1)
            probs4[idx_ok] = clf.product(p[ok])
        bar.update(min(n, start + BATCH) - start)
    bar.close()
    if not readable.all():
        data.drop(readable)
        if not len(data):
            raise TrayagentError(_("none of the {n} image files could be read (e.g. {example})").format(
                n=n, example=data.unreadable[0]))
    return preds[readable], probs4[readable]


Read = tuple[np.ndarray, np.ndarray]  # read_faces' (predictions, 4-class probabilities)


def read_twice(clf: EmotionClassifier, data: Images, detect_faces: bool, progress: bool = True) -> tuple[Read, Read]:
    """Every face read alone and with its mirror image, so that figures through a calibration can
    judge where the mirror is read after it, as the daemon does (`as_read`)."""
    return (read_faces(clf, data, detect_faces, progress, mirror="none"),
            read_faces(clf, data, detect_faces, progress, mirror="every face"))


def as_read(clf: EmotionClassifier, once: Read, every: Read, through: Adjust | None = None) -> Read:
    """The faces as the product reads them through `through` (a calibration, or None): each face's
    mirror image averaged in where the classifier's rule says."""
    close = clf.mirror_where(once[1], through)
    return np.where(close, every[0], once[0]), np.where(close[:, None], every[1], once[1])


def _truth4(data: Images) -> np.ndarray:
    product_of = {name: PRODUCT4.index(to_product(name)) for name in FER7}
    return np.array([product_of[FER7[y]] for y in data.labels], dtype=np.int64)


def _confusion4(y4: np.ndarray, probs4: np.ndarray, found: np.ndarray, detect_faces: bool) -> np.ndarray:
    p4 = np.where(found, probs4.argmax(1), len(PRODUCT4))
    return confusion(y4, p4, len(PRODUCT4), len(PRODUCT4) + (1 if detect_faces else 0))


def evaluate(clf: EmotionClassifier, data: Images, detect_faces: bool, progress: bool = True,
             calibration: Calibration | None = None) -> dict:
    """Metrics for one model. With detect_faces, a picture where no face is found counts as wrong.
    With a calibration, the 4-class figures are read through it (the 7-class ones never are)."""
    if calibration is None:
        preds, probs4 = read_faces(clf, data, detect_faces, progress)
        return _metrics(clf, data, detect_faces, preds, probs4)
    once, every = read_twice(clf, data, detect_faces, progress)
    preds = as_read(clf, once, every)[0]  # the 7 classes are never calibrated
    return _metrics(clf, data, detect_faces, preds, as_read(clf, once, every, calibration.apply)[1], calibration)


def _metrics(clf: EmotionClassifier, data: Images, detect_faces: bool, preds: np.ndarray, probs4: np.ndarray,
             calibration: Calibration | None = None) -> dict:
    probs4 = probs4.copy()
    n = len(data)
    n_labels = len(clf.info.labels)
    found = preds >= 0
    if calibration is not None and found.any():
        probs4[found] = calibration.apply(probs4[found])
    y7 = np.array(data.labels)
    cm4 = _confusion4(_truth4(data), probs4, found, detect_faces)
    s4 = summary(cm4, PRODUCT4)
    result = {
        "model": str(clf.info.path),
        "images": n,
        "faces_found_rate": round(float(found.mean()), 4) if n else 0.0,
        "calibration": None if calibration is None else f"your baseline of {calibration.baseline.created}",
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


def people(data: Images, pattern: str) -> list[str]:
    """Each picture's person: the regex's first group, searched in the file name."""
    rx = re.compile(pattern)
    if rx.groups < 1:
        raise TrayagentError(_("--per-person {pattern!r}: the pattern needs a group, e.g. '^([A-Z]{{2}})\\.'").format(
            pattern=pattern))
    names, unmatched = [], []
    for path in data.paths:
        m = rx.search(path.name)
        if m is None or not m.group(1):
            unmatched.append(path.name)
            names.append("")
        else:
            names.append(m.group(1))
    if unmatched:
        raise TrayagentError(_("--per-person {pattern!r}: {n} file names name no person (e.g. {example!r})").format(
            pattern=pattern, n=len(unmatched), example=unmatched[0]))
    return names


def _person_figures(cm_plain: np.ndarray, cm_cal: np.ndarray, cm_smile: np.ndarray) -> dict:
    """One person's accuracy, macro F1 and recall read as they are, calibrated, and calibrated with a smile."""
    s, sc, ss = summary(cm_plain, PRODUCT4), summary(cm_cal, PRODUCT4), summary(cm_smile, PRODUCT4)
    return {"accuracy_4": s["accuracy"], "accuracy_4_calibrated": sc["accuracy"],
            "accuracy_4_calibrated_smile": ss["accuracy"],
            "macro_f1_4": s["macro_f1"], "macro_f1_4_calibrated": sc["macro_f1"],
            "macro_f1_4_calibrated_smile": ss["macro_f1"],
            "recall_4": s["recall"], "recall_4_calibrated": sc["recall"],
            "recall_4_calibrated_smile": ss["recall"]}


def per_person(clf: EmotionClassifier, data: Images, detect_faces: bool, pattern: str, strength: float,
               clip: float, progress: bool = True) -> dict:
    """`evaluate --per-person`: the whole set read as it is, and each person's pictures calibrated on
    one of their own neutral pictures, that picture left out, averaged over every choice of it; and
    calibrated with a smile too: one neutral and one happy picture of theirs, both left out, every
    pair averaged (`..._calibrated_smile`).

    A person's calibrated confusion matrix is the mean over their choices (so it counts their other
    pictures once, as fractions); the set's is the sum over people. A person with no neutral picture
    whose face is found cannot be calibrated: their pictures count as read uncalibrated; one with no
    happy picture counts as calibrated without a smile.
    """
    people(data, pattern)  # every name checked before the long part
    once, every = read_twice(clf, data, detect_faces, progress)
    names = people(data, pattern)  # of the pictures that could be read
    preds, probs4 = as_read(clf, once, every)
    result = _metrics(clf, data, detect_faces, preds, probs4)
    averaged = every[1]  # as `calibrate` reads a baseline: every face with its mirror image
    found = preds >= 0
    y4 = _truth4(data)
    neutral, happy = PRODUCT4.index("neutral"), PRODUCT4.index("happy")
    reference = reference_for(clf)
    sha = model_identity(clf.info.path)
    cm_all = np.zeros((len(PRODUCT4), len(PRODUCT4) + (1 if detect_faces else 0)), np.float64)
    cm_all_smile = cm_all.copy()

    def calibrated(idx: np.ndarray, pairs: list[tuple[int, int | None]], plain: np.ndarray) -> np.ndarray:
        """The mean confusion matrix over calibrations on (neutral, smile or None), both left out."""
        cm = np.zeros(plain.shape, np.float64)
        for c, h in pairs:
            baseline = Baseline(tuple(log_probs(averaged[c])), 1, sha, "", 0.0, 0.0, "photos",
                                smile_logp=None if h is None else tuple(log_probs(averaged[h])), smile_faces=1)
            cal = Calibration(baseline, reference, strength, clip)
            rest = idx[(idx != c) & (idx != (-1 if h is None else h))]
            p = as_read(clf, once, every, cal.apply)[1][rest].copy()
            p[found[rest]] = cal.apply(p[found[rest]])
            cm += _confusion4(y4[rest], p, found[rest], detect_faces)
        return cm / len(pairs) if pairs else plain.astype(np.float64)

    persons = {}
    for person in sorted(set(names)):
        idx = np.array([i for i, n in enumerate(names) if n == person])
        cm_plain = _confusion4(y4[idx], probs4[idx], found[idx], detect_faces)
        choices = [i for i in idx if y4[i] == neutral and found[i]]
        smiles = [i for i in idx if y4[i] == happy and found[i]]
        cm_cal = calibrated(idx, [(c, None) for c in choices], cm_plain)
        cm_smile = calibrated(idx, [(c, h) for c in choices for h in smiles], cm_plain) if smiles else cm_cal
        cm_all += cm_cal
        cm_all_smile += cm_smile
        persons[person] = {"images": int(len(idx)), "neutral_choices": len(choices), "smile_choices": len(smiles),
                           **_person_figures(cm_plain, cm_cal, cm_smile)}
    result.update({"per_person_pattern": pattern, "calibration_strength": strength, "calibration_clip": clip,
                   "reference": reference.source, **_calibrated_figures("", cm_all),
                   **_calibrated_figures("_smile", cm_all_smile), "per_person": persons})
    return result


def _calibrated_figures(suffix: str, cm: np.ndarray) -> dict:
    """The whole set's calibrated figures, named as `evaluate --json` reports them."""
    s = summary(cm, PRODUCT4)
    return {f"accuracy_4_calibrated{suffix}": s["accuracy"], f"macro_f1_4_calibrated{suffix}": s["macro_f1"],
            f"recall_4_calibrated{suffix}": s["recall"], f"confusion_4_calibrated{suffix}": np.round(cm, 4).tolist()}
