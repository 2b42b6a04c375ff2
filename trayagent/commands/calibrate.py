"""`trayagent calibrate`: measure the user's relaxed face once, store it as numbers, apply it to
every face read for them (see core/calibration.py and models/README.md, Personal calibration)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.core.calibration import CalibrationError
from trayagent.core.emotions import PRODUCT4
from trayagent.perception.labelled import IMAGE_SUFFIXES

CAPTURE_FPS = 3.0  # frames a second read from the camera: 30 in 10 s, enough for a steady mean


def camera_frames(index: int, backend: str, seconds: float, warmup_s: float) -> Iterator[np.ndarray]:
    """About CAPTURE_FPS frames a second from the camera for `seconds`; the camera is open only
    while this runs (the one time outside a call)."""
    from trayagent.perception.frames import LatestFrameReader

    reader = LatestFrameReader(index, backend, warmup_s)
    try:
        deadline = None
        last = 0
        while deadline is None or time.monotonic() < deadline:
            seq, frame = reader.latest()
            if seq == 0:  # warming up: the countdown starts with the first real frame
                time.sleep(0.05)
                continue
            deadline = deadline or time.monotonic() + seconds
            if seq != last and frame is not None:
                last = seq
                yield frame
            time.sleep(1.0 / CAPTURE_FPS)
    finally:
        reader.close()


def photo_frames(folder: Path) -> Iterator[np.ndarray]:
    from trayagent.perception.cv import read_image

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CalibrationError(f"{folder}: no photos found (.png, .jpg, ...): put a few photos of your relaxed "
                               "face there")
    for path in files:
        img = read_image(path)  # through bytes: Hangul paths
        if img is not None:
            yield img


def _source(args, cfg) -> tuple[str, Iterator[np.ndarray]]:
    spec = args.camera
    if spec is None or spec.isdigit():
        index = cfg["camera.index"] if spec is None else int(spec)
        return "camera", camera_frames(index, cfg["camera.backend"], args.seconds, cfg["camera.warmup_s"])
    path = Path(spec)
    if path.is_dir():
        return "photos", photo_frames(path)
    from itertools import takewhile

    from trayagent.perception.frames import video_frames

    return "video", (f.image for f in takewhile(lambda f: f.t <= args.seconds, video_frames(path, CAPTURE_FPS)))


def describe(b) -> list[str]:
    shares = np.exp(np.asarray(b.logp))
    shares = shares / shares.sum()  # exp of mean log-probabilities: a geometric mean, renormalised
    return [f"calibration of {b.created} from {b.faces} faces ({b.source})",
            "your relaxed face read as: " + ", ".join(f"{c} {p:.0%}" for c, p in zip(PRODUCT4, shares)),
            f"light: brightness {b.brightness:.0f}/255, contrast {b.contrast:.0f}",
            f"model: {b.model_sha256[:16]}..."]


def command(args) -> int:
    from trayagent import config as config_mod
    from trayagent.storage import baseline as store

    path = paths.baseline_file()
    if args.reset:
        removed = store.delete(path)
        print(f"deleted {path}" if removed else "no calibration stored")
        return 0
    cfg = config_mod.load_or_defaults()
    if args.show:
        b = store.load(path)
        if b is None:
            raise CalibrationError("no calibration stored: run `trayagent calibrate`")
        if args.json:
            print(json.dumps({**b.as_dict(), "path": str(path), "applies": _applies(b, args, cfg)}, indent=2))
        else:
            print("\n".join(describe(b) + [f"stored in {path}", _applies_text(b, args, cfg)]))
        return 0

    from trayagent.perception.calibration import calibrate_from_frames
    from trayagent.perception.pipeline import Perception

    perception = Perception(args.model or cfg["model.path"] or None, calibration=None)
    source, frames = _source(args, cfg)
    if source == "camera" and not args.json:
        print(f"camera on for {args.seconds:g} s: look at the screen with a relaxed face (no smile, no frown)...",
              file=sys.stderr)
    baseline = calibrate_from_frames(frames, perception, source)
    store.save(baseline, path)
    if args.json:
        print(json.dumps({**baseline.as_dict(), "path": str(path)}, indent=2))
    else:
        print("\n".join(describe(baseline) + [f"stored in {path} (numbers only); applied from the next call"]))
    return 0


def _applies(b, args, cfg) -> bool:
    from trayagent.perception.calibration import model_identity

    model = args.model or cfg["model.path"] or paths.shipped_model()
    try:
        return b.model_sha256 == model_identity(Path(model))
    except OSError:
        return False


def _applies_text(b, args, cfg) -> str:
    if _applies(b, args, cfg):
        return "applies to the model in use"
    return "NOT applied: made with another model; run `trayagent calibrate` again"
