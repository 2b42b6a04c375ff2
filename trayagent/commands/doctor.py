"""`trayagent doctor`: check everything the daemon needs and say what is wrong and how to fix it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trayagent import config as config_mod
from trayagent import paths
from trayagent.config import Config
from trayagent.core.errors import TrayagentError
from trayagent.i18n import N_, _, ngettext
from trayagent.platform import autostart


@dataclass(frozen=True)
class Check:
    name: str  # a fixed English key (JSON, tests); LABELS gives the words a person reads
    ok: bool
    detail: str
    fix: str = ""


LABELS = {"settings": N_("settings"), "model": N_("model"), "calibration": N_("calibration"),
          "face detector": N_("face detector"), "camera": N_("camera"), "data folder": N_("data folder"),
          "start at login": N_("start at login"), "call signals": N_("call signals"), "hotkey": N_("hotkey"),
          "daemon": N_("daemon"), "team": N_("team summaries")}


def _config() -> Check:
    try:
        cfg = config_mod.load(strict_policy=False)
    except config_mod.ConfigError as e:  # the policy cannot be read: the daemon runs on defaults
        return Check("settings", False, _("{error}; running on the default settings").format(error=e),
                     getattr(e, "fix", None) or _("ask IT to save the policy again as UTF-8"))
    if cfg.problem:
        return Check("settings", False, "; ".join(cfg.warnings),
                     _("correct the named key (the rest of your settings still apply), or delete the file "
                       "to use defaults"))
    where = ", ".join(map(str, cfg.sources)) or _("defaults (no settings file yet)")
    detail = _("from {where}").format(where=where) + (
        "; " + ngettext("{n} key set by policy", "{n} keys set by policy", len(cfg.locked)).format(n=len(cfg.locked))
        if cfg.locked else "")
    return Check("settings", True, detail + "".join(f"; {w}" for w in cfg.warnings))


def _model(model: str | None) -> Check:
    from trayagent.perception.classifier import EmotionClassifier

    try:
        clf = EmotionClassifier(model)
    except TrayagentError as e:
        return Check("model", False, str(e), _("reinstall trayagent, or set model.path to a valid .onnx file"))
    info = clf.info
    colour = {"gray": _("greyscale"), "rgb": _("colour"), "bgr": _("colour")}.get(info.preprocessing.color,
                                                                               info.preprocessing.color)
    return Check("model", True, _("{path} ({n} classes, {size} {color})").format(
        path=info.path, n=len(info.labels), size=f"{info.preprocessing.size[0]}×{info.preprocessing.size[1]}",
        color=colour))


def _calibration(model: str | None) -> Check:
    from trayagent.core.calibration import CalibrationError
    from trayagent.perception.model_baseline import model_identity
    from trayagent.storage import baseline as store

    try:
        b = store.load()
    except CalibrationError as e:
        return Check("calibration", False, str(e),
                     _("run `trayagent calibrate --reset`, then `trayagent calibrate`"))
    if b is None:
        return Check("calibration", True, _("none (optional: `trayagent calibrate` fits the model to your face)"))
    if b.model_sha256 != model_identity(Path(model) if model else paths.shipped_model()):
        return Check("calibration", False, _("made on {date} with another model: not applied").format(date=b.created[:10]),
                     _("run `trayagent calibrate` again with a relaxed face"))
    return Check("calibration", True, _("applied (made on {date} from {faces} faces)").format(
        date=b.created[:10], faces=b.faces))


def _cascade() -> Check:
    """Both detectors load (from bytes: a runtime under a Hangul profile path too) and find the face
    in the shipped test picture."""
    from trayagent.perception.cv import read_image
    from trayagent.perception.faces import face_detector, find_face

    fix = _("reinstall trayagent (its files under {folder} are missing or damaged); "
            "if it is installed, check that your account can read that folder").format(folder=paths.package_data())
    try:
        detector = face_detector(video=False)
    except TrayagentError as e:
        return Check("face detector", False, str(e), fix)
    picture = read_image(paths.bench_face())
    if picture is None:
        return Check("face detector", False, _("{path}: cannot read the test picture").format(path=paths.bench_face()), fix)
    if find_face(detector, picture)[1] is None:
        return Check("face detector", False, _("loads, but finds no face in the test picture"), fix)
    return Check("face detector", True, _("Haar and YuNet from {folder} (found the test face)").format(folder=paths.package_data()))


def _camera(index: int, backend: str) -> Check:
    from trayagent.perception.cv import cv2
    from trayagent.perception.frames import BACKENDS

    cap = cv2.VideoCapture(index, BACKENDS[backend])
    try:
        if not cap.isOpened():
            return Check("camera", False, _("camera {index} ({backend}) cannot be opened").format(
                index=index, backend=backend),
                         _("plug in a webcam, close apps that use it, or set camera.index / camera.backend"))
        ok, frame = cap.read()
        if not ok or frame is None:
            return Check("camera", False, _("camera {index} opens but gives no picture").format(index=index),
                         _("close other apps using the camera (video calls), or try `camera.backend = \"dshow\"`"))
        return Check("camera", True, _("camera {index}: {size} (closed again)").format(
            index=index, size=f"{frame.shape[1]}x{frame.shape[0]}"))
    finally:
        cap.release()


def _data() -> Check:
    from trayagent.storage.private import describe, make_private_dir

    folder = paths.data_dir()
    try:
        make_private_dir(folder)
        probe = folder / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        return Check("data folder", False, _("{folder}: not writable ({reason})").format(folder=folder, reason=describe(e)),
                     _("free disk space or fix the folder's permissions"))
    return Check("data folder", True, str(folder))


AUTOSTART = {"on": N_("on (for you)"),
             "off": N_("off: turn it on in the tray menu or with `trayagent autostart enable`"),
             "managed": N_("on (set by your organisation)")}


def _autostart() -> Check:
    state = autostart.for_platform().state()
    return Check("start at login", True, _(AUTOSTART[state]))


def _signals(cfg: Config) -> Check:
    if not cfg["calls.auto_detect"]:
        return Check("call signals", True,
                     _("automatic detection off; calls start by hotkey, menu or `trayagent call`"))
    try:
        from trayagent.signals import automatic_signal

        sig = automatic_signal(cfg)
    except Exception as e:
        return Check("call signals", False, _("automatic detection unavailable ({error})").format(error=e),
                     _("use the hotkey, the menu or `trayagent call start|end` from your softphone"))
    if sig is None:
        return Check("call signals", True, _("automatic detection off"))
    works, detail, advice = sig.check()
    if not works:  # it would read "no call" all day: calls would never start by themselves
        return Check("call signals", False, detail,
                     _("calls will not start by themselves; use the hotkey, the menu or `trayagent call start|end`, "
                       "or set `calls.auto_detect = false`"))
    return Check("call signals", True, detail, advice)


def _hotkey(cfg: Config) -> Check:
    spec = cfg["calls.hotkey"]
    if not spec:
        return Check("hotkey", True, _("off"))
    try:
        from trayagent.platform.hotkey import probe

        usable, detail = probe(spec)
    except TrayagentError as e:
        return Check("hotkey", False, str(e), _("fix calls.hotkey"))
    # A hotkey that cannot work is a problem to fix (or to turn off), never "OK".
    return Check("hotkey", usable, detail, "" if usable else _(
        "start calls from the tray menu or `trayagent call toggle`, or set calls.hotkey = \"\" to turn it off"))


def _daemon() -> Check:
    from trayagent.daemon import ipc
    from trayagent.daemon.ipc_address import AddressTooLong, NotRunning

    not_running = _("not running (start it with `trayagent run` or from the Start menu)")
    try:
        where = ipc.check_address()
    except NotRunning:  # Windows: only a running daemon names its pipe
        return Check("daemon", True, not_running)
    except TrayagentError as e:  # the daemon would refuse to start: say why here too
        return Check("daemon", False, getattr(e, "problem", str(e)), _(AddressTooLong.FIX))
    try:
        reply = ipc.send({"cmd": "status"}, timeout_s=3)
    except TrayagentError:
        return Check("daemon", True, _("{state}; its command channel: {where}").format(state=not_running, where=where))
    return Check("daemon", True, _("running: {status}").format(status=reply.get("status")))


def run_checks(camera: bool = True) -> list[Check]:
    checks: list[Check] = [_config()]
    cfg = config_mod.load_or_defaults()
    steps: list[Callable[[], Check]] = [
        lambda: _model(cfg["model.path"] or None), lambda: _calibration(cfg["model.path"] or None), _cascade, _data, _daemon, _autostart,
        lambda: _signals(cfg), lambda: _hotkey(cfg)]
    if camera:
        steps.append(lambda: _camera(cfg["camera.index"], cfg["camera.backend"]))
    from trayagent.team import health

    if health.offered(cfg):  # only when IT's policy turns the team view on
        steps.append(lambda: Check("team", *health.check(cfg)))
    for step in steps:
        try:
            checks.append(step())
        except Exception as e:  # a check must report, never crash the doctor
            checks.append(Check(getattr(step, "__name__", "check").strip("_"), False, _("check failed: {error}").format(error=e)))
    return checks


def command(args: argparse.Namespace) -> int:
    checks = run_checks(camera=not args.no_camera)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        for c in checks:
            mark = _("[ok ]") if c.ok else _("[FIX]")
            print(f"{mark} {_(LABELS[c.name]) if c.name in LABELS else c.name}: {c.detail}")
            if c.fix:  # also advice for a check that passes
                print(f"      -> {c.fix}")
    return 0 if all(c.ok for c in checks) else 1
