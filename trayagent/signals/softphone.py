"""The automatic call signal: a softphone runs AND (it holds the microphone, or, where no microphone
signal exists, its UDP socket count rose over its idle baseline, i.e. RTP streams were opened).

Process presence alone is never a call (softphones sit in the tray all day), and neither is UDP alone
(WebRTC apps and browsers keep UDP sockets open while idle).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Iterable

from trayagent.signals.mic import MicSource, MicUser
from trayagent.signals.processes import ProcessInfo, ProcessTable, name_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Observation:
    active: bool
    softphones: tuple[ProcessInfo, ...]  # configured softphones running now
    evidence: str  # why active, or what was seen instead
    mode: str  # "microphone (pactl)", "udp", ...


class UdpRise:
    """Per softphone process, the fewest UDP sockets seen since it appeared is its idle baseline;
    more than that means media streams are open. Starting mid-call makes the in-call count the
    baseline, which misses that one call rather than inventing one later."""

    def __init__(self) -> None:
        self._baseline: dict[tuple[int, str], int] = {}

    def rising(self, table: ProcessTable, procs: Iterable[ProcessInfo]) -> list[tuple[ProcessInfo, int, int]]:
        seen: dict[tuple[int, str], int] = {}
        out = []
        for p in procs:
            n = table.udp_sockets(p.pid)
            if n is None:
                continue
            key = (p.pid, p.name)
            base = min(n, self._baseline.get(key, n))
            seen[key] = base
            if n > base:
                out.append((p, n, base))
        self._baseline = seen  # forget processes that ended (their pid may come back as another app)
        return out


# What may follow a softphone's name in the names of its other programs: a version (zoiper5, bria5),
# a console or daemon variant (linphonec, linphonecsh, linphone-daemon), a part after a separator.
_FAMILY_TAIL = re.compile(r"(\d+|c|csh|[-_. ].*)?")


def in_family(process: str, softphones: frozenset[str]) -> bool:
    """Whether a process (name_key form) is one of the softphones or of their family: "linphone"
    covers linphonec and linphone-daemon, "zoiper" covers zoiper5; "zoom" does not cover zoomit."""
    if process in softphones:
        return True
    return any(process.startswith(s) and _FAMILY_TAIL.fullmatch(process[len(s):]) for s in softphones)


class SoftphoneCallSignal:
    def __init__(self, softphones: Iterable[str], table: ProcessTable, mic: MicSource | None) -> None:
        self._softphones = frozenset(name_key(s) for s in softphones if s.strip())
        self._table = table
        self._mic = mic
        self._udp = UdpRise()
        self._last_error = ""
        # active() runs on the call-state thread, describe() may come from elsewhere (doctor, tray)
        self._lock = threading.Lock()
        self.name = f"softphone+microphone ({mic.name})" if mic is not None else "softphone+udp"

    def _is_softphone(self, name: str | None) -> bool:
        return name is not None and in_family(name_key(name), self._softphones)

    def _mic_user_is_softphone(self, u: MicUser) -> bool:
        # The pid names the process reliably (a launcher symlink, a renamed exe); the reported name
        # covers a pid from another pid namespace (Flatpak) or a platform that gives no pid.
        if u.pid is not None and self._is_softphone(self._table.name_of(u.pid)):
            return self._table.mine(u.pid)
        return self._is_softphone(u.name)

    def observe(self) -> Observation:
        with self._lock:
            return self._observe()

    def _observe(self) -> Observation:
        running = tuple(p for p in self._table.processes()
                        if self._is_softphone(p.name) and self._table.mine(p.pid))
        if not running:
            self._udp.rising(self._table, ())  # drop baselines of softphones that quit
            return Observation(False, (), "no softphone running", self.name)
        note = ""
        if self._mic is not None:
            reading = self._mic.read()
            if reading.available:
                mode = f"microphone ({self._mic.name})"
                phones = [u for u in reading.users if self._mic_user_is_softphone(u)]
                if phones:
                    u = phones[0]
                    return Observation(True, running, f"{u.name} (pid {u.pid}) uses the microphone: {u.detail}", mode)
                others = ", ".join(sorted({u.name for u in reading.users})) or "nothing"
                return Observation(False, running, f"microphone used by: {others}", mode)
            note = f"; microphone signal unavailable: {reading.reason}"
        rising = self._udp.rising(self._table, running)
        if rising:
            p, n, base = rising[0]
            return Observation(True, running, f"{p.name} (pid {p.pid}) has {n} UDP sockets, idle baseline {base}{note}", "udp")
        return Observation(False, running, f"no UDP rise over idle baseline{note}", "udp")

    def active(self) -> bool:
        try:
            obs = self.observe()
        except Exception as e:  # noqa: BLE001 - polled from a worker thread; a signal must never raise
            msg = f"{type(e).__name__}: {e}"
            if msg != self._last_error:  # once per distinct failure, not once a second
                log.exception("call signal %s failed; treating as no call", self.name)
                self._last_error = msg
            return False
        if self._last_error:
            log.info("call signal %s works again", self.name)
            self._last_error = ""
        return obs.active

    def describe(self) -> str:
        return self.check()[1]

    def check(self) -> tuple[bool, str]:
        """(works, one line): False when looking failed, so doctor names it as something to fix."""
        try:
            obs = self.observe()
        except Exception as e:  # noqa: BLE001
            return False, f"{self.name}: watching {len(self._softphones)} softphone names; error: {type(e).__name__}: {e}"
        if not obs.softphones:
            return True, f"{self.name}: no call, none of {len(self._softphones)} softphone names is running"
        phones = ", ".join(f"{p.name} (pid {p.pid})" for p in obs.softphones)
        state = "CALL" if obs.active else "no call"
        return True, f"{self.name}: softphones {phones}; via {obs.mode}: {state} ({obs.evidence})"
