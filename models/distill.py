"""Train wider teachers and distil them into the shipped size, on a GPU, against a wall-clock budget.

    python -m models.distill --data DIR --out DIR --phase1 200 --phase2 220

Written for a lent GPU with a hard time limit (models/README.md, "A distilled network"): phase 1
trains two wide Xception teachers and one shipped-size student on the new recipe without a teacher,
side by side as separate processes on the one GPU (the networks are small, so one process alone
leaves the GPU idle between kernel launches); phase 2 trains shipped-size students distilled from
the teachers' mean. Every process schedules its learning rate by the share of its time budget
spent (warm-up, then cosine to 0), so a run of unknown speed still finishes its schedule, and keeps
the checkpoint with the best publictest 4-class accuracy, written as soon as it improves, so a run
cut off still leaves its best network. privatetest is never read here.

The recipe, against models/train.py's:
- targets: 7-class cross-entropy on FER2013's label (smoothed 0.1) plus 4-class cross-entropy on
  the label mixed half and half with FER+'s crowd votes, grouped into the product's classes: the
  soft votes go where the product acts, the 7 keep FER2013's meaning;
- augmentation on the GPU: the paper's geometry (framing 0.85-1.2, so tighter crops like the
  product's zoom are seen), and webcam-like damage on half the faces: low light, gamma, blur,
  downscaling (resolution and compression loss), sensor noise, 8-bit quantisation; a random erase;
- students: + T^2 * KL(teachers' mean at temperature T || student at T).
"""

from __future__ import annotations

import argparse
import json
import lzma
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.architectures import EmotionNet, build
from models.data import ferplus_targets
from trayagent.core.emotions import FER7, grouping_matrix

SHIPPED = {"widths": [64, 128, 256], "middle": [1, 2, 0]}
WIDE = {"stem": 64, "widths": [128, 256, 512], "middle": [2, 3, 2], "head": 1024}
WIDER = {"stem": 64, "widths": [160, 320, 640], "middle": [2, 2, 2], "head": 1024}


def load_split(data: Path, cache: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    cached = cache / f"{split}.npy"
    if not cached.exists():
        with lzma.open(data / f"{split}.images.npy.xz") as packed:
            np.save(cached, np.load(packed))
    return np.load(cached), np.load(data / f"{split}.labels.npy")


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """(N, 1, 48, 48) pixels 0..255 on the GPU -> the same, moved, framed and damaged as a webcam would."""
    n, dev = x.shape[0], x.device

    def u(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, device=dev, generator=g) * (hi - lo) + lo

    def chance(p: float) -> torch.Tensor:
        return torch.rand(n, device=dev, generator=g) < p

    angle = (torch.randn(n, device=dev, generator=g) * 10).clamp(-30, 30) * math.pi / 180
    scale = u(0.85, 1.2)
    shear = u(-0.15, 0.15)
    flip = torch.where(chance(0.5), -1.0, 1.0)
    tx, ty = u(-0.2, 0.2), u(-0.2, 0.2)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin + shear, tx], 1),
                         torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False) / 255.0

    webcam = chance(0.5)[:, None, None, None]
    # lighting: gamma on every face, a dim room on the webcam ones
    out = out.clamp(0, 1) ** torch.exp(torch.randn(n, 1, 1, 1, device=dev, generator=g) * 0.3)
    dim = torch.where(webcam, u(0.2, 1.0)[:, None, None, None], torch.ones_like(out[:, :1, :1, :1]))
    damaged = out * dim
    # blur: a per-face Gaussian, applied as one grouped convolution
    sigma = u(0.3, 1.3)
    taps = torch.arange(-2, 3, device=dev, dtype=out.dtype)
    k = torch.exp(-(taps[None] ** 2) / (2 * sigma[:, None] ** 2))
    k = k / k.sum(1, keepdim=True)
    flat = damaged.reshape(1, n, 48, 48)
    flat = F.conv2d(F.pad(flat, (2, 2, 0, 0), mode="replicate"), k[:, None, None, :], groups=n)
    flat = F.conv2d(F.pad(flat, (0, 0, 2, 2), mode="replicate"), k[:, None, :, None], groups=n)
    blurred = flat.reshape(n, 1, 48, 48)
    damaged = torch.where(chance(0.4)[:, None, None, None], blurred, damaged)
    # resolution and compression loss: down to 20-40 pixels and back
    size = int(torch.randint(20, 41, (1,), device=dev, generator=g))
    small = F.interpolate(F.interpolate(damaged, size=(size, size), mode="area"), size=(48, 48),
                          mode="bilinear", align_corners=False)
    damaged = torch.where(chance(0.4)[:, None, None, None], small, damaged)
    # sensor noise, stronger in the dark as on a real sensor, then 8-bit quantisation
    noise = torch.randn_like(damaged) * (u(0.0, 6.0) / 255.0)[:, None, None, None] / dim.sqrt()
    damaged = ((damaged + noise).clamp(0, 1) * 255).round() / 255
    out = torch.where(webcam, damaged, out) * 255.0

    erase = chance(0.25)
    size = 14
    ys = torch.randint(0, 48 - size, (n,), device=dev, generator=g)
    xs = torch.randint(0, 48 - size, (n,), device=dev, generator=g)
    r = torch.arange(48, device=dev)
    box = (((r[None] >= ys[:, None]) & (r[None] < ys[:, None] + size))[:, :, None]
           & ((r[None] >= xs[:, None]) & (r[None] < xs[:, None] + size))[:, None, :])
    box = box & erase[:, None, None]
    fill = out.mean(dim=(1, 2, 3), keepdim=True)
    return torch.where(box[:, None], fill, out)


def zoom(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Enlarge about the centre, as the shipped graph does (models/ensemble.py --zoom)."""
    if factor == 1.0:
        return x
    theta = torch.tensor([[1 / factor, 0, 0], [0, 1 / factor, 0]], device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta.expand(len(x), 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


@torch.no_grad()
def probabilities(model: nn.Module, x: torch.Tensor, zoom_by: float = 1.0, batch: int = 1024) -> torch.Tensor:
    """7-class probabilities averaged with the mirror image, as the product reads a face."""
    model.eval()
    out = []
    for i in range(0, len(x), batch):
        xb = zoom(x[i:i + batch], zoom_by)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=x.is_cuda):
            p = F.softmax(model(xb).float(), 1) + F.softmax(model(xb.flip(-1)).float(), 1)
        out.append(p / 2)
    return torch.cat(out)


def accuracy4(p7: torch.Tensor, y7: torch.Tensor, group: torch.Tensor) -> tuple[float, float]:
    acc7 = float((p7.argmax(1) == y7).float().mean())
    acc4 = float(((p7 @ group).argmax(1) == group[y7].argmax(1)).float().mean())
    return acc4, acc7


def load_net(path: Path, device: str) -> nn.Module:
    state = torch.load(path, weights_only=False, map_location=device)
    net = EmotionNet(build(state["config"]["arch"], **state["config"]["arch_args"]))
    net.load_state_dict(state["model"])
    return net.to(device).to(memory_format=torch.channels_last).eval()


def train(args: argparse.Namespace) -> None:
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = True
    cache = Path(args.cache)
    xtr, ytr = load_split(args.data, cache, "train")
    xva, yva = load_split(args.data, cache, "publictest")
    if args.limit:
        xtr, ytr, xva, yva = xtr[:args.limit], ytr[:args.limit], xva[:args.limit], yva[:args.limit]
    votes, mask = ferplus_targets(args.data, "train")
    votes, mask = votes[:len(ytr)], mask[:len(ytr)]
    group = torch.from_numpy(grouping_matrix(FER7)).to(dev)
    onehot = np.eye(len(FER7), dtype=np.float32)[ytr]
    soft = onehot.copy()
    soft[mask] = 0.5 * onehot[mask] + 0.5 * votes[mask]
    t7 = torch.from_numpy(onehot * 0.9 + 0.1 / len(FER7)).to(dev)
    t4 = torch.from_numpy(soft).to(dev) @ group
    x = torch.from_numpy(xtr).float().unsqueeze(1).to(dev)
    xv = torch.from_numpy(xva).float().unsqueeze(1).to(dev)
    yv = torch.from_numpy(yva.astype(np.int64)).to(dev)

    arch_args = json.loads(args.arch_args)
    model = EmotionNet(build("xception", **arch_args)).to(dev).to(memory_format=torch.channels_last)
    teachers = [load_net(Path(p), dev) for p in args.teacher]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    g = torch.Generator(device=dev).manual_seed(args.seed)
    params = sum(p.numel() for p in model.parameters())
    config = {"arch": "xception", "arch_args": arch_args, "epochs": 0, "batch": args.batch, "lr": args.lr,
              "weight_decay": args.weight_decay, "ferplus": "0.5 on the 4-class loss", "mixup": 0,
              "seed": args.seed, "extra": [], "train_images": len(x), "params": params,
              "teachers": [Path(p).name for p in args.teacher], "temperature": args.temperature,
              "recipe": "models/distill.py", "budget_s": args.budget}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{args.name}.log", "a") as log:
        print(json.dumps({"name": args.name, "params": params, "device": dev}), file=log, flush=True)
        fit(args, model, teachers, opt, g, config, log, Data(x, t7, t4, xv, yv, group))


@dataclass
class Data:
    x: torch.Tensor  # training faces on the device
    t7: torch.Tensor  # smoothed 7-class targets
    t4: torch.Tensor  # FER+-mixed 4-class targets
    xv: torch.Tensor  # publictest faces
    yv: torch.Tensor
    group: torch.Tensor  # 7 -> 4


def fit(args: argparse.Namespace, model: nn.Module, teachers: list[nn.Module], opt: torch.optim.Optimizer,
        g: torch.Generator, config: dict, log: TextIO, d: Data) -> None:
    """The loop: learning rate by the share of the time budget spent; the best publictest epoch kept."""
    dev, out = d.x.device.type, Path(args.out)
    x, t7, t4, xv, yv, group = d.x, d.t7, d.t4, d.xv, d.yv, d.group

    start, epoch, best, step = time.time(), 0, -1.0, 0
    steps = math.ceil(len(x) / args.batch)
    while True:
        model.train()
        order = torch.randperm(len(x), device=dev, generator=g)
        total = 0.0
        for i in range(steps):
            progress = (time.time() - start) / args.budget
            lr = args.lr * (progress / 0.05 if progress < 0.05 else 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
            for group_ in opt.param_groups:
                group_["lr"] = lr
            idx = order[i * args.batch:(i + 1) * args.batch]
            xb = augment(x[idx], g).contiguous(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
                logits = model(xb).float()
                if teachers:
                    with torch.no_grad():
                        tl = torch.stack([t(xb).float() for t in teachers]).mean(0)
            logp7 = F.log_softmax(logits, 1)
            loss = -(t7[idx] * logp7).sum(1).mean()
            p4 = (logp7.exp() @ group).clamp_min(1e-7)
            loss = loss - (t4[idx] * p4.log()).sum(1).mean()
            if teachers:
                temp = args.temperature
                kd = F.kl_div(F.log_softmax(logits / temp, 1), F.log_softmax(tl / temp, 1), log_target=True,
                              reduction="batchmean")
                loss = loss + args.kd * temp * temp * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) if i % 20 == 0 else 0.0
            step += 1
        epoch += 1
        plain = accuracy4(probabilities(model, xv), yv, group)
        zoomed = accuracy4(probabilities(model, xv, 1.1), yv, group)
        row = {"epoch": epoch, "seconds": round(time.time() - start, 1), "lr": lr, "val_acc4": plain[0],
               "val_acc7": plain[1], "val_acc4_zoom11": zoomed[0], "val_acc7_zoom11": zoomed[1]}
        print(json.dumps(row), file=log, flush=True)
        if plain[0] > best:
            best = plain[0]
            config["epochs"] = epoch
            torch.save({"model": {k: v.float().cpu() for k, v in model.state_dict().items()}, "config": config,
                        "epoch": epoch, "val": row}, out / f"{args.name}.pt.tmp")
            os.replace(out / f"{args.name}.pt.tmp", out / f"{args.name}.pt")
        if time.time() - start >= args.budget:
            break
    print(json.dumps({"done": args.name, "epochs": epoch, "best_val_acc4": best}), file=log, flush=True)


def launch(name: str, arch: dict, seed: int, budget: float, args: argparse.Namespace,
           teachers: list[Path] = (), **extra: float) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "models.distill", "--role", "train", "--name", name, "--arch-args",
           json.dumps(arch), "--seed", str(seed), "--budget", str(budget), "--data", str(args.data),
           "--cache", str(args.cache), "--out", str(args.out), "--batch", str(args.batch),
           "--limit", str(args.limit), "--lr", str(args.lr)]
    for t in teachers:
        cmd += ["--teacher", str(t)]
    for key, value in extra.items():
        cmd += [f"--{key}", str(value)]
    return subprocess.Popen(cmd)


def wait_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.wait()


def run(args: argparse.Namespace) -> None:
    """The two phases, each a set of processes side by side on the one GPU."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    for split in ("train", "publictest"):
        load_split(args.data, Path(args.cache), split)  # decode once, before the processes start
    t0 = time.time()
    wait_all([launch("T1", WIDE, 1, args.phase1, args), launch("T2", WIDER, 2, args.phase1, args),
              launch("S0", SHIPPED, 1, args.phase1, args)])
    print(f"phase 1 done in {time.time() - t0:.0f} s", flush=True)
    teachers = [out / name for name in ("T1.pt", "T2.pt") if (out / name).exists()]
    t0 = time.time()
    wait_all([launch("S1", SHIPPED, 1, args.phase2, args, teachers),
              launch("S2", SHIPPED, 2, args.phase2, args, teachers),
              launch("S3", SHIPPED, 3, args.phase2, args, teachers, temperature=4.0)])
    print(f"phase 2 done in {time.time() - t0:.0f} s", flush=True)
    teacher_probs(args, teachers)


def teacher_probs(args: argparse.Namespace, teachers: list[Path]) -> None:
    """The teachers' mean mirrored probabilities on train and publictest, kept so later students can
    be distilled on a CPU without a GPU (models/README.md)."""
    if not teachers:
        return
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    nets = [load_net(t, dev) for t in teachers]
    saved = {}
    for split in ("train", "publictest"):
        x, _ = load_split(args.data, Path(args.cache), split)
        if args.limit:
            x = x[:args.limit]
        xt = torch.from_numpy(x).float().unsqueeze(1).to(dev)
        saved[split] = torch.stack([probabilities(n, xt) for n in nets]).mean(0).cpu().numpy().astype(np.float16)
    np.savez_compressed(Path(args.out) / "teacher_probs.npz", **saved)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--role", choices=["run", "train"], default="run")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/fer-cache"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--phase1", type=float, default=200)
    ap.add_argument("--phase2", type=float, default=220)
    ap.add_argument("--limit", type=int, default=0, help="first N training faces only (a smoke test)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--name", default="S")
    ap.add_argument("--arch-args", default=json.dumps(SHIPPED))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=60)
    ap.add_argument("--teacher", action="append", default=[])
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--kd", type=float, default=1.0)
    args = ap.parse_args(argv)
    if args.role == "train":
        train(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
