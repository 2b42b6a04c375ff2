"""The paper's Tables 2 and 4 done on held-out data: architectures trained the same way, compared.

    python -m models.compare models/runs/compare-xception models/runs/compare-mobilenetv2 ...

For each run: parameters, the epoch publictest picked, publictest and privatetest accuracy and
macro-F1 (4 classes and 7), and latency per face on one CPU thread after ONNX export.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from models.card import latency_ms
from models.data import load_fer_split
from models.export import export, load_checkpoint
from trayagent.core.emotions import FER7, PRODUCT4, grouping_matrix
from trayagent.core.metrics import confusion, summary


@torch.no_grad()
def scores(net, x: np.ndarray, y: np.ndarray) -> dict:
    probs = torch.softmax(net(torch.from_numpy(x).float().unsqueeze(1)), 1).numpy()
    g = grouping_matrix(FER7)
    s7 = summary(confusion(y, probs.argmax(1), 7), FER7)
    s4 = summary(confusion(g[y].argmax(1), (probs @ g).argmax(1), 4), PRODUCT4)
    return {"accuracy_4": s4["accuracy"], "macro_f1_4": s4["macro_f1"], "accuracy_7": s7["accuracy"],
            "macro_f1_7": s7["macro_f1"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--out", type=Path, default=Path("models/comparison.json"))
    args = ap.parse_args()
    splits = {s: load_fer_split(args.data, s) for s in ("publictest", "privatetest")}
    rows = []
    for run in args.runs:
        net, state = load_checkpoint(run / "best.pt")
        cfg = state["config"]
        with tempfile.TemporaryDirectory() as tmp:
            onnx_path = Path(tmp) / "m.onnx"
            export(run / "best.pt", onnx_path)
            latency = latency_ms(onnx_path, runs=500)
        history = json.loads((run / "history.json").read_text())
        rows.append({"architecture": cfg["arch"], "parameters": cfg["params"], "epochs": cfg["epochs"],
                     "picked_epoch": state["epoch"],
                     "seconds_per_epoch": round(float(np.median([h["seconds"] for h in history])), 1),
                     "latency_ms": latency["median_ms"],
                     **{f"{s}_{k}": v for s, (x, y) in splits.items() for k, v in scores(net, x, y).items()}})
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print("| architecture | parameters | epoch picked | s/epoch | ms/face | publictest 4 / 7 | "
          "privatetest 4 / 7 | privatetest macro-F1 4 / 7 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['architecture']} | {r['parameters'] / 1e3:.0f}k | {r['picked_epoch']} of {r['epochs']} | "
              f"{r['seconds_per_epoch']:.0f} | {r['latency_ms']:.2f} | "
              f"{r['publictest_accuracy_4']:.1%} / {r['publictest_accuracy_7']:.1%} | "
              f"{r['privatetest_accuracy_4']:.1%} / {r['privatetest_accuracy_7']:.1%} | "
              f"{r['privatetest_macro_f1_4']:.3f} / {r['privatetest_macro_f1_7']:.3f} |")


if __name__ == "__main__":
    main()
