"""A pause: no call is watched until it ends. A value, ended explicitly by whoever holds it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Pause:
    until: float  # monotonic; math.inf: until resumed
    until_wall: datetime | None = None  # what the tray says; None: until resumed

    def over(self, t: float) -> bool:
        return t >= self.until


def pause(t: float, now: datetime, minutes: float | None) -> Pause:
    """A pause of `minutes` from monotonic `t` (wall time `now`); None: until resumed."""
    if minutes is None:
        return Pause(math.inf)
    return Pause(t + minutes * 60, now + timedelta(minutes=minutes))
