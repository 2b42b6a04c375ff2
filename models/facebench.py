"""How often the product finds a face on hard frames, and what it costs: FER2013 publictest faces
placed in 640x480 desk scenes under six conditions, searched by Haar alone and by Haar + YuNet
through the product's own detector (trayagent.perception.faces), one frame at a time.

    python -m models.facebench                 # the table for models/README.md ("Finding faces")
    python -m models.facebench --fit-box       # YuNet's box against Haar's, for YuNet.BOX_TO_HAAR
    python -m models.facebench --accuracy      # 4-class accuracy on found faces: levelling, equalisation

A face counts as found when the box's centre lies inside the true face and its side is 0.5 to 2
times the face's. "none" frames show no face: there, any box is a false alarm. CPU ms is process
time per frame on one thread (Haar's search, plus YuNet's where Haar found nothing).
Publictest only: privatetest stays for the final test.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.data import load_fer_split
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.perception.cv import cv2
from trayagent.perception.face_box import Box
from trayagent.perception.faces import FaceDetector, crop, face_detector, find_face
from trayagent.perception.yunet import YuNet

W, H = 640, 480
CONDITIONS = ("clean", "tilt15", "tilt30", "dark_noisy", "backlit", "small", "none")


def scene(rng: np.random.Generator) -> np.ndarray:
    """A wall of random tone, a desk, a monitor and a shelf: smooth shapes, no faces."""
    y = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    base = rng.uniform(120, 210)
    wall = (base + rng.uniform(-30, 40) * y) * np.ones((1, W), np.float32)
    tint = rng.uniform(0.9, 1.05, 3)
    img = np.dstack([wall * tint[0], wall * tint[1], wall * tint[2]])
    desk = rng.integers(330, 420)
    img[desk:] = rng.uniform(60, 140, 3)
    mx = int(rng.integers(0, W - 160))
    cv2.rectangle(img, (mx, desk - 150), (mx + 160, desk - 10), (35, 35, 35), -1)
    sx = int(rng.integers(0, W - 200))
    cv2.rectangle(img, (sx, 40), (sx + 200, 60), tuple(float(v) for v in rng.uniform(60, 160, 3)), -1)
    return (img + rng.normal(0, 2, img.shape)).clip(0, 255).astype(np.uint8)


def frame(face: np.ndarray | None, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple | None]:
    """A BGR frame and the true face (centre x, centre y, side) or None."""
    img = scene(rng).astype(np.float32)
    if condition == "backlit":  # a bright window behind: the wall near white, the face underexposed
        img = 200 + img * 0.3
    if face is None:
        truth = None
    else:
        side = 80 if condition == "small" else int(rng.integers(150, 200))
        cx, cy = int(rng.integers(side // 2 + 40, W - side // 2 - 40)), int(rng.integers(side // 2 + 30, H - side // 2 - 30))
        f = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        if condition == "backlit":
            f = f * 0.45
        img[cy - side // 2:cy - side // 2 + side, cx - side // 2:cx - side // 2 + side] = f
        truth = (cx, cy, side)
        if condition.startswith("tilt"):
            angle = float(condition[4:]) * rng.choice([-1, 1])
            m = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
            img = cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if condition == "dark_noisy":  # a dim room: a quarter of the light, sensor noise
        img = img * 0.25 + rng.normal(0, 8, img.shape)
    return img.clip(0, 255).astype(np.uint8), truth


def hit(box: Box | None, truth: tuple | None) -> bool:
    if box is None or truth is None:
        return False
    cx, cy, side = truth
    bx, by = box.x + box.w / 2, box.y + box.h / 2
    return abs(bx - cx) < side / 2 and abs(by - cy) < side / 2 and 0.5 <= box.w / side <= 2.0


def frames_for(condition: str, faces: np.ndarray, seed: int):
    rng = np.random.default_rng([seed, CONDITIONS.index(condition)])
    for face in faces:
        yield frame(None if condition == "none" else face, condition, rng)


def find_rates(faces: np.ndarray, seed: int) -> dict:
    detectors = {"haar": FaceDetector(), "haar+yunet": face_detector(video=False)}
    rows = {}
    for condition in CONDITIONS:
        found = {k: 0 for k in detectors}
        cpu = {k: 0.0 for k in detectors}
        for img, truth in frames_for(condition, faces, seed):
            for name, det in detectors.items():
                c = time.process_time()
                _, box = find_face(det, img)
                cpu[name] += time.process_time() - c
                found[name] += hit(box, truth) if truth else box is not None
        n = len(faces)
        rows[condition] = {**{k: round(found[k] / n, 4) for k in detectors},
                           **{f"{k}_cpu_ms": round(cpu[k] / n * 1000, 2) for k in detectors}}
        print(condition, rows[condition], flush=True)
    return rows


def fit_box(faces: np.ndarray, seed: int) -> dict:
    """Where a Haar box sits relative to YuNet's (raw YuNet boxes: BOX_TO_HAAR must be (0, 0, 1) to measure it)."""
    haar, yunet = FaceDetector(), YuNet()
    dx, dy, k = [], [], []
    for img, truth in frames_for("clean", faces, seed):
        _, a = find_face(haar, img)
        b = yunet.find(img)
        if hit(a, truth) and hit(b, truth):
            dx.append((a.x + a.w / 2 - (b.x + b.w / 2)) / b.h)
            dy.append((a.y + a.h / 2 - (b.y + b.h / 2)) / b.h)
            k.append(a.w / b.h)
    return {"pairs": len(k), "dx": round(float(np.median(dx)), 3), "dy": round(float(np.median(dy)), 3),
            "k": round(float(np.median(k)), 3)}


def accuracy(faces: np.ndarray, labels: np.ndarray, seed: int, model: str | None) -> dict:
    """4-class accuracy on the faces Haar + YuNet finds, levelled or not, equalised or not."""
    from trayagent.perception.classifier import EmotionClassifier

    clf = EmotionClassifier(model)
    pre = clf.info.preprocessing
    product_of = {name: PRODUCT4.index(to_product(name)) for name in FER7}
    y4 = np.array([product_of[FER7[y]] for y in labels])
    det = face_detector(video=False)
    det.level = True  # keep YuNet's eyes, to compare levelled crops with plain ones
    out = {}
    for condition in CONDITIONS[:-1]:
        crops = {"levelled": [], "unlevelled": []}
        idx = []
        for i, (img, truth) in enumerate(frames_for(condition, faces, seed)):
            _, box = find_face(det, img)
            if not hit(box, truth):
                continue
            idx.append(i)
            crops["levelled"].append(crop(img, box))
            crops["unlevelled"].append(crop(img, replace(box, eyes=None)))
        row = {"found": len(idx)}
        for eq in ("hist", None):
            clf.info = replace(clf.info, preprocessing=replace(pre, equalize=eq))
            for name, c in crops.items():
                p4 = clf.product(clf.predict(c)).argmax(1) if c else np.zeros(0, int)
                row[f"{name}_{'eq' if eq else 'raw'}"] = round(float((p4 == y4[idx]).mean()), 4) if idx else None
        out[condition] = row
        print(condition, row, flush=True)
    clf.info = replace(clf.info, preprocessing=pre)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("-n", type=int, default=600, help="publictest faces per condition")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fit-box", action="store_true")
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--model", help="emotion model for --accuracy (default: the shipped one)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    images, labels = load_fer_split(args.data, "publictest")
    pick = np.random.default_rng(args.seed).permutation(len(images))[:args.n]
    faces, labels = images[pick], labels[pick]
    faces = np.stack([cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) for f in faces])
    if args.fit_box:
        result = fit_box(faces, args.seed)
    elif args.accuracy:
        result = accuracy(faces, labels, args.seed, args.model)
    else:
        result = find_rates(faces, args.seed)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
