"""What the tray shows, and the command channel's reply, which carries the same status.

Pure values: the daemon builds them (daemon/status.py), the tray draws them (ui/tray.py) and
`trayagent status` prints the reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from trayagent.core.bands import highest_band
from trayagent.core.measured import call_measured
from trayagent.core.records import CallSummary
from trayagent.core.stress import Thresholds

Look = Literal["calm", "elevated", "alert", "idle", "paused", "problem", "unseen", "calibrating"]  # ui.icons draws each


@dataclass(frozen=True)
class TrayStatus:
    """Everything the tray shows; the tray redraws only what changed."""

    look: Look
    line: str  # the menu's status line and the tooltip
    in_call: bool = False
    paused: bool = False
    index: float | None = None
    today: tuple[CallSummary, ...] = field(default=())
    hint: str = ""  # what would help, on a menu line of its own (the camera cannot see the face)
    calibrated: bool | None = None  # faces read through the person's baseline (None: not known)


def reply(status: TrayStatus, call_id: str | None, camera_open: bool) -> dict[str, Any]:
    """The command channel's answer to a request it carried out: the status as it now stands."""
    return {"ok": True, "state": "call" if status.in_call else "paused" if status.paused else "idle",
            "look": status.look, "status": status.line, "index": status.index, "call_id": call_id,
            "camera_open": camera_open, "calibrated": status.calibrated, "hint": status.hint or None}


def ended_call(summary: CallSummary, kept: bool, thresholds: Thresholds, min_call_s: float) -> dict[str, Any]:
    """What `call end` confirms: the call that ended, whether its record was kept (a call shorter
    than `calls.min_call_s` is not), and the band it reached (None: not measured)."""
    return {"id": summary.id if kept else None, "kept": kept, "start": summary.start.isoformat(timespec="seconds"),
            "duration_s": round(summary.duration_s, 1), "min_call_s": min_call_s,
            "band": highest_band(summary.peak, thresholds).value if call_measured(summary) else None}


def refusal(error: str) -> dict[str, Any]:
    """The command channel's answer when nothing (or not all) was done, and why."""
    return {"ok": False, "error": error}
