"""Train an emotion CNN on FER2013 (and optional extra folder-per-class sets), resumably, on the CPU.

    python -m models.train --arch xception --epochs 45 --out models/runs/xception

train is for training; publictest picks the best epoch; privatetest is never read here (the final
figures come from `trayagent evaluate` on it, once). A checkpoint is written after every epoch, so
`--resume` continues a training cut off by the end of a session.

Targets are soft: each face's FER2013 label mixed with its FER+ crowd-vote distribution
(`--ferplus`), since FER2013's single labels are noisy (FER+'s majority agrees with them on only
62-63% of faces) while the figures that matter are still measured against FER2013's labels.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.architectures import EmotionNet, build
from models.data import FER_DATA, ferplus_targets, load_fer_split, load_folder_set
from trayagent.core.emotions import FER7, grouping_matrix

GROUP_M = torch.from_numpy(grouping_matrix(FER7))


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


def mixup(x: torch.Tensor, t: torch.Tensor, alpha: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend the batch with a shuffled copy of itself (Zhang et al. 2018), targets alike."""
    if alpha <= 0:
        return x, t
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    perm = torch.randperm(len(x), generator=gen)
    return lam * x + (1 - lam) * x[perm], lam * t + (1 - lam) * t[perm]


def soft_targets(y7: np.ndarray, votes: np.ndarray | None, mask: np.ndarray | None, weight: float) -> np.ndarray:
    """(N, 7): one-hot FER2013 labels, mixed with FER+ vote distributions where a face has them."""
    t = np.eye(len(FER7), dtype=np.float32)[y7]
    if votes is not None and mask is not None and weight > 0:
        t[mask] = (1 - weight) * t[mask] + weight * votes[mask]
    return t


def loss_fn(logits: torch.Tensor, target7: torch.Tensor) -> torch.Tensor:
    """Soft cross-entropy over the 7 emotions plus over the grouped 4 classes, since the product
    acts on the 4 and the 7 are what the data labels."""
    logp7 = F.log_softmax(logits, 1)
    ce7 = -(target7 * logp7).sum(1).mean()
    p4 = logp7.exp() @ GROUP_M
    ce4 = -((target7 @ GROUP_M) * torch.log(p4.clamp_min(1e-7))).sum(1).mean()
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


@dataclass
class Data:
    x: torch.Tensor        # (N, 1, 48, 48) float pixels 0..255
    target: torch.Tensor   # (N, 7) soft targets
    x_val: torch.Tensor
    y_val: np.ndarray


def load_data(args: argparse.Namespace) -> Data:
    xtr, ytr = load_fer_split(args.data, "train")
    votes, mask = ferplus_targets(args.data, "train") if args.ferplus > 0 else (None, None)
    target = soft_targets(ytr, votes, mask, args.ferplus)
    for folder in args.extra:
        xe, ye = load_folder_set(folder)
        xtr, target = np.concatenate([xtr, xe]), np.concatenate([target, soft_targets(ye, None, None, 0)])
    xva, yva = load_fer_split(args.data, "publictest")
    return Data(torch.from_numpy(xtr).float().unsqueeze(1), torch.from_numpy(target),
                torch.from_numpy(xva).float().unsqueeze(1), yva)


class Run:
    """Model, optimiser and schedule of one training, with checkpoints to resume from."""

    def __init__(self, args: argparse.Namespace, data: Data) -> None:
        self.args = args
        arch_args = json.loads(args.arch_args)
        self.model = EmotionNet(build(args.arch, **arch_args)).to(memory_format=torch.channels_last)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        self.steps = math.ceil(len(data.x) / args.batch)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=args.lr, epochs=args.epochs,
                                                         steps_per_epoch=self.steps, pct_start=0.15)
        self.gen = torch.Generator().manual_seed(args.seed)
        self.epoch, self.best, self.history = 0, -1.0, []
        self.config = {"arch": args.arch, "arch_args": arch_args, "epochs": args.epochs, "batch": args.batch,
                       "lr": args.lr, "weight_decay": args.weight_decay, "ferplus": args.ferplus,
                       "mixup": args.mixup, "seed": args.seed, "extra": [str(p) for p in args.extra],
                       "train_images": len(data.x), "params": sum(p.numel() for p in self.model.parameters())}

    @property
    def last(self) -> Path:
        return self.args.out / "last.pt"

    def resume(self) -> None:
        state = torch.load(self.last, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.gen.set_state(state["gen"])
        self.epoch, self.best, self.history = state["epoch"], state["best"], state["history"]
        print(f"resumed at epoch {self.epoch}, best publictest acc4 {self.best:.4f}", flush=True)

    def train_epoch(self, data: Data) -> float:
        self.model.train()
        order = torch.randperm(len(data.x), generator=self.gen)
        total = 0.0
        for i in range(self.steps):
            idx = order[i * self.args.batch:(i + 1) * self.args.batch]
            xb, tb = mixup(augment(data.x[idx], self.gen), data.target[idx], self.args.mixup, self.gen)
            loss = loss_fn(self.model(xb.contiguous(memory_format=torch.channels_last)), tb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.sched.step()
            total += loss.item()
        return total / self.steps

    def save(self, row: dict) -> None:
        if row["val_acc4"] > self.best:
            self.best = row["val_acc4"]
            torch.save({"model": self.model.state_dict(), "config": self.config, "epoch": self.epoch,
                        "val": row}, self.args.out / "best.pt")
        torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict(), "sched": self.sched.state_dict(),
                    "gen": self.gen.get_state(), "epoch": self.epoch, "best": self.best,
                    "history": self.history, "config": self.config}, self.last)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="xception")
    ap.add_argument("--arch-args", default="{}", help="JSON keyword arguments for the architecture")
    ap.add_argument("--data", default=FER_DATA, type=Path)
    ap.add_argument("--extra", action="append", default=[], type=Path,
                    help="folder-per-class image set added to training (repeatable)")
    ap.add_argument("--epochs", type=int, default=45)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--ferplus", type=float, default=0.5,
                    help="weight of the FER+ vote distribution in each target (0: FER2013 labels alone)")
    ap.add_argument("--mixup", type=float, default=0.2, help="mixup Beta(alpha, alpha); 0 turns it off")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--resume", action="store_true")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    data = load_data(args)
    run = Run(args, data)
    if args.resume and run.last.exists():
        run.resume()
    (args.out / "config.json").write_text(json.dumps(run.config, indent=2))
    print(json.dumps(run.config), flush=True)

    while run.epoch < args.epochs:
        t0 = time.time()
        loss = run.train_epoch(data)
        run.epoch += 1
        acc4, acc7 = accuracies(predict(run.model, data.x_val), data.y_val)
        row = {"epoch": run.epoch, "loss": loss, "val_acc4": acc4, "val_acc7": acc7, "seconds": time.time() - t0}
        run.history.append(row)
        print(json.dumps(row), flush=True)
        run.save(row)
    (args.out / "history.json").write_text(json.dumps(run.history, indent=2))
    print(f"done: best publictest acc4 {run.best:.4f}", flush=True)


if __name__ == "__main__":
    main()
