"""What every "microphone in use" source reports, whatever the platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class MicUser:
    """One application capturing from a microphone right now."""

    name: str  # process or package name as the platform reports it (pactl binary, exe file name, package family)
    pid: int | None = None  # the running process, where the platform says which one
    detail: str = ""  # where it was seen, for logs: "source-output #3 on alsa_input...", a registry key
    # This capture stream's id, new each time the app opens the microphone (a new call, even one a
    # second after the last): pactl's source-output index, ConsentStore's LastUsedTimeStart. "": unknown.
    stream: str = ""


@dataclass(frozen=True)
class MicReading:
    available: bool  # False: this poll could not tell (no sound server, no registry key, ...)
    users: tuple[MicUser, ...] = ()
    reason: str = ""  # why unavailable, said in `trayagent doctor`

    @classmethod
    def unavailable(cls, reason: str) -> MicReading:
        return cls(False, (), reason)


class MicSource(Protocol):
    name: str  # "pactl", "consentstore"

    def read(self) -> MicReading:
        """Who is capturing now. Must not raise for expected failures: return MicReading.unavailable."""
        ...
