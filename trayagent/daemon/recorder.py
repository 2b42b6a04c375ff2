"""One call's record: the recorder owns what a call owns (its camera, its file, its running totals,
its visibility watch). Each sample is read through the perception the controller built once and
written as it comes (and again once a failed disk works); the end is dated and the samples after
it taken back, the index row written (later, if the disk is full), and the day's calls kept for
the tray."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from trayagent import wording
from trayagent.config import Config
from trayagent.core.callstate import Reason
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary
from trayagent.core.stress import CallStats
from trayagent.core.visibility import Seen, VisibilityThresholds, Watch
from trayagent.daemon.camera import CameraSession, FrameReader
from trayagent.daemon.status import CallFacts
from trayagent.messages import Messages
from trayagent.perception.pipeline import FaceReading, Perception
from trayagent.storage.calls import CallStore, CallWriter, RecordingError

log = logging.getLogger(__name__)

RECORDING_RETRY_S = 5.0  # after a failed write (disk full), how often to try again
_NO_FACE = FaceReading(None, None, None)


@dataclass
class Call:
    writer: CallWriter
    camera: CameraSession
    perception: Perception  # built once by the controller, read through for every sample
    started: float  # monotonic: when the call is dated to have started (the signal's rise)
    start_wall: datetime
    stats: CallStats = field(default_factory=CallStats)
    watch: Watch = field(default_factory=lambda: Watch(VisibilityThresholds()))  # can the camera see the face
    # (sample time, stats before it) for the last samples: a call dated to have ended before the
    # poll that saw it end takes the later samples back (storage.calls.CallWriter.drop_after).
    undo: deque[tuple[datetime, CallStats]] = field(default_factory=lambda: deque(maxlen=64))
    recording: bool = True
    told_unseen: bool = False  # the "camera cannot see you" notification comes once a call
    retry_at: float = 0.0  # monotonic: when to try writing again after a failed write

    def time_at(self, t: float) -> datetime:
        """Times within a call run on the monotonic clock from its start: a wall-clock change
        (NTP, time zone, a user fixing the time) cannot reorder or stretch a call's record."""
        return self.start_wall + timedelta(seconds=t - self.started)

    def take_back_after(self, end: datetime) -> None:
        """Samples recorded after the moment the call is dated to have ended leave its figures and file."""
        cut = next((stats for when, stats in self.undo if when > end), None)
        if cut is None:
            return
        self.stats = cut
        try:
            dropped = self.writer.drop_after(end)
        except RecordingError as e:  # the summary still ends at `end`; the file keeps a row or two more
            log.warning("%s", e)
        else:
            log.info("call %s: %d samples after its end taken back", self.writer.id, dropped)


class Recorder:
    def __init__(self, cfg: Config, store: CallStore, open_camera: Callable[[], FrameReader],
                 clock: Callable[[], float], now: Callable[[], datetime], text: Messages,
                 notify: Callable[[str, str], None]) -> None:
        self.cfg, self.store, self._open_camera = cfg, store, open_camera
        self.clock, self.now, self.text, self._notify = clock, now, text, notify
        self.call: Call | None = None
        self.problem: str | None = None  # writing failed; cleared once a write works again
        self.today: tuple[CallSummary, ...] = ()
        self._unindexed: list[CallSummary] = []  # ended calls whose index row could not be written yet
        self._next_index_retry = 0.0
        self.ended: CallSummary | None = None  # the last call that ended, kept or not (`kept`)
        self.kept = False

    def start(self, at: float | None, perception: Perception) -> bool:
        """Start recording a call dated to have started at `at` (monotonic; None: now), its faces
        read through `perception`."""
        t = self.clock()
        at = t if at is None else min(at, t)
        try:
            start_wall = self.now() - timedelta(seconds=t - at)
            writer = self.store.new_call(start_wall)
        except RecordingError as e:
            self.problem = str(e)
            log.error("%s", e)
            return False
        perception.detector.reset()  # a new call: no face tracked from the last one
        self.call = Call(writer, CameraSession(self._open_camera, self.clock), perception, at, start_wall,
                         CallStats(visibility=self.cfg.visibility), Watch(self.cfg.visibility))
        self.call.camera.open()
        return True

    def quiet(self) -> None:
        """The call's signal went quiet: the camera closes now, not when the end is confirmed."""
        if self.call is not None:
            self.call.camera.close()

    def back(self) -> None:
        """The signal came back before the end was confirmed: the camera reopens."""
        if self.call is not None:
            self.call.camera.open()

    @property
    def call_id(self) -> str | None:
        return self.call.writer.id if self.call else None

    @property
    def camera_open(self) -> bool:
        return bool(self.call and self.call.camera.is_open)

    def facts(self, t: float) -> CallFacts | None:
        """What the tray needs to know about the call at monotonic `t`; None outside a call."""
        call = self.call
        if call is None:
            return None
        return CallFacts(t - call.started, call.stats.index, call.camera.problem,
                         None if call.recording else self.problem, call.watch.state)

    def sample(self, t: float) -> None:
        call = self.call
        if call is None:
            return
        due, image = call.camera.newest(t)
        if not due:
            return
        obs = call.perception.observe(image) if image is not None else _NO_FACE
        if call.stats.samples == 0 and image is not None:
            log.info("first result %.2f s after the call started", self.clock() - call.started)
        call.undo.append((call.time_at(t), replace(call.stats)))
        index = call.stats.step(obs.emotion, obs.calibrated, obs.visibility)
        sample = obs.sample(call.time_at(t), index)
        if call.watch.add(sample.time, sample.visibility) is not Seen.SEEN and not call.told_unseen:
            call.told_unseen = True
            if self.cfg["ui.notify"]:
                self._notify(self.text("unseen_title"), self.text(f"hint_{call.watch.state.value}"))
        if call.recording or t >= call.retry_at:
            try:
                call.writer.write(sample)
            except RecordingError as e:
                if call.recording:  # keep the daemon and the live index; tell the user now
                    self.problem = self.text("recording_stopped", problem=e)
                    log.error("%s; recording stopped until writing works again", e)
                call.recording, call.retry_at = False, t + RECORDING_RETRY_S
            else:
                if not call.recording:
                    log.info("writing works again: recording call %s again", call.writer.id)
                    call.recording = True
                self.problem = None

    def end(self, reason: Reason, at: float | None = None) -> None:
        """End the call dated to have ended at `at` (monotonic; None: now): samples taken after
        that are taken back, and the minimum length is checked against the dated length."""
        call, self.call = self.call, None
        if call is None:
            return
        call.camera.close()
        t = self.clock()
        end = call.time_at(max(call.started, t if at is None else min(at, t)))
        call.take_back_after(end)
        call.writer.close()
        summary = call.stats.summary(call.writer.id, call.start_wall, end)
        self.ended, self.kept = summary, summary.duration_s >= self.cfg["calls.min_call_s"]
        if not self.kept:
            log.info("call %s lasted %.1f s: too short to keep", summary.id, summary.duration_s)
            self.store.discard(call.writer)
            return
        self._unindexed.append(summary)
        self.index_pending()
        log.info("call %s ended (%s): %d samples, peak %.3f, final %.3f", summary.id, reason, summary.samples,
                 summary.peak, summary.final)
        self.refresh_today()
        if self.cfg["ui.notify"] and summary.samples and summary.final >= self.cfg.thresholds.alert_from:
            self._notify(self.text("break_title"), self.text("break_body", index=wording.index(summary.final)))

    def retry(self, t: float) -> None:
        """Index rows that could not be written are tried again every RECORDING_RETRY_S."""
        if self._unindexed and t >= self._next_index_retry:
            self._next_index_retry = t + RECORDING_RETRY_S
            self.index_pending()

    def index_pending(self) -> None:
        """Write the index rows of ended calls; one that cannot be written (disk full) waits for
        `retry`, so nothing is lost and the problem clears once writing works."""
        while self._unindexed:
            try:
                self.store.add_to_index(self._unindexed[0])
            except RecordingError as e:
                if self.problem != str(e):
                    log.error("%s", e)
                self.problem = str(e)
                return
            self._unindexed.pop(0)
            self.problem = None
            self.refresh_today()

    def refresh_today(self) -> None:
        now = self.now()
        try:
            self.today = tuple(self.store.calls_on(now.date(), now.tzinfo))
        except TrayagentError as e:  # an index that became unreadable: say so, keep recording
            self.problem = str(e)
