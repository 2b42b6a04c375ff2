"""When is a call on? A debounced state machine over call signals. Pure: the caller passes the time.

IDLE -> STARTING (automatic signal held start_confirm_s) -> ACTIVE -> ENDING (signal gone for
end_confirm_s) -> IDLE. Manual start/end acts at once and beats the automatic signal: a call started
by hand is not ended by a quiet microphone, and a call ended by hand is not restarted by a softphone
that is still busy, until that signal has dropped and risen again (or a new capture stream opens).

Debouncing decides *whether* a call started or ended, not *when*: each transition carries `at`, the
moment it is dated to. A rise or a fall happened between two polls and is dated halfway between
them (within half a poll either way), so a call is recorded from when the signal rose to when it
went quiet, not from when the debounce let go. The ENDING stretch is announced ("quiet") so the
camera can close at once, and again ("back") if the signal returns before the call ends.

Each call opens its own capture stream. When the signal names its streams (Reading.streams), an
active call whose streams have all been replaced by new ones has ended and a new call is rising,
however short the gap between them was (auto-answer and predictive diallers leave gaps of a second).

A call on hold is not over: a softphone may let go of the microphone for a hold and take it again as
a new stream on resuming. While the signal says so (Reading.on_hold: the call's own media sockets
are still open), a quiet call waits up to hold_s instead of end_confirm_s, and the call's media
sockets, named among its streams, make the resumed call the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

# start/end: a call begins or is over. quiet/back: an automatic call's signal dropped (it ends after
# end_confirm_s unless the signal comes back first) / came back before that.
Action = Literal["start", "end", "quiet", "back"]
Reason = Literal["manual", "automatic", "next-call", "max-duration", "pause", "sleep", "quit"]


class State(str, Enum):
    IDLE = "idle"
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"


@dataclass(frozen=True)
class Transition:
    action: Action
    reason: Reason
    # When it happened, on the caller's clock: for automatic transitions the dated edge of the
    # signal, which is earlier than the poll that confirmed it. Not part of equality, so a test can
    # compare what happened and check the date apart.
    at: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Reading:
    """One poll of the automatic call signal."""

    on: bool
    # Ids of the capture streams that make the signal on (a pactl source-output index, a ConsentStore
    # entry's start time); empty where the signal cannot tell streams apart (UDP, no microphone).
    streams: frozenset[str] = frozenset()
    # How long the evidence had already held when this poll first said on: a signal that confirms
    # itself slowly (the UDP fallback waits out ringing) reports it, so the call is dated from the rise.
    held_s: float = 0.0
    # Off, but the call it was on for is still up (its media sockets open): on hold.
    on_hold: bool = False


@dataclass(frozen=True)
class Timing:
    start_confirm_s: float = 2.0
    end_confirm_s: float = 3.0
    max_call_s: float = 4 * 3600.0
    hold_s: float = 60.0  # how long a call on hold may stay quiet and still continue


class CallStateMachine:
    def __init__(self, timing: Timing = Timing()) -> None:
        self.timing = timing
        self.state = State.IDLE
        self.manual = False  # the current call was started by hand
        self.started_at: float | None = None  # when the current call is dated to have started
        self._since: float | None = None  # the first poll of the pending STARTING/ENDING (debounce)
        self._rose_at: float | None = None  # STARTING: when the signal is dated to have risen
        self._quiet_at: float | None = None  # ENDING: when the signal is dated to have gone quiet
        self._streams: frozenset[str] = frozenset()  # capture streams of the current (or rising) call
        self._polled: float | None = None  # time of the previous automatic reading
        self._suppressed = False  # ended by hand while the automatic signal was still on

    @property
    def in_call(self) -> bool:
        return self.state in (State.ACTIVE, State.ENDING)

    def _start(self, at: float, reason: Reason) -> Transition:
        self.state, self.started_at, self._since, self._quiet_at, self._rose_at = State.ACTIVE, at, None, None, None
        self.manual = reason == "manual"
        return Transition("start", reason, at)

    def _end(self, reason: Reason, at: float, auto_on: bool = False) -> Transition:
        self.state, self.started_at, self._since, self._quiet_at, self.manual = State.IDLE, None, None, None, False
        self._rose_at = None
        self._suppressed = auto_on
        return Transition("end", reason, at)

    def _ended_at(self, now: float) -> float:
        """A call ended now by hand (or pause) that had already gone quiet ended when it went quiet."""
        return self._quiet_at if self.state is State.ENDING and self._quiet_at is not None else now

    def start(self, now: float) -> Transition | None:
        if self.in_call:
            self.manual = True  # a manual start during an automatic call pins it open
            back = self.state is State.ENDING
            self.state, self._since, self._quiet_at = State.ACTIVE, None, None
            return Transition("back", "manual", now) if back else None
        return self._start(now, "manual")

    def end(self, now: float, auto_on: bool = False, reason: Reason = "manual") -> Transition | None:
        if not self.in_call:
            self.state, self._since = State.IDLE, None
            self._suppressed = auto_on
            return None
        return self._end(reason, self._ended_at(now), auto_on)

    def toggle(self, now: float, auto_on: bool = False) -> Transition | None:
        return self.end(now, auto_on) if self.in_call else self.start(now)

    def _new_streams(self, r: Reading) -> bool:
        """The signal is on through streams none of which belonged to the current call."""
        return r.on and bool(r.streams) and bool(self._streams) and r.streams.isdisjoint(self._streams)

    def update(self, now: float, reading: Reading | bool) -> Transition | None:
        """Feed the automatic signal (polled about once a second); a bare bool is a Reading without streams."""
        r = reading if isinstance(reading, Reading) else Reading(bool(reading))
        # An edge between the previous poll and this one is dated halfway between them.
        edge = now if self._polled is None else (self._polled + now) / 2
        self._polled = now
        if self.in_call and self.started_at is not None and now - self.started_at >= self.timing.max_call_s:
            return self._end("max-duration", now, r.on)
        if self._suppressed:
            if r.on and not self._new_streams(r):
                return None
            self._suppressed = False  # dropped, or a new capture stream: the next call may rise
        if self.in_call and not self.manual and self._new_streams(r):
            # The call's own streams closed and new ones opened: a new call, however short the gap.
            ended = self._end("next-call", self._ended_at(edge))
            self.state, self._since, self._rose_at, self._streams = State.STARTING, now, edge, r.streams
            return ended
        if self.state is State.IDLE and r.on:
            # A signal that has held a while already (held_s) counts that time towards the debounce.
            self.state, self._since = State.STARTING, now - r.held_s
            self._rose_at, self._streams = (now - r.held_s if r.held_s > 0 else edge), r.streams
        if self.state is State.STARTING:
            return self._starting(now, edge, r)
        if self.state is State.ACTIVE:
            return self._active(now, edge, r)
        if self.state is State.ENDING:
            return self._ending(now, r)
        return None

    def _starting(self, now: float, edge: float, r: Reading) -> Transition | None:
        if not r.on:
            self.state, self._since, self._rose_at = State.IDLE, None, None
            return None
        if self._new_streams(r):  # the rising stream was replaced: the new one rises now
            self._since, self._rose_at = now, edge
        self._streams = r.streams or self._streams
        assert self._since is not None and self._rose_at is not None
        if now - self._since >= self.timing.start_confirm_s:
            return self._start(self._rose_at, "automatic")
        return None

    def _active(self, now: float, edge: float, r: Reading) -> Transition | None:
        if r.on:
            self._streams = r.streams or self._streams
        elif not self.manual:
            if self.timing.end_confirm_s <= 0:
                return self._end("automatic", edge)
            self.state, self._since, self._quiet_at = State.ENDING, now, edge
            return Transition("quiet", "automatic", edge)
        return None

    def _ending(self, now: float, r: Reading) -> Transition | None:
        assert self._since is not None and self._quiet_at is not None
        if r.on:
            self.state, self._since, self._quiet_at = State.ACTIVE, None, None
            self._streams = r.streams or self._streams
            return Transition("back", "automatic", now)
        if now - self._since >= (max(self.timing.hold_s, self.timing.end_confirm_s) if r.on_hold
                                 else self.timing.end_confirm_s):
            return self._end("automatic", self._quiet_at)
        return None
