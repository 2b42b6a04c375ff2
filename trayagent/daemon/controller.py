"""The daemon's controller, on its own thread with one queue: tray clicks, the hotkey and `trayagent
call|stop` only post commands (core.requests.Command) here; the recorder keeps the call. Time and the OS
come in through arguments, so tests run it headless with fakes and a fake clock."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from trayagent import paths
from trayagent.config import Config
from trayagent.core.callstate import CallStateMachine, Reading, State, Timing, Transition
from trayagent.core.errors import TrayagentError
from trayagent.core.pause import Pause, pause
from trayagent.core.requests import DESKTOP, Command
from trayagent.core.tray_status import TrayStatus, ended_call, reply
from trayagent.daemon.asked import Asked, carry_out
from trayagent.daemon.calibration_session import CalibrationSession
from trayagent.daemon.camera import FrameReader
from trayagent.daemon.gaps import GapWatch
from trayagent.daemon.invitation import Invitation
from trayagent.daemon.logs import since_process_start
from trayagent.daemon.ports import Actions, Signal, View
from trayagent.daemon.ports import read as read_signal
from trayagent.daemon.recorder import Call, Recorder
from trayagent.daemon.status import tray_status
from trayagent.messages import Messages
from trayagent.perception.pipeline import Perception
from trayagent.storage.baseline import stored as stored_baseline
from trayagent.storage.calls import CallStore

log = logging.getLogger(__name__)


class Controller:
    POLL_S = 1.0  # how often automatic call signals are read
    ANSWER_WAIT_S = 20.0  # how long the command channel waits for a command the controller has taken

    def __init__(self, cfg: Config, store: CallStore, perception: Callable[[], Perception],
                 open_camera: Callable[[], FrameReader], view: View, signal: Signal | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 actions: Actions | None = None) -> None:
        self.cfg, self.store, self.view, self.signal = cfg, store, view, signal
        self._perception_factory = perception
        self._perception: Perception | None = None
        self._open_camera = open_camera
        self._actions = actions
        self.clock, self.now = clock, now
        self.text = Messages(cfg["ui.language"])
        self.call_state = CallStateMachine(Timing(cfg["calls.start_confirm_s"], cfg["calls.end_confirm_s"],
                                                  cfg["calls.max_call_min"] * 60, cfg["calls.hold_s"]))
        self.commands: queue.Queue[tuple[Command, dict[str, Any]]] = queue.Queue()
        self._notes: list[tuple[str, str]] = []  # notifications waiting for the tray to show their state
        self.recorder = Recorder(cfg, store, open_camera, clock, now, self.text, self._say)
        self.paused: Pause | None = None
        self.stopped = threading.Event()
        self.problem: str | None = None  # daemon-wide (settings, model), shown in the tray
        self._auto_on = False  # the automatic signal's last reading
        self._next_poll = 0.0
        self._next_sample = 0.0
        self._last_status: TrayStatus | None = None
        self.started_wall = time.time()  # a quit request older than this is from an earlier install
        self._gaps = GapWatch()
        self.calibrating: CalibrationSession | None = None
        self.invitation = Invitation(store.data_dir, lambda: self._say(
            self.text("calibrate_invite_title"), self.text("calibrate_invite_body")), lambda: self.now().date(), clock())
        self._baseline_stored = stored_baseline() is not None  # until the model is loaded and says more

    @property
    def call(self) -> Call | None:
        return self.recorder.call

    # ---- posting (any thread) --------------------------------------------------------------------
    def post(self, command: Command | str, **kw: Any) -> None:
        self.commands.put((Command(command), kw))

    def ask(self, command: Command | str, timeout_s: float = 5.0, **kw: Any) -> dict:
        """Post a command and wait for the controller's reply (the command channel uses this). The
        reply tells the truth: a command not taken within `timeout_s` is withdrawn, and one taken is
        waited for, so "busy" always means nothing was done."""
        asked = Asked()
        self.commands.put((Command(command), {**kw, "_asked": asked}))
        return asked.answer(timeout_s, self.ANSWER_WAIT_S)

    # ---- the loop (controller thread) ------------------------------------------------------------
    def run(self) -> None:
        try:
            self._load_model()  # load the model now: the first call then starts without delay
        except TrayagentError as e:
            self.problem = str(e)
            log.error("%s", e)
        self.recorder.refresh_today()
        self._publish(force=True)
        log.info("ready %.2f s after the process started", since_process_start())
        while not self.stopped.is_set():
            try:
                command, kw = self.commands.get(timeout=self._wait())
            except queue.Empty:
                pass
            else:
                carry_out(kw.pop("_asked", None), command.value, partial(self.handle, command, **kw))
            self.tick()
        ended = self.call_state.end(self.clock(), reason="quit")  # dated to the quiet moment if there was one
        self.recorder.end("quit", ended.at if ended else None)

    @property
    def perception(self) -> Perception:
        return self._load_model()

    def _load_model(self) -> Perception:
        """The model, loaded the first time (TrayagentError when it cannot be)."""
        if self._perception is None:
            self._perception = self._perception_factory()
        return self._perception

    def _wait(self) -> float:
        t = self.clock()
        due = self._next_poll if self.call is None else min(self._next_poll, self._next_sample)
        return max(0.0, min(1.0, due - t))

    def handle(self, command: Command | str, **kw: Any) -> dict:
        command = Command(command)
        self._end_pause_if_over(self.clock())
        ended = self.recorder.ended
        if command not in DESKTOP:
            self._METHODS[command](self, **kw)
        elif self._actions is not None:
            self._actions(command, kw)
        self._publish()
        done = self.recorder.ended
        if command in (Command.END, Command.TOGGLE) and done is not None and done is not ended:
            kept = ended_call(done, self.recorder.kept, self.cfg.thresholds, self.cfg["calls.min_call_s"])
            return self.answer() | {"ended": kept}
        return self.answer()

    # ---- the commands ----------------------------------------------------------------------------
    def start(self) -> None:
        if self.paused is None:
            self._apply(self.call_state.start(self.clock()))

    def end(self) -> None:
        self._apply(self.call_state.end(self.clock(), self._auto_on))

    def toggle(self) -> None:
        if self.paused is not None and not self.call_state.in_call:
            self.resume()
        self._apply(self.call_state.toggle(self.clock(), self._auto_on))

    def pause(self, minutes: int | None = None) -> None:
        """End any call and watch none for `minutes` (None: until resumed)."""
        t = self.clock()
        self._apply(self.call_state.end(t, self._auto_on, reason="pause"))
        self.paused = pause(t, self.now(), minutes)

    def resume(self) -> None:
        self.paused = None

    def stop(self) -> None:
        self.stopped.set()

    def status_only(self) -> None:
        """Nothing to do: the reply carries the status."""

    def calibrate(self) -> None:
        """Measure the agent's relaxed face for about ten seconds; never during a call."""
        if self.call is not None:
            self._say(self.text("calibrate_title"), self.text("calibrate_not_in_call"))
            return
        if self.calibrating is None:
            try:
                self._load_model()
            except TrayagentError as e:
                self._say(self.text("calibrate_title"), self.text("calibrate_failed", problem=str(e)))
                return
            self.calibrating = CalibrationSession(self._open_camera, self.clock)
            self._say(self.text("calibrate_title"), self.text("calibrating"))

    _METHODS: dict[Command, Callable[..., None]] = {
        Command.START: start, Command.END: end, Command.TOGGLE: toggle, Command.PAUSE: pause,
        Command.RESUME: resume, Command.STOP: stop, Command.STATUS: status_only, Command.CALIBRATE: calibrate,
    }

    def _end_pause_if_over(self, t: float) -> None:
        if self.paused is not None and self.paused.over(t):
            self.resume()

    # ---- each turn of the loop -------------------------------------------------------------------
    def tick(self) -> None:
        t = self.clock()
        wall = self.now()
        slept_from = self._gaps.check(t, wall)
        if slept_from is not None and self.call is not None:
            # The call was not watched meanwhile and is most likely over.
            log.warning("no tick for a while (sleep?): ending the call as of before the gap")
            self._apply(self.call_state.end(slept_from, False, reason="sleep"))  # dated before the gap
        if t >= self._next_poll:
            self._next_poll = t + self.POLL_S
            if self._quit_requested():
                log.info("the installer asked trayagent to quit (%s)", paths.quit_request())
                self.stopped.set()
                return
            self._end_pause_if_over(t)
            paused = self.paused is not None
            reading = read_signal(self.signal) if not paused else Reading(False)
            self._auto_on = reading.on
            if not paused:
                self._apply(self.call_state.update(t, reading))
            self.invitation.watch(t, self.call is not None or self.calibrating is not None or self.paused is not None,
                                  self.calibrated, self.cfg["ui.notify"])
        # While the signal is quiet (ENDING) the camera is closed and nothing is sampled.
        if self.call is not None and self.call_state.state is not State.ENDING and t >= self._next_sample:
            self._next_sample = max(self._next_sample + 1.0 / self.cfg["camera.fps"], t)
            self.recorder.sample(t)
        if self.calibrating is not None and self.calibrating.step(t):
            self._finish_calibration()
        self.recorder.retry(t)
        self._publish()

    def _quit_requested(self) -> bool:
        try:
            return paths.quit_request().stat().st_mtime > self.started_wall
        except OSError:
            return False

    # ---- calls -----------------------------------------------------------------------------------
    def _apply(self, transition: Transition | None) -> None:
        if transition is None:
            return
        log.info("call %s (%s)", transition.action, transition.reason)
        if transition.action == "start":
            self._start_call(transition.at)
        elif transition.action == "end":
            self.recorder.end(transition.reason, transition.at)
        elif transition.action == "quiet":
            # The microphone stopped: the call has most likely ended, so the camera closes now, not
            # when the debounce confirms it; it reopens if the signal comes back first.
            self.recorder.quiet()
        elif transition.action == "back":
            self.recorder.back()
            self._next_sample = self.clock()

    def _finish_calibration(self) -> None:
        session, self.calibrating = self.calibrating, None
        if session is None:
            return
        problem = session.finish(self.perception, self.cfg)  # applied from now on, without a restart
        self._say(self.text("calibrate_title"), self.text("calibrate_done") if problem is None
                         else self.text("calibrate_failed", problem=problem))

    def _start_call(self, at: float | None = None) -> None:
        """Start recording a call dated to have started at `at` (monotonic; None: now)."""
        if self.calibrating is not None:  # the call matters more: its camera session takes over
            self.calibrating.abort()
            self.calibrating = None
            log.info("calibration cut short by a call")
        try:
            self._load_model()
        except TrayagentError as e:  # no model, no point opening the camera: say so and stay up
            self.problem = str(e)
            log.error("cannot watch this call: %s", e)
            return
        if self.recorder.start(at, self.perception):
            self._next_sample = self.clock()

    @property
    def calibrated(self) -> bool:
        """Faces are read through the person's baseline (for this model, once it is loaded)."""
        if self._perception is not None:
            return self._perception.calibration is not None
        return self._baseline_stored

    # ---- what the tray shows ---------------------------------------------------------------------
    def status(self) -> TrayStatus:
        return tray_status(self.text, self.cfg.thresholds, self.recorder.today, call=self.recorder.facts(self.clock()),
                           paused=self.paused is not None, paused_until=self.paused.until_wall if self.paused else None,
                           problem=self.recorder.problem or self.problem,
                           calibrating=self.calibrating is not None, calibrated=self.calibrated)

    def _say(self, title: str, body: str) -> None:
        """Notify once the tray shows what the note is about (`_publish`): a note carries its icon."""
        self._notes.append((title, body))

    def _publish(self, force: bool = False) -> None:
        status = self.status()
        if force or status != self._last_status:
            self._last_status = status
            self.view.show(status)
        for note in self._notes:
            self.view.notify(*note)
        self._notes.clear()

    def answer(self) -> dict:
        return reply(self._last_status or self.status(), self.recorder.call_id, self.recorder.camera_open)
