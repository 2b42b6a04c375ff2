"""The daemon put together: settings, store, controller, tray, command channel, hotkey, signals.

`App.run` builds each piece, starts the controller on its thread and hands the main thread to the
tray (which some platforms require). Every entry point, tray menu, hotkey and command channel, ends
in `Controller.post` or `Controller.ask` with a `Command`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from trayagent import __version__, config, i18n, paths
from trayagent.core.errors import TrayagentError
from trayagent.core.requests import Command, parse_request
from trayagent.core.tray_status import refusal
from trayagent.daemon import ipc
from trayagent.i18n import _
from trayagent.platform import autostart, desktop, launch, session_end
from trayagent.storage import baseline
from trayagent.storage.calls import CallStore, RecordingError
from trayagent.storage.private import describe, make_private_dir
from trayagent.team import sender as team_sender

if TYPE_CHECKING:  # loaded only when the daemon runs
    from trayagent.platform.hotkey import HotkeyHandle
    from trayagent.signals import CallSignal
    from trayagent.ui.tray import HeadlessView, MenuModel, PystrayView

log = logging.getLogger("trayagent")


def instance_lock() -> FileLock:
    make_private_dir(paths.runtime_dir())
    return FileLock(str(paths.runtime_dir() / "instance.lock"))


def camera_source(arg: str | None, cfg: config.Config) -> int | Path:
    if arg is None:
        return cfg["camera.index"]
    if arg.isdigit():
        return int(arg)
    path = Path(arg)
    if not path.is_file():
        raise TrayagentError(_("--camera {value}: neither a camera index nor a video file").format(value=arg))
    from trayagent.perception.frames import check_video

    check_video(path)  # refused now, not at the first call
    return path


class App:
    def __init__(self, camera: str | None = None, model: str | None = None, tray: bool = True) -> None:
        self.camera_arg, self.model_arg, self.want_tray = camera, model, tray
        self._store_problem: str | None = None
        self._failure: str | None = None
        self.autostart = autostart.for_platform()

    def run(self) -> int:
        from trayagent.daemon.controller import Controller
        from trayagent.messages import Messages
        from trayagent.perception.frames import LatestFrameReader
        from trayagent.perception.pipeline import Perception
        from trayagent.ui.tray import HeadlessView, MenuModel, PystrayView

        log.info("trayagent %s starting (pid %d)", __version__, os.getpid())
        cfg = config.load_or_defaults()
        _write_default_settings()
        store = self._open_store(cfg)
        source = camera_source(self.camera_arg, cfg)
        model = self.model_arg or cfg["model.path"] or None

        def open_camera() -> LatestFrameReader:
            return LatestFrameReader(source, cfg["camera.backend"], cfg["camera.warmup_s"])

        # The tray's callbacks only post commands; the controller they post to is made just below,
        # before the tray runs any callback.
        i18n.use(cfg["ui.language"])
        menu = MenuModel(Messages(cfg["ui.language"]), self.post, self.autostart.state, cfg.thresholds)
        self.view = self._make_view(menu, PystrayView, HeadlessView)
        self.controller = Controller(cfg, store, lambda: Perception.for_user(model, baseline.stored(), cfg), open_camera, self.view,
                                     _automatic_signal(cfg), actions=self._desktop_action)
        self.controller.problem = cfg.problem
        self.controller.recorder.problem = self._store_problem
        server = ipc.CommandServer(self._remote)
        # The team view's sender, in a thread of its own: only when IT's policy turns it on.
        team = team_sender.start_beside(lambda: cfg, store, self.view.notify)
        hotkey, hotkey_problem = _start_hotkey(cfg["calls.hotkey"], lambda: self.post(Command.TOGGLE))
        self.controller.problem = self.controller.problem or hotkey_problem
        self._greet(isinstance(self.view, PystrayView), self.controller.signal, cfg["calls.hotkey"] if hotkey else None,
                    source)
        worker = threading.Thread(target=self._supervise, name="controller", daemon=True)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        # Windows: a call open at sign-out or shutdown is closed out then (not at the next start).
        session = session_end.start(session_end.SessionEnd(lambda: self.post(Command.STOP),
                                                           lambda seconds: _stopped_within(worker, seconds)))
        try:
            self.view.run(worker.start)
        finally:
            self.post(Command.STOP)
            worker.join(timeout=15)
            server.close()
            if team is not None:
                team.stop()
            if hotkey is not None:
                hotkey.stop()
            if session is not None:
                session.stop()
            log.info("trayagent stopped")
        if self._failure is not None:  # not a clean stop: say why, and exit so a supervisor sees it
            raise TrayagentError(_("stopped: the controller failed {n} times ({error}); details in {folder}").format(
                n=3, error=self._failure, folder=paths.log_dir()))
        return 0

    def post(self, command: Command, **kw: Any) -> None:
        """Tray and hotkey entry point."""
        self.controller.post(command, **kw)

    def _remote(self, message: dict) -> dict:
        """Command channel entry point: a request from `trayagent call|pause|status|stop`."""
        try:
            command, kw = parse_request(message)
        except ValueError as e:
            return refusal(str(e))
        return self.controller.ask(command, **kw)

    def _desktop_action(self, command: Command, kw: dict[str, Any]) -> None:
        """Tray work that touches no call state; runs on the controller's thread."""
        if command is Command.OPEN_GRAPH:
            call_id = kw.get("call_id")
            launch.spawn(["graph", call_id] if call_id else ["graph", "--today"])  # its own process
        elif command is Command.TEAM:
            launch.spawn(["team", "join", "--window"])  # a window of its own process
        elif command is Command.OPEN_WEEK:
            launch.spawn(["graph", "--week"])
        elif command is Command.OPEN_DATA:
            desktop.open_path(paths.data_dir())
        elif command is Command.AUTOSTART:
            self.autostart.enable() if kw["enable"] else self.autostart.disable()
        elif command is Command.ABOUT:
            text = self.controller.text
            self.view.notify("trayagent", text("about_body", version=__version__) + " " + text(
                "about_calibrated" if self.controller.calibrated else "about_not_calibrated"))

    def _greet(self, tray: bool, call_signal: object, hotkey: str | None, camera: int | Path) -> None:
        """Started by hand in a terminal: say in a few lines what it is doing, then stay quiet."""
        import sys

        from trayagent.daemon.greeting import greeting

        if sys.stdout is None or not sys.stdout.isatty():
            return
        lines = greeting(tray=tray, asked_no_tray=not self.want_tray,
                         signal_name=getattr(call_signal, "name", None), hotkey=hotkey or None, camera=camera,
                         data=paths.data_dir())
        print("\n".join(lines), flush=True)

    def _open_store(self, cfg: config.Config) -> CallStore:
        """The calls, crashed ones closed out and old ones deleted. An index that cannot be read is a
        refusal to start (TrayagentError); one that cannot be written (disk full) is a tray problem."""
        store = CallStore(paths.data_dir())
        try:
            make_private_dir(paths.data_dir())
            store.recover(min_call_s=cfg["calls.min_call_s"])
            if cfg["privacy.retention_days"]:
                store.purge(datetime.now().astimezone() - timedelta(days=cfg["privacy.retention_days"]))
        except RecordingError as e:
            self._store_problem = str(e)
            log.error("%s", e)
        except OSError as e:
            raise TrayagentError(_("cannot start: {path}: cannot use the data folder ({reason}); free disk space or "
                                   "fix the folder's permissions").format(path=paths.data_dir(), reason=describe(e))) from None
        return store

    def _make_view(self, menu: MenuModel, pystray_view: type[PystrayView],
                   headless_view: type[HeadlessView]) -> PystrayView | HeadlessView:
        if desktop.has_display() and self.want_tray:
            try:
                return pystray_view(menu)
            except Exception as e:  # no tray host, no backend: run on, reachable by the CLI
                log.warning("no system tray (%s); running without an icon", e)
        return headless_view()

    def _supervise(self) -> None:
        """Run the controller; restart it a few times if it crashes, then stop the tray with it."""
        for attempt in range(3):
            try:
                self.controller.run()
                break
            except Exception as e:
                log.exception("controller crashed (attempt %d of 3)", attempt + 1)
                self._failure = f"{type(e).__name__}: {e}"
                time.sleep(1)
            else:
                self._failure = None
        else:
            log.critical("controller crashed 3 times: stopping")
        self.view.stop()

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        self.post(Command.STOP)


def _stopped_within(worker: threading.Thread, seconds: float) -> bool:
    """Has the controller stopped (its call closed out and indexed) within `seconds`?"""
    try:
        worker.join(seconds)
    except RuntimeError:  # not started yet: no call to close
        return True
    return not worker.is_alive()


def _write_default_settings() -> None:
    """A commented settings file at first run, so users find what they can change."""
    user = paths.config_file()
    if user.exists():
        return
    try:
        make_private_dir(user.parent)
        user.write_text(config.default_text(), encoding="utf-8")
    except OSError as e:
        log.warning("cannot write default settings to %s (%s)", user, e.strerror)


def _automatic_signal(cfg: config.Config) -> CallSignal | None:
    try:
        from trayagent.signals import automatic_signal
    except ImportError:
        return None
    try:
        return automatic_signal(cfg)
    except Exception:
        log.exception("automatic call detection unavailable")
        return None


def _start_hotkey(spec: str, callback: Callable[[], None]) -> tuple[HotkeyHandle | None, str | None]:
    """The running hotkey (or None), and a problem for the tray when the setting itself is wrong: like
    any bad setting, the agent should hear of it, not only the log. A hotkey another program holds, or
    a desktop without global hotkeys, is only logged (doctor explains it)."""
    if not spec:
        return None, None
    try:
        from trayagent.platform.hotkey import HotkeyError, start_hotkey
    except ImportError:
        return None, None
    try:
        return start_hotkey(spec, callback), None
    except HotkeyError as e:
        log.warning("%s", e)
        return None, str(e)
    except Exception as e:
        log.warning("global hotkey %s unavailable: %s", spec, e)
        return None, None
