"""Noticing time the daemon did not see: the PC slept or the process was frozen, or the wall clock jumped."""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)

SLEEP_GAP_S = 60.0  # the loop runs at least once a second: no turn for this long means a sleep


class GapWatch:
    def __init__(self, sleep_gap_s: float = SLEEP_GAP_S) -> None:
        self.sleep_gap_s = sleep_gap_s
        self._last_tick: float | None = None
        self._last_wall: datetime | None = None

    def check(self, t: float, wall: datetime) -> float | None:
        """Each turn of the loop: the monotonic time of the turn before a sleep-sized gap, else None.
        A wall-clock jump alone is only logged: call times follow the monotonic clock."""
        slept_from = None
        if self._last_tick is not None and self._last_wall is not None:
            gap, wall_gap = t - self._last_tick, (wall - self._last_wall).total_seconds()
            if max(gap, wall_gap) > self.sleep_gap_s:
                log.info("no turn of the loop for %.0f s", max(gap, wall_gap))
                slept_from = self._last_tick
            elif abs(wall_gap - gap) > 5:
                log.info("wall clock jumped by %+.0f s; call times follow the monotonic clock", wall_gap - gap)
        self._last_tick, self._last_wall = t, wall
        return slept_from
