"""`trayagent calibrate`: measure the user's relaxed face once, store it as numbers, apply it to
every face read for them (see core/calibration.py and models/README.md, Personal calibration)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trayagent import paths, wording
from trayagent.core.calibration import Baseline, CalibrationError
from trayagent.core.emotions import PRODUCT4
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import N_, _
from trayagent.perception.labelled import IMAGE_SUFFIXES

if TYPE_CHECKING:  # loaded only by the commands that need them
    from trayagent.config import Config
    from trayagent.perception.pipeline import Perception

SOURCES = {"camera": N_("camera"), "photos": N_("photos"), "video": N_("video")}  # where the faces came from
CAPTURE_FPS = 3.0  # frames a second read from the camera: 30 in 10 s, enough for a steady mean
SMILE_SECONDS = 5.0  # the greeting smile, held: 15 frames, a smile that is held longer turns stiff


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
        raise CalibrationError(_("{folder}: no photos found (.png, .jpg, ...): put a few photos of your relaxed "
                                 "face there").format(folder=folder))
    for path in files:
        img = read_image(path)  # through bytes: Hangul paths
        if img is not None:
            yield img


def _source(spec: str | None, seconds: float, cfg: Config) -> tuple[str, Iterator[np.ndarray]]:
    if spec is None or spec.isdigit():
        index = cfg["camera.index"] if spec is None else int(spec)
        return "camera", camera_frames(index, cfg["camera.backend"], seconds, cfg["camera.warmup_s"])
    path = Path(spec)
    if path.is_dir():
        return "photos", photo_frames(path)
    from itertools import takewhile

    from trayagent.perception.frames import video_frames

    return "video", (f.image for f in takewhile(lambda f: f.t <= seconds, video_frames(path, CAPTURE_FPS)))


def _smile(args: argparse.Namespace, source: str, cfg: Config,
           perception: Perception) -> tuple[str, Iterator[np.ndarray]] | None:
    """Where the greeting smile comes from and its frames, announced when they start (after the
    relaxed face): from the camera by default when calibrating from the camera (with a model that
    has a typical smile to compare it with), else only where --smile says."""
    from trayagent.perception.model_baseline import reference_for

    if args.no_smile or (args.smile is None and (source != "camera"
                                                 or reference_for(perception.classifier).happy is None)):
        return None
    kind, frames = _source(args.smile if args.smile is not None else args.camera, SMILE_SECONDS, cfg)

    def announced() -> Iterator[np.ndarray]:
        if kind == "camera" and not args.json:
            print(_("now smile for {seconds} s, as you would greet a customer...").format(
                seconds=f"{SMILE_SECONDS:g}"), file=sys.stderr)
        yield from frames

    return kind, announced()


def describe(b: Baseline) -> list[str]:
    """The baseline in plain words: when, from how many faces, how the relaxed face read and whether
    it had light enough. The numbers themselves (the time stamp, the model's hash, grey levels) are
    in `--json`."""
    shares = np.exp(np.asarray(b.logp))
    shares = shares / shares.sum()  # exp of mean log-probabilities: a geometric mean, renormalised
    source = _(SOURCES[b.source]) if b.source in SOURCES else b.source
    try:
        made = datetime.fromisoformat(b.created).astimezone()
        when = _("{day} at {time}").format(day=wording.day(made.date()), time=wording.clock(made))
    except ValueError:
        when = b.created
    lit = b.brightness >= VisibilityThresholds().dark_face
    return [_("relaxed-face baseline set {when} from {faces} faces ({source})").format(
                when=when, faces=b.faces, source=source),
            _("your relaxed face read as: {shares}").format(
                shares=", ".join(f"{wording.emotion(c)} {p:.0%}" for c, p in zip(PRODUCT4, shares))),
            _("light on your face: enough") if lit else _("light on your face: too little (light from the front helps)"),
            _("smile: from {faces} faces").format(faces=b.smile_faces) if b.smile_logp is not None
            else _("smile: none")]


def command(args: argparse.Namespace) -> int:
    from trayagent import config as config_mod
    from trayagent.storage import baseline as store

    path = paths.baseline_file()
    if args.reset:
        removed = store.delete(path)
        print(_("deleted {path}").format(path=path) if removed else _("no calibration stored"))
        return 0
    cfg = config_mod.load_or_defaults()
    if args.show:
        b = store.load(path)
        if b is None:
            raise CalibrationError(_("no calibration stored: run `trayagent calibrate`"))
        if args.json:
            print(json.dumps({**b.as_dict(), "path": str(path), "applies": _applies(b, args, cfg)}, indent=2))
        else:
            print("\n".join(describe(b) + [_("stored in {path}").format(path=path), _applies_text(b, args, cfg)]))
        return 0

    from trayagent.perception.model_baseline import calibrate_from_frames
    from trayagent.perception.pipeline import Perception

    perception = Perception(args.model or cfg["model.path"] or None, calibration=None)
    source, frames = _source(args.camera, args.seconds, cfg)
    if source == "camera" and not args.json:
        print(_("camera on for {seconds} s: look at the screen with a relaxed face (no smile, no frown)...").format(
            seconds=f"{args.seconds:g}"), file=sys.stderr)
    smile_source, smile = _smile(args, source, cfg, perception) or (None, None)
    baseline = calibrate_from_frames(frames, perception, source, smile=smile, smile_source=smile_source)
    store.save(baseline, path)
    if args.json:
        print(json.dumps({**baseline.as_dict(), "path": str(path)}, indent=2))
    else:
        print("\n".join(describe(baseline) + [_("stored in {path} (numbers only); applied from the next call").format(path=path)]))
    return 0


def _applies(b: Baseline, args: argparse.Namespace, cfg: Config) -> bool:
    from trayagent.perception.model_baseline import model_identity

    model = args.model or cfg["model.path"] or paths.shipped_model()
    try:
        return b.model_sha256 == model_identity(Path(model))
    except OSError:
        return False


def _applies_text(b: Baseline, args: argparse.Namespace, cfg: Config) -> str:
    if _applies(b, args, cfg):
        return _("applies to the model in use")
    return _("NOT applied: made with another model; run `trayagent calibrate` again")
