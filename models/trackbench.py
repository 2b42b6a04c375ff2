"""How the daemon's face tracking reads a call: FER2013 publictest faces as a moving video, read by the
product's Perception frame by frame, with the face's look guiding Haar (shipped) and without it
(the search around the last face alone, as before).

    python -m models.trackbench            # the table in models/README.md ("Finding faces in a call")

The video: a desk scene; each face is shown for 4 frames, moving a few pixels between frames and
wandering and changing size by up to 5% between faces, as a seated agent whose expression changes.
Every 25th face is followed by 3 frames of the empty scene (the agent leans away): a box there is a
face that is not there. Per frame: found, 4-class accuracy, the box's side over a full Haar search's
side on the same frame, and detection CPU. Publictest only: privatetest stays for the final test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from models.data import load_fer_split
from models.facebench import scene
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.perception.cv import cv2
from trayagent.perception.faces import FaceDetector
from trayagent.perception.pipeline import Perception

FRAMES_EACH = 4
GAP_EVERY = 25


def paste(background: np.ndarray, face: np.ndarray, height: int, cx: int, cy: int) -> np.ndarray:
    out = background.copy()
    f = cv2.resize(cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), (height, height), interpolation=cv2.INTER_CUBIC)
    x0, y0 = cx - height // 2, cy - height // 2
    out[y0:y0 + height, x0:x0 + height] = f
    return out


def video(faces: np.ndarray, labels: np.ndarray, seed: int):
    """(frame, 4-class label or -1 for an empty frame) in order."""
    rng = np.random.default_rng(seed)
    background = scene(rng)
    cx, cy, height = 320, 230, 200
    for i, (face, label) in enumerate(zip(faces, labels)):
        cx = int(np.clip(cx + rng.integers(-10, 11), 160, 480))
        cy = int(np.clip(cy + rng.integers(-6, 7), 140, 320))
        height = int(np.clip(height * rng.uniform(0.95, 1.05), 150, 260))
        y4 = PRODUCT4.index(to_product(FER7[label]))
        for _ in range(FRAMES_EACH):
            yield paste(background, face, height, cx + int(rng.integers(-4, 5)), cy + int(rng.integers(-3, 4))), y4
        if i % GAP_EVERY == GAP_EVERY - 1:
            for _ in range(3):
                yield background, -1


def read(faces: np.ndarray, labels: np.ndarray, seed: int, look: bool) -> dict:
    perception = Perception()
    if not look:  # the look never guesses: every frame is searched around the last face
        perception.detector._look.where = lambda roi, side: None  # type: ignore[method-assign]
    full = FaceDetector()
    pred, truth, ratio, cpu = [], [], [], 0.0
    for frame, y4 in video(faces, labels, seed):
        c = time.process_time()
        gray, box = perception.find_face(frame)
        cpu += time.process_time() - c
        reading = perception.classify(frame, gray, box)
        pred.append(-1 if reading.probs4 is None else int(np.argmax(reading.probs4)))
        truth.append(y4)
        other = full.detect(gray) if box is not None and y4 >= 0 else None
        if other is not None:
            ratio.append(box.w / other.w)
    p, t = np.array(pred), np.array(truth)
    face = t >= 0
    return {"frames": len(p), "found": round(float((p[face] >= 0).mean()), 4),
            "accuracy_4": round(float((p[face] == t[face]).mean()), 4),
            "accuracy_4_found": round(float((p[face] == t[face])[p[face] >= 0].mean()), 4),
            "boxes_without_a_face": int((p[~face] >= 0).sum()), "empty_frames": int((~face).sum()),
            "side_over_full_search": [round(float(q), 3) for q in np.percentile(ratio, [5, 50, 95])],
            "detection_cpu_ms": round(cpu * 1000 / len(p), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("-n", type=int, default=800, help="publictest faces (4 frames each)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    images, labels = load_fer_split(args.data, "publictest")
    pick = np.random.default_rng(args.seed).permutation(len(images))[:args.n]
    result = {}
    for name, look in (("without the look", False), ("with the look (shipped)", True)):
        result[name] = read(images[pick], labels[pick], args.seed, look)
        print(name, result[name], flush=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
