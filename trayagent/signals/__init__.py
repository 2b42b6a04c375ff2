"""Call signals: sources the call-state machine polls to know whether a call is on.

Each signal is cheap to poll (about once a second, from a worker thread) and never raises. The
automatic one is built from config; manual signals (hotkey, tray, CLI) live elsewhere.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Protocol

from trayagent.core.callstate import Reading
from trayagent.signals.mic import MicSource
from trayagent.signals.processes import ProcessTable, PsutilProcessTable
from trayagent.signals.softphone import SoftphoneCallSignal

if TYPE_CHECKING:
    from trayagent.config import Config

log = logging.getLogger(__name__)


class CallSignal(Protocol):
    name: str  # e.g. "softphone+microphone (pactl)"

    def reading(self) -> Reading:
        """Is a call on now, through which capture streams? Fast (<50 ms typical); logs and reads as
        off on errors, never raises."""
        ...

    def active(self) -> bool:
        """reading().on"""
        ...

    def describe(self) -> str:
        """One line for `trayagent doctor` and logs: what it watches and what it sees now."""
        ...

    def check(self) -> tuple[bool, str, str]:
        """Whether the signal could look at all (False: it is failing), describe()'s line, and
        advice for one that works less well than it could (empty: none)."""
        ...


def platform_mic_source(table: ProcessTable) -> MicSource | None:
    """The platform's "microphone in use" source, or None where there is none (macOS, other)."""
    if sys.platform == "win32":
        from trayagent.signals.mic_windows import default_source

        return default_source(table)
    if sys.platform.startswith("linux"):
        from trayagent.signals.mic_linux import PactlMicSource

        # Even without pactl installed: it then reads as unavailable each poll (and the signal falls
        # back to UDP), which doctor reports with the package to install.
        return PactlMicSource()
    return None


def automatic_signal(cfg: Config, table: ProcessTable | None = None,
                     mic: MicSource | None = None) -> CallSignal | None:
    """Softphone process + microphone (or UDP rise where no microphone signal is available).
    None when calls.auto_detect is off. `table` and `mic` are for tests; by default the real ones."""
    if not cfg["calls.auto_detect"]:
        return None
    table = PsutilProcessTable() if table is None else table
    if not cfg["calls.microphone"]:
        mic = None
    elif mic is None:
        mic = platform_mic_source(table)
    return SoftphoneCallSignal(cfg["calls.softphones"], table, mic, cfg["calls.udp_hold_s"])


__all__ = ["CallSignal", "automatic_signal", "platform_mic_source"]
