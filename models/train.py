"""Train an emotion CNN on FER2013 (and optional extra folder-per-class sets), resumably, on the CPU.

    python -m models.train --arch xception --epochs 40 --out models/runs/xception

train is for training; publictest picks the best epoch; privatetest is never read here (the final
figures come from `trayagent evaluate` on it, once). A checkpoint is written after every epoch, so
`--resume` continues a training cut off by the end of a session.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.architectures import build
from models.data import load_folder_set, load_fer_split
from trayagent.emotions import FER7, grouping_matrix

GROUP_M = torch.from_numpy(grouping_matrix(FER7))


class Standardize(nn.Module):
    """Per-image zero mean, unit variance: removes exposure and contrast, the lighting the paper
    names as its main error source. Lives inside the network so the exported ONNX carries it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True)
        return (x - mean) / (std + 1.0)


class EmotionNet(nn.Module):
    """Takes grey 48x48 pixels in 0..255, returns logits over FER7."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.standardize = Standardize()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.standardize(x))


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The paper's augmentation on a batch (rotation up to 30 deg, shift, shear, zoom, flip),
    plus gamma jitter (lighting) and a small random erase (occlusion by hand or headset)."""
    n = x.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=gen) * (hi - lo) + lo

    angle = (torch.randn(n, generator=gen) * 10).clamp(-30, 30) * math.pi / 180
    scale = u(0.85, 1.15)
    shear = u(-0.15, 0.15)
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    tx, ty = u(-0.1, 0.1) * 2, u(-0.1, 0.1) * 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos * flip, -sin + shear, tx], 1),
        torch.stack([sin * flip, cos, ty], 1),
    ], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    gamma = torch.exp(torch.randn(n, 1, 1, 1, generator=gen) * 0.25)
    out = 255.0 * (out / 255.0).clamp(0, 1) ** gamma
    erase = torch.rand(n, generator=gen) < 0.25
    if erase.any():
        h = x.shape[-1]
        size = int(h * 0.3)
        ys = torch.randint(0, h - size, (n,), generator=gen)
        xs = torch.randint(0, h - size, (n,), generator=gen)
        for i in torch.nonzero(erase).flatten().tolist():
            out[i, :, ys[i]:ys[i] + size, xs[i]:xs[i] + size] = out[i].mean()
    return out


def loss_fn(logits: torch.Tensor, y7: torch.Tensor, smoothing: float) -> torch.Tensor:
    """7-class cross-entropy plus cross-entropy of the grouped 4-class probabilities, since the
    product acts on the 4 classes and the 7 are what the data labels."""
    ce7 = F.cross_entropy(logits, y7, label_smoothing=smoothing)
    p4 = F.softmax(logits, 1) @ GROUP_M
    y4 = GROUP_M[y7].argmax(1)
    ce4 = F.nll_loss(torch.log(p4.clamp_min(1e-7)), y4)
    return ce7 + ce4


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch: int = 512) -> np.ndarray:
    """Softmax over FER7, averaged with the horizontally flipped face (as the shipped model does)."""
    model.eval()
    out = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        p = F.softmax(model(xb), 1) + F.softmax(model(xb.flip(-1)), 1)
        out.append((p / 2).numpy())
    return np.concatenate(out)


def accuracies(p7: np.ndarray, y7: np.ndarray) -> tuple[float, float]:
    g = grouping_matrix(FER7)
    acc7 = float((p7.argmax(1) == y7).mean())
    acc4 = float(((p7 @ g).argmax(1) == g[y7].argmax(1)).mean())
    return acc4, acc7


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="xception")
    ap.add_argument("--arch-args", default="{}", help="JSON keyword arguments for the architecture")
    ap.add_argument("--data", default="../shared/datasets/fer2013", type=Path)
    ap.add_argument("--extra", action="append", default=[], type=Path,
                    help="folder-per-class image set added to training (repeatable)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    xtr, ytr = load_fer_split(args.data, "train")
    for folder in args.extra:
        xe, ye = load_folder_set(folder)
        xtr, ytr = np.concatenate([xtr, xe]), np.concatenate([ytr, ye])
    xva, yva = load_fer_split(args.data, "publictest")
    xtr_t = torch.from_numpy(xtr).float().unsqueeze(1)
    ytr_t = torch.from_numpy(ytr.astype(np.int64))
    xva_t = torch.from_numpy(xva).float().unsqueeze(1)

    arch_args = json.loads(args.arch_args)
    model = EmotionNet(build(args.arch, **arch_args)).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = math.ceil(len(xtr_t) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(args.seed)
    start, best, history = 0, -1.0, []
    ckpt = args.out / "last.pt"
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        start, best, history = state["epoch"], state["best"], state["history"]
        print(f"resumed at epoch {start}, best publictest acc4 {best:.4f}", flush=True)

    config = {"arch": args.arch, "arch_args": arch_args, "epochs": args.epochs, "batch": args.batch,
              "lr": args.lr, "weight_decay": args.weight_decay, "smoothing": args.smoothing, "seed": args.seed,
              "extra": [str(p) for p in args.extra], "train_images": len(xtr_t),
              "params": sum(p.numel() for p in model.parameters())}
    (args.out / "config.json").write_text(json.dumps(config, indent=2))
    print(json.dumps(config), flush=True)

    for epoch in range(start, args.epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(xtr_t), generator=gen)
        total = 0.0
        for i in range(steps):
            idx = order[i * args.batch:(i + 1) * args.batch]
            xb = augment(xtr_t[idx], gen).contiguous(memory_format=torch.channels_last)
            loss = loss_fn(model(xb), ytr_t[idx], args.smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc4, acc7 = accuracies(predict(model, xva_t), yva)
        row = {"epoch": epoch + 1, "loss": total / steps, "val_acc4": acc4, "val_acc7": acc7,
               "seconds": time.time() - t0}
        history.append(row)
        print(json.dumps(row), flush=True)
        if acc4 > best:
            best = acc4
            torch.save({"model": model.state_dict(), "config": config, "epoch": epoch + 1, "val": row},
                       args.out / "best.pt")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "gen": gen.get_state(), "epoch": epoch + 1, "best": best, "history": history,
                    "config": config}, ckpt)
    (args.out / "history.json").write_text(json.dumps(history, indent=2))
    print(f"done: best publictest acc4 {best:.4f}", flush=True)


if __name__ == "__main__":
    main()
