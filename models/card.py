"""Measure the shipped model for its card: held-out figures through `trayagent evaluate`, latency.

    python -m models.card models/emotion.onnx

Writes models/metrics.json (what tests/test_model_card.py checks `trayagent evaluate` against) and
prints the Markdown tables that go into models/README.md. privatetest is read here and only here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from models import near_copies
from models.data import FER_DATA, SHARED
from models.fer_folders import write as write_folders
from trayagent.core.emotions import FER7, PRODUCT4
from trayagent.perception.classifier import EmotionClassifier

HERE = Path(__file__).resolve().parent
JAFFE = SHARED / "datasets" / "jaffe-dev" / "images"
JAFFE_PERSON = r"^([A-Z]{2})\."


def product(*args: str) -> dict:
    """`trayagent ARGS --json` as a user runs it, in an empty data folder (no settings, no calibration)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TRAYAGENT_HOME": home}
        done = subprocess.run([sys.executable, "-m", "trayagent", *args, "--json"], capture_output=True, text=True,
                              env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"trayagent {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def held_out(model: Path, data: Path, split: str, leave_out: set[int] = frozenset()) -> dict:
    """`trayagent evaluate` on a FER2013 split written as folders, some faces left out by index."""
    with tempfile.TemporaryDirectory() as tmp:
        write_folders(data, split, Path(tmp))
        for i in leave_out:
            for f in Path(tmp).glob(f"*/{split}-{i:05d}.png"):
                f.unlink()
        result = product("evaluate", tmp, "--model", str(model))
    result.pop("model")
    return result


def jaffe_dev(model: Path) -> dict:
    """Whole photos through the daemon's face finding, per person, calibrated on each one's own
    neutral photos, and with a smile too (`trayagent evaluate --per-person`)."""
    result = product("evaluate", str(JAFFE), "--detect-faces", "--per-person", JAFFE_PERSON, "--model", str(model))
    result.pop("model")
    return result


def latency_ms(model: Path, runs: int = 2000) -> dict:
    """One face, one CPU thread, as the daemon runs it (preparation included)."""
    clf = EmotionClassifier(model, threads=1)
    face = np.random.default_rng(0).integers(0, 255, (96, 96), dtype=np.uint8)
    for _ in range(50):
        clf.predict([face])
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        clf.predict([face])
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {"median_ms": round(statistics.median(wall), 3), "p95_ms": round(sorted(wall)[int(runs * 0.95)], 3),
            "cpu_median_ms": round(statistics.median(cpu), 3)}


def matrix_md(matrix: list[list[int]], rows: list[str], cols: list[str]) -> str:
    lines = ["| true \\ predicted | " + " | ".join(cols) + " | recall |", "|---" * (len(cols) + 2) + "|"]
    for name, row in zip(rows, matrix):
        total = sum(row)
        lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) +
                     f" | {row[rows.index(name)] / total:.1%} |" if total else f"| {name} | " + " | ".join(
                         str(v) for v in row) + " | - |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, nargs="?", default=HERE / "emotion.onnx")
    ap.add_argument("--data", type=Path, default=FER_DATA)
    ap.add_argument("--out", type=Path, default=HERE / "metrics.json")
    args = ap.parse_args()
    result = {"model": args.model.name, "size_mb": round(args.model.stat().st_size / 2**20, 2),
              "privatetest": held_out(args.model, args.data, "privatetest"),
              "privatetest_without_near_copies": held_out(args.model, args.data, "privatetest",
                                                          near_copies.load("privatetest")),
              "publictest": held_out(args.model, args.data, "publictest"),
              "jaffe_dev": jaffe_dev(args.model),
              "latency_one_thread": latency_ms(args.model)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    p, d, j = result["privatetest"], result["privatetest_without_near_copies"], result["jaffe_dev"]
    print(f"privatetest: 4-class accuracy {p['accuracy_4']:.2%} macro-F1 {p['macro_f1_4']:.3f}; "
          f"7-class accuracy {p['accuracy_7']:.2%} macro-F1 {p['macro_f1_7']:.3f}")
    print(f"privatetest without near-copies ({d['images']} faces): 4-class {d['accuracy_4']:.2%}, "
          f"7-class {d['accuracy_7']:.2%}")
    print(f"jaffe-dev: 4-class {j['accuracy_4']:.2%} uncalibrated, {j['accuracy_4_calibrated']:.2%} calibrated, "
          f"{j['accuracy_4_calibrated_smile']:.2%} with a smile; recall {j['recall_4']} / {j['recall_4_calibrated']} / "
          f"{j['recall_4_calibrated_smile']}")
    print(f"publictest: 4-class {result['publictest']['accuracy_4']:.2%}, 7-class {result['publictest']['accuracy_7']:.2%}")
    print(f"latency: {result['latency_one_thread']}")
    print()
    print(matrix_md(p["confusion_4"], list(PRODUCT4), list(PRODUCT4)))
    print()
    print(matrix_md(p["confusion_7"], list(FER7), list(FER7)))


if __name__ == "__main__":
    main()
