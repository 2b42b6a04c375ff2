"""`trayagent doctor`: check everything the daemon needs and say what is wrong and how to fix it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trayagent import config as config_mod
from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.platform import autostart


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _config() -> Check:
    try:
        cfg = config_mod.load(strict_policy=False)
    except config_mod.ConfigError as e:  # the policy cannot be read: the daemon runs on defaults
        return Check("settings", False, f"{e}; running on the default settings",
                     "ask IT to save the policy again as UTF-8")
    if cfg.problem:
        return Check("settings", False, "; ".join(cfg.warnings),
                     "correct the named key (the rest of your settings still apply), or delete the file "
                     "to use defaults")
    where = ", ".join(map(str, cfg.sources)) or "defaults (no settings file yet)"
    detail = f"from {where}" + (f"; {len(cfg.locked)} keys set by policy" if cfg.locked else "")
    return Check("settings", True, detail + "".join(f"; {w}" for w in cfg.warnings))


def _model(model: str | None) -> Check:
    from trayagent.perception.classifier import EmotionClassifier

    try:
        clf = EmotionClassifier(model)
    except TrayagentError as e:
        return Check("model", False, str(e), "reinstall trayagent, or set model.path to a valid .onnx file")
    info = clf.info
    return Check("model", True, f"{info.path} ({len(info.labels)} classes, "
                                f"{info.preprocessing.size[0]}x{info.preprocessing.size[1]} {info.preprocessing.color})")


def _calibration(model: str | None) -> Check:
    from trayagent.core.calibration import CalibrationError
    from trayagent.perception.calibration import model_identity
    from trayagent.storage import baseline as store

    try:
        b = store.load()
    except CalibrationError as e:
        return Check("calibration", False, str(e), "run `trayagent calibrate --reset`, then `trayagent calibrate`")
    if b is None:
        return Check("calibration", True, "none (optional: `trayagent calibrate` fits the model to your face)")
    if b.model_sha256 != model_identity(Path(model) if model else paths.shipped_model()):
        return Check("calibration", False, f"made on {b.created[:10]} with another model: not applied",
                     "run `trayagent calibrate` again with a relaxed face")
    return Check("calibration", True, f"applied (made on {b.created[:10]} from {b.faces} faces)")


def _cascade() -> Check:
    """Both detectors load (from bytes: a runtime under a Hangul profile path too) and find the face
    in the shipped test picture."""
    from trayagent.perception.cv import read_image
    from trayagent.perception.faces import face_detector, find_face

    fix = (f"reinstall trayagent (its files under {paths.package_data()} are missing or damaged); "
           "if it is installed, check that your account can read that folder")
    try:
        detector = face_detector(video=False)
    except TrayagentError as e:
        return Check("face detector", False, str(e), fix)
    picture = read_image(paths.bench_face())
    if picture is None:
        return Check("face detector", False, f"{paths.bench_face()}: cannot read the test picture", fix)
    if find_face(detector, picture)[1] is None:
        return Check("face detector", False, "loads, but finds no face in the test picture", fix)
    return Check("face detector", True, f"Haar and YuNet from {paths.package_data()} (found the test face)")


def _camera(index: int, backend: str) -> Check:
    from trayagent.perception.cv import cv2
    from trayagent.perception.frames import BACKENDS

    cap = cv2.VideoCapture(index, BACKENDS[backend])
    try:
        if not cap.isOpened():
            return Check("camera", False, f"camera {index} ({backend}) cannot be opened",
                         "plug in a webcam, close apps that use it, or set camera.index / camera.backend")
        ok, frame = cap.read()
        if not ok or frame is None:
            return Check("camera", False, f"camera {index} opens but gives no picture",
                         "close other apps using the camera (video calls), or try camera.backend = \"dshow\"")
        return Check("camera", True, f"camera {index}: {frame.shape[1]}x{frame.shape[0]} (closed again)")
    finally:
        cap.release()


def _data() -> Check:
    from trayagent.storage.private import make_private_dir

    folder = paths.data_dir()
    try:
        make_private_dir(folder)
        probe = folder / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        return Check("data folder", False, f"{folder}: not writable ({e.strerror})",
                     "free disk space or fix the folder's permissions")
    return Check("data folder", True, str(folder))


def _autostart() -> Check:
    state = autostart.for_platform().state()
    return Check("start at login", True, {"on": "on (for you)", "off": "off: turn it on in the tray menu or with "
                                          "`trayagent autostart enable`", "managed": "on (set by your organisation)"}[state])


def _signals(cfg) -> Check:
    if not cfg["calls.auto_detect"]:
        return Check("call signals", True, "automatic detection off; calls start by hotkey, menu or `trayagent call`")
    try:
        from trayagent.signals import automatic_signal

        sig = automatic_signal(cfg)
    except Exception as e:
        return Check("call signals", False, f"automatic detection unavailable ({e})",
                     "use the hotkey, the menu or `trayagent call start|end` from your softphone")
    if sig is None:
        return Check("call signals", True, "automatic detection off")
    works, detail = sig.check()
    if not works:  # it would read "no call" all day: calls would never start by themselves
        return Check("call signals", False, detail,
                     "calls will not start by themselves; use the hotkey, the menu or `trayagent call start|end`, "
                     "or set calls.auto_detect = false")
    return Check("call signals", True, detail)


def _hotkey(cfg) -> Check:
    spec = cfg["calls.hotkey"]
    if not spec:
        return Check("hotkey", True, "off")
    try:
        from trayagent.platform.hotkey import probe

        return Check("hotkey", True, probe(spec))
    except TrayagentError as e:
        return Check("hotkey", False, str(e), "fix calls.hotkey")


def _daemon() -> Check:
    from trayagent.daemon import ipc

    try:
        where = ipc.check_address()
    except TrayagentError as e:  # the daemon would refuse to start: say why here too
        return Check("daemon", False, str(e).split(": set ")[0],
                     "set TRAYAGENT_HOME to a shorter folder, or XDG_RUNTIME_DIR to your private runtime folder")
    try:
        reply = ipc.send({"cmd": "status"}, timeout_s=3)
    except TrayagentError:
        return Check("daemon", True, "not running (start it with `trayagent run` or from the Start menu); "
                                     f"its command channel: {where}")
    return Check("daemon", True, f"running: {reply.get('status')}")


def run_checks(camera: bool = True) -> list[Check]:
    checks: list[Check] = [_config()]
    cfg = config_mod.load_or_defaults()
    steps: list[Callable[[], Check]] = [
        lambda: _model(cfg["model.path"] or None), lambda: _calibration(cfg["model.path"] or None), _cascade, _data, _daemon, _autostart,
        lambda: _signals(cfg), lambda: _hotkey(cfg)]
    if camera:
        steps.append(lambda: _camera(cfg["camera.index"], cfg["camera.backend"]))
    for step in steps:
        try:
            checks.append(step())
        except Exception as e:  # a check must report, never crash the doctor
            checks.append(Check(getattr(step, "__name__", "check").strip("_"), False, f"check failed: {e}"))
    return checks


def command(args) -> int:
    checks = run_checks(camera=not args.no_camera)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        for c in checks:
            mark = "ok " if c.ok else "FIX"
            print(f"[{mark}] {c.name}: {c.detail}")
            if not c.ok and c.fix:
                print(f"      -> {c.fix}")
    return 0 if all(c.ok for c in checks) else 1
