"""When is a call on? A debounced state machine over call signals. Pure: the caller passes the time.

IDLE -> STARTING (automatic signal held start_confirm_s) -> ACTIVE -> ENDING (signal gone for
end_confirm_s) -> IDLE. Manual start/end acts at once and beats the automatic signal: a call started
by hand is not ended by a quiet microphone, and a call ended by hand is not restarted by a softphone
that is still busy, until that signal has dropped and risen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

Action = Literal["start", "end"]
Reason = Literal["manual", "automatic", "max-duration", "pause", "sleep", "quit"]


class State(str, Enum):
    IDLE = "idle"
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"


@dataclass(frozen=True)
class Transition:
    action: Action
    reason: Reason


@dataclass(frozen=True)
class Timing:
    start_confirm_s: float = 2.0
    end_confirm_s: float = 3.0
    max_call_s: float = 4 * 3600.0


class CallStateMachine:
    def __init__(self, timing: Timing = Timing()) -> None:
        self.timing = timing
        self.state = State.IDLE
        self.manual = False  # the current call was started by hand
        self.started_at: float | None = None
        self._since: float | None = None  # when the pending STARTING/ENDING began
        self._suppressed = False  # ended by hand while the automatic signal was still on

    @property
    def in_call(self) -> bool:
        return self.state in (State.ACTIVE, State.ENDING)

    def _start(self, now: float, reason: Reason) -> Transition:
        self.state, self.started_at, self._since = State.ACTIVE, now, None
        self.manual = reason == "manual"
        return Transition("start", reason)

    def _end(self, reason: Reason, auto_on: bool = False) -> Transition:
        self.state, self.started_at, self._since, self.manual = State.IDLE, None, None, False
        self._suppressed = auto_on
        return Transition("end", reason)

    def start(self, now: float) -> Transition | None:
        if self.in_call:
            self.manual = True  # a manual start during an automatic call pins it open
            self.state, self._since = State.ACTIVE, None
            return None
        return self._start(now, "manual")

    def end(self, now: float, auto_on: bool = False, reason: Reason = "manual") -> Transition | None:
        if not self.in_call:
            self.state, self._since = State.IDLE, None
            self._suppressed = auto_on
            return None
        return self._end(reason, auto_on)

    def toggle(self, now: float, auto_on: bool = False) -> Transition | None:
        return self.end(now, auto_on) if self.in_call else self.start(now)

    def update(self, now: float, auto_on: bool) -> Transition | None:
        """Feed the automatic signal (polled about once a second)."""
        if self.in_call and self.started_at is not None and now - self.started_at >= self.timing.max_call_s:
            return self._end("max-duration", auto_on)
        if self._suppressed:
            if not auto_on:
                self._suppressed = False
            return None
        if self.state is State.IDLE and auto_on:
            self.state, self._since = State.STARTING, now
        if self.state is State.STARTING:
            if not auto_on:
                self.state, self._since = State.IDLE, None
            elif now - self._since >= self.timing.start_confirm_s:
                return self._start(now, "automatic")
        elif self.state is State.ACTIVE and not auto_on and not self.manual:
            self.state, self._since = State.ENDING, now
        if self.state is State.ENDING:
            if auto_on:
                self.state, self._since = State.ACTIVE, None
            elif now - self._since >= self.timing.end_confirm_s:
                return self._end("automatic")
        return None
