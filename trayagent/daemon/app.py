"""`trayagent run` wires the daemon together; `trayagent call|stop|status` talk to it."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from filelock import FileLock, Timeout

from trayagent import __version__, paths
from trayagent.platform import autostart
from trayagent.daemon import ipc
from trayagent import config as config_mod
from trayagent.core.errors import TrayagentError
from trayagent.storage.calls import CallStore, make_private_dir

log = logging.getLogger("trayagent")


def instance_lock() -> FileLock:
    make_private_dir(paths.runtime_dir())
    return FileLock(str(paths.runtime_dir() / "instance.lock"))


def _camera_source(arg: str | None, cfg) -> int | Path:
    if arg is None:
        return cfg["camera.index"]
    if arg.isdigit():
        return int(arg)
    path = Path(arg)
    if not path.is_file():
        raise TrayagentError(f"--camera {arg}: neither a camera index nor a video file")
    return path


def _load_config() -> tuple[config_mod.Config, str | None]:
    """The daemon starts even with a broken settings file: on defaults, with the problem in the tray."""
    try:
        cfg = config_mod.load()
    except config_mod.ConfigError as e:
        log.error("%s; running on default settings", e)
        return config_mod.defaults(), str(e)
    for w in cfg.warnings:
        log.warning("%s", w)
    user = paths.config_file()
    if not user.exists():
        try:
            make_private_dir(user.parent)
            user.write_text(config_mod.default_text(), encoding="utf-8")
        except OSError as e:
            log.warning("cannot write default settings to %s (%s)", user, e.strerror)
    return cfg, None


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_command(args) -> int:
    from trayagent.daemon import logs

    logs.setup(args.verbose)
    lock = instance_lock()
    try:
        lock.acquire(timeout=0)
    except Timeout:
        from trayagent.messages import Messages

        try:
            language = config_mod.load()["ui.language"]
        except config_mod.ConfigError:
            language = "auto"
        print(Messages(language)("already_running"))
        return 0
    try:
        return _run(args)
    finally:
        lock.release()


def _run(args) -> int:
    from trayagent.daemon.controller import Controller
    from trayagent.perception.frames import LatestFrameReader
    from trayagent.perception.pipeline import Perception
    from trayagent.ui.tray import HeadlessView, MenuModel, PystrayView

    log.info("trayagent %s starting (pid %d)", __version__, os.getpid())
    cfg, config_problem = _load_config()
    store = CallStore(paths.data_dir())
    make_private_dir(paths.data_dir())
    store.recover()
    if cfg["privacy.retention_days"]:
        from datetime import datetime, timedelta

        store.purge(datetime.now().astimezone() - timedelta(days=cfg["privacy.retention_days"]))
    source = _camera_source(args.camera, cfg)
    model = args.model or cfg["model.path"] or None

    def open_camera():
        return LatestFrameReader(source, cfg["camera.backend"], cfg["camera.warmup_s"])

    auto = autostart.for_platform()

    def post(command: str, **kw) -> None:
        """Tray and hotkey entry point: work that is not call state runs as an 'action'.
        (`controller` and `view` are bound below, before the tray can call this.)"""
        if command == "open_graph":
            controller.post("action", run=lambda: _spawn_graph(kw["call_id"]))
        elif command == "open_data":
            controller.post("action", run=lambda: _open_folder(paths.data_dir()))
        elif command == "autostart":
            controller.post("action", run=lambda: auto.enable() if kw["enable"] else auto.disable())
        elif command == "about":
            controller.post("action", run=lambda: view.notify("trayagent", controller.text(
                "about_body", version=__version__)))
        else:
            controller.post(command, **kw)

    from trayagent.messages import Messages

    model_view = MenuModel(Messages(cfg["ui.language"]), post, auto.state)
    view = None
    if _has_display() and not args.no_tray:
        try:
            view = PystrayView(model_view)
        except Exception as e:  # no tray host, no backend: run on, reachable by the CLI
            log.warning("no system tray (%s); running without an icon", e)
    view = view or HeadlessView()

    controller = Controller(cfg, store, lambda: Perception(model), open_camera, view, _automatic_signal(cfg))
    controller.problem = config_problem

    def handle(request: dict) -> dict:
        cmd = request.get("cmd")
        if cmd == "call" and request.get("action") in ("start", "end", "toggle"):
            return controller.ask(request["action"])
        if cmd in ("stop", "status", "noop", "pause", "resume"):
            kw = {"minutes": request.get("minutes")} if cmd == "pause" else {}
            return controller.ask(cmd, **kw)
        return {"ok": False, "error": f"unknown request {request!r}"}

    server = ipc.CommandServer(handle)
    hotkey = _start_hotkey(cfg, lambda: controller.post("toggle"))
    worker = threading.Thread(target=_supervise, args=(controller, view), name="controller", daemon=True)

    def on_signal(signum, _frame) -> None:
        log.info("signal %d: stopping", signum)
        controller.post("stop")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        view.run(worker.start)
    finally:
        controller.post("stop")
        worker.join(timeout=15)
        server.close()
        if hotkey is not None:
            hotkey.stop()
        log.info("trayagent stopped")
    return 0


def _supervise(controller, view) -> None:
    """Run the controller; restart it a few times if it crashes, then stop the tray with it."""
    for attempt in range(3):
        try:
            controller.run()
            break
        except Exception:
            log.exception("controller crashed (attempt %d of 3)", attempt + 1)
            time.sleep(1)
    view.stop()


def _automatic_signal(cfg):
    try:
        from trayagent.signals import automatic_signal
    except ImportError:
        return None
    try:
        return automatic_signal(cfg)
    except Exception:
        log.exception("automatic call detection unavailable")
        return None


def _start_hotkey(cfg, callback):
    spec = cfg["calls.hotkey"]
    if not spec:
        return None
    try:
        from trayagent.platform.hotkey import start_hotkey
    except ImportError:
        return None
    try:
        return start_hotkey(spec, callback)
    except Exception as e:
        log.warning("global hotkey %s unavailable: %s", spec, e)
        return None


def self_command() -> list[str]:
    """How to run another trayagent command as a child process (frozen or not)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "trayagent"]


def _spawn_graph(call_id: str | None) -> None:
    args = ["graph", call_id] if call_id else ["graph", "--today"]
    subprocess.Popen(self_command() + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=sys.platform != "win32")


def _open_folder(path: Path) -> None:
    from trayagent.commands.history import open_path

    open_path(path)


# ---- the client side ---------------------------------------------------------------------------
def call_command(args) -> int:
    reply = ipc.send({"cmd": "call", "action": args.action})
    return _print_reply(reply, args)


def pause_command(args) -> int:
    return _print_reply(ipc.send({"cmd": "pause", "minutes": args.minutes}), args)


def resume_command(args) -> int:
    return _print_reply(ipc.send({"cmd": "resume"}), args)


def status_command(args) -> int:
    try:
        reply = ipc.send({"cmd": "status"})
    except ipc.NotRunning:
        print(json.dumps({"state": "not running"}) if args.json else "trayagent is not running")
        return 3
    return _print_reply(reply, args)


def stop_command(args) -> int:
    try:
        ipc.send({"cmd": "stop"})
    except ipc.NotRunning:
        print("trayagent is not running")
        return 0
    lock = instance_lock()
    try:  # the daemon holds its lock until the open call is closed out and everything is released
        lock.acquire(timeout=20)
        lock.release()
    except Timeout:
        raise TrayagentError("trayagent was asked to stop but is still running after 20 s") from None
    print("trayagent stopped")
    return 0


def _print_reply(reply: dict, args) -> int:
    if not reply.get("ok"):
        raise TrayagentError(reply.get("error", "the daemon refused the request"))
    if getattr(args, "json", False):
        print(json.dumps({k: v for k, v in reply.items() if k != "ok"}))
    else:
        print(reply.get("status", "ok"))
    return 0
