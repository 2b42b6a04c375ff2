"""The automatic call signal: a softphone runs AND (it holds the microphone, or, where no microphone
signal exists, its UDP socket count rose over its idle baseline and stayed up, i.e. RTP streams were
opened and a call is being had on them).

Process presence alone is never a call (softphones sit in the tray all day), and neither is UDP alone
(WebRTC apps and browsers keep UDP sockets open while idle).

Ringing is not a call. A softphone opens its RTP and RTCP sockets when the INVITE comes in, before
anyone answers (baresip: two more UDP sockets at "Incoming call", the same two, unconnected, once
answered), and the microphone only when the call is answered. Where the microphone is watched that
tells them apart; the UDP fallback cannot see traffic without privileges, so it goes by how long the
sockets stay open: a rise counts once it has held `udp_hold_s` (30 s by default: longer than an
unanswered ring usually lasts before the caller, the queue's ring-no-answer timer or the network gives
up), and the call is then dated from the rise. Calls shorter than that go unseen in this mode.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from trayagent.core.callstate import Reading
from trayagent.i18n import _
from trayagent.signals.mic import MicSource, MicUser
from trayagent.signals.processes import ProcessInfo, ProcessTable, name_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SoftphoneEvidence:
    active: bool
    softphones: tuple[ProcessInfo, ...]  # configured softphones running now
    evidence: str  # why active, or what was seen instead
    mode: str  # "microphone (pactl)", "udp", ...
    # the softphone's capture streams and its call's media sockets (microphone mode)
    streams: frozenset[str] = frozenset()
    held_s: float = 0.0  # how long the evidence has held (UDP mode)
    on_hold: bool = False  # not active, but the call's media sockets are still open (microphone mode)
    mic_unavailable: str = ""  # why the microphone could not be read, when UDP stood in for it


class CallMedia:
    """Which UDP sockets are a call's own (RTP, RTCP), per softphone process: those it holds beyond
    the ones it has had at every poll since it appeared (its SIP signalling). A call on hold keeps
    them open; a call that ended has closed them, and the next call opens others (baresip,
    tests/test_real_softphone.py). Sockets are told apart by local address."""

    def __init__(self) -> None:
        self._always: dict[int, frozenset[str]] = {}
        self._call: dict[int, frozenset[str]] = {}  # of the call the microphone was last used for

    def poll(self, table: ProcessTable, procs: Iterable[ProcessInfo]) -> dict[int, frozenset[str]]:
        """Each softphone's UDP sockets now (where they can be read)."""
        now: dict[int, frozenset[str]] = {}
        for p in procs:
            sockets = table.udp_sockets(p.pid)
            if sockets is not None:
                now[p.pid] = sockets
        self._always = {pid: self._always.get(pid, s) & s for pid, s in now.items()}
        return now

    def in_call(self, pids: Iterable[int], now: dict[int, frozenset[str]]) -> frozenset[str]:
        """The microphone is in use by these softphones: their call's media sockets, as stream ids."""
        media = {pid: now[pid] - self._always[pid] for pid in pids if pid in now}
        self._call = {pid: m for pid, m in media.items() if m}
        return frozenset(f"udp {pid} {a}" for pid, m in self._call.items() for a in m)

    def still_open(self, now: dict[int, frozenset[str]]) -> int:
        """The microphone is not in use: how many of that call's media sockets are still open."""
        self._call = {pid: m & now[pid] for pid, m in self._call.items() if m & now.get(pid, frozenset())}
        return sum(len(m) for m in self._call.values())


class UdpRise:
    """Per softphone process, the fewest UDP sockets seen since it appeared is its idle baseline;
    more than that means media streams are open. Starting mid-call makes the in-call count the
    baseline, which misses that one call rather than inventing one later. A rise is reported with how
    long it has lasted (since the first poll that saw it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._baseline: dict[tuple[int, str], int] = {}
        self._since: dict[tuple[int, str], float] = {}  # when each process's current rise was first seen

    def rising(self, table: ProcessTable,
               procs: Iterable[ProcessInfo]) -> list[tuple[ProcessInfo, int, int, float]]:
        now = self._clock()
        seen: dict[tuple[int, str], int] = {}
        since: dict[tuple[int, str], float] = {}
        out = []
        for p in procs:
            sockets = table.udp_sockets(p.pid)
            if sockets is None:
                continue
            n = len(sockets)
            key = (p.pid, p.name)
            base = min(n, self._baseline.get(key, n))
            seen[key] = base
            if n > base:
                since[key] = self._since.get(key, now)
                out.append((p, n, base, now - since[key]))
        self._baseline, self._since = seen, since  # forget processes that ended (their pid may come back)
        return sorted(out, key=lambda r: -r[3])


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
    def __init__(self, softphones: Iterable[str], table: ProcessTable, mic: MicSource | None,
                 udp_hold_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._softphones = frozenset(name_key(s) for s in softphones if s.strip())
        self._table = table
        self._mic = mic
        self._udp = UdpRise(clock)
        self._media = CallMedia()
        self._udp_hold_s = udp_hold_s
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

    def observe(self) -> SoftphoneEvidence:
        with self._lock:
            return self._observe()

    def _observe(self) -> SoftphoneEvidence:
        running = tuple(p for p in self._table.processes()
                        if self._is_softphone(p.name) and self._table.mine(p.pid))
        if not running:
            self._udp.rising(self._table, ())  # drop baselines of softphones that quit
            return SoftphoneEvidence(False, (), _("no softphone running"), self.name)
        if self._mic is not None:
            reading = self._mic.read()
            if reading.available:
                mode = _("microphone ({source})").format(source=self._mic.name)
                phones = [u for u in reading.users if self._mic_user_is_softphone(u)]
                sockets = self._media.poll(self._table, running)
                if phones:
                    u = phones[0]
                    streams = frozenset(p.stream for p in phones if p.stream) | self._media.in_call(
                        (p.pid for p in phones if p.pid is not None), sockets)
                    return SoftphoneEvidence(True, running, _("{name} (pid {pid}) uses the microphone: {detail}").format(
                        name=u.name, pid=u.pid, detail=u.detail),
                                       mode, streams)
                still_open = self._media.still_open(sockets)
                if still_open:
                    return SoftphoneEvidence(False, running, _(
                        "on hold: the microphone is not in use, but the call's {n} media sockets are still open").format(
                        n=still_open), mode, on_hold=True)
                others = ", ".join(sorted({u.name for u in reading.users})) or _("nothing")
                return SoftphoneEvidence(False, running, _("microphone used by: {others}").format(others=others), mode)
            unavailable = reading.reason or _("no reason given")
            note = _("; microphone signal unavailable: {reason}").format(reason=unavailable)
            return replace(self._by_udp(running, note), mic_unavailable=unavailable)
        return self._by_udp(running, "")

    def _by_udp(self, running: tuple[ProcessInfo, ...], note: str) -> SoftphoneEvidence:
        rising = self._udp.rising(self._table, running)
        if rising:
            p, n, base, held = rising[0]
            seen = _("{name} (pid {pid}) has {n} UDP sockets, idle baseline {base}, for {held} s").format(
                name=p.name, pid=p.pid, n=n, base=base, held=f"{held:.0f}")
            if held >= self._udp_hold_s:
                return SoftphoneEvidence(True, running, f"{seen}{note}", _("udp"), held_s=held)
            return SoftphoneEvidence(False, running, _("{seen}: ringing until it holds {hold} s").format(
                seen=seen, hold=f"{self._udp_hold_s:g}") + note, _("udp"), held_s=held)
        return SoftphoneEvidence(False, running, _("no UDP rise over idle baseline") + note, _("udp"))

    def reading(self) -> Reading:
        try:
            obs = self.observe()
        except Exception as e:  # polled from a worker thread; a signal must never raise
            msg = f"{type(e).__name__}: {e}"
            if msg != self._last_error:  # once per distinct failure, not once a second
                log.exception("call signal %s failed; treating as no call", self.name)
                self._last_error = msg
            return Reading(False)
        if self._last_error:
            log.info("call signal %s works again", self.name)
            self._last_error = ""
        return Reading(obs.active, obs.streams, obs.held_s if obs.active else 0.0, obs.on_hold)

    def active(self) -> bool:
        return self.reading().on

    def describe(self) -> str:
        return self.check()[1]

    def check(self) -> tuple[bool, str, str]:
        """(works, one line, advice): works is False when looking failed, so doctor names it as
        something to fix; advice says how a signal that works could work better."""
        try:
            obs = self.observe()
        except Exception as e:
            return False, _("{signal}: watching {n} softphone names; error: {error}").format(
                signal=self._label(), n=len(self._softphones), error=f"{type(e).__name__}: {e}"), ""
        if not obs.softphones:
            return True, _("{signal}: no call, none of {n} softphone names is running").format(
                signal=self._label(), n=len(self._softphones)), ""
        phones = ", ".join(_("{name} (pid {pid})").format(name=p.name, pid=p.pid) for p in obs.softphones)
        state = _("CALL") if obs.active else _("no call")
        advice = "" if not obs.mic_unavailable else _(
            "calls are told from the softphone's network traffic instead of the microphone, so calls shorter "
            "than {hold} s go unrecorded; to read the microphone: {reason}").format(
            hold=f"{self._udp_hold_s:g}", reason=obs.mic_unavailable)
        return True, _("{signal}: softphones {phones}; via {mode}: {state} ({evidence})").format(
            signal=self._label(), phones=phones, mode=obs.mode, state=state, evidence=obs.evidence), advice

    def _label(self) -> str:
        """self.name (which logs keep in English) in the reader's language."""
        if self._mic is None:
            return _("softphone+udp")
        return _("softphone+microphone ({source})").format(source=self._mic.name)
