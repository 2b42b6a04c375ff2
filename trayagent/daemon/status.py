"""What the tray shows (core/tray_status.py), built from the daemon's state. Pure: the controller gathers the facts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from trayagent import wording
from trayagent.core import durations
from trayagent.core.records import CallSummary
from trayagent.core.stress import Thresholds
from trayagent.core.tray_status import TrayStatus
from trayagent.core.visibility import Seen
from trayagent.messages import Messages


@dataclass(frozen=True)
class CallFacts:
    elapsed_s: float
    index: float
    camera_problem: str | None = None
    recording_problem: str | None = None  # writing this call's record failed (disk full): said at once
    seen: Seen = Seen.SEEN  # how well the camera has seen the face lately (core/visibility.Watch)


def tray_status(text: Messages, thresholds: Thresholds, today: tuple[CallSummary, ...], *,
                call: CallFacts | None = None, paused: bool = False, paused_until: datetime | None = None,
                problem: str | None = None, calibrating: bool = False, calibrated: bool | None = None) -> TrayStatus:
    """A call outranks a calibration and a pause (none can be both), which outrank a daemon-wide problem."""
    return replace(_status(text, thresholds, today, call, paused, paused_until, problem, calibrating),
                   calibrated=calibrated)


def _status(text: Messages, thresholds: Thresholds, today: tuple[CallSummary, ...], call: CallFacts | None,
            paused: bool, paused_until: datetime | None, problem: str | None, calibrating: bool) -> TrayStatus:
    if call is not None:
        elapsed = durations.elapsed(call.elapsed_s)
        if call.camera_problem:
            return TrayStatus("problem", text("camera_problem", elapsed=elapsed, problem=call.camera_problem),
                              True, False, call.index, today)
        if call.recording_problem:
            return TrayStatus("problem", text("error", problem=call.recording_problem), True, False, call.index,
                              today)
        if call.seen is not Seen.SEEN:  # not measured meanwhile: neither calm nor a problem
            return TrayStatus("unseen", text("on_call_unseen", elapsed=elapsed), True, False, call.index, today,
                              text(f"hint_{call.seen.value}"))
        band = thresholds.band(call.index)
        return TrayStatus(band.value, text("on_call", elapsed=elapsed, band=text(f"stress_{band.value}"),
                                           level=wording.level(call.index)), True, False, call.index, today)
    if calibrating:  # the camera is on outside a call: say so plainly
        return TrayStatus("calibrating", text("calibrating"), False, False, None, today)
    if paused:
        line = (text("paused_forever") if paused_until is None
                else text("paused", until=wording.clock(paused_until, text.language)))
        return TrayStatus("paused", line, False, True, None, today)
    if problem:
        return TrayStatus("problem", text("error", problem=problem), False, False, None, today)
    return TrayStatus("idle", text("idle"), False, False, None, today)
