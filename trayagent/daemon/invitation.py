"""The invitation to set one's relaxed-face baseline (calibration), which decides whether the stress
level means much for a given face: on the first start, and whenever the stored baseline no longer
fits the model. Never during a call or a calibration, and at most once a day: the day of the last
invitation is kept in the data folder, so a restart does not ask again the same day."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from trayagent.storage.private import open_private

log = logging.getLogger(__name__)

FILE = "calibration-invited"  # holds the ISO date of the last invitation
AFTER_IDLE_S = 60.0  # free of calls this long before the invitation to calibrate comes


def due(calibrated: bool, busy: bool, last: date | None, today: date) -> bool:
    return not calibrated and not busy and last != today


class Invitation:
    def __init__(self, folder: Path, notify: Callable[[], None], today: Callable[[], date], now: float) -> None:
        self.path = folder / FILE
        self._notify, self._today = notify, today
        self._last = self._read()
        self._idle_since = now  # monotonic: not the moment the desktop starts

    def watch(self, t: float, busy: bool, calibrated: bool, allowed: bool) -> None:
        """Invite the agent to calibrate once they have been free for a while: never while `busy`
        (a call, a calibration or a pause), and only where notifications are `allowed`."""
        if busy:
            self._idle_since = t
        elif t - self._idle_since >= AFTER_IDLE_S and allowed:
            self.check(calibrated, busy=False)

    def check(self, calibrated: bool, busy: bool) -> bool:
        """Invite now if it is due; True when it did."""
        today = self._today()
        if not due(calibrated, busy, self._last, today):
            return False
        self._last = today
        try:
            with open_private(self.path, "w") as f:
                f.write(today.isoformat())
        except OSError as e:  # not worth more than a line: at worst it asks again after a restart
            log.warning("cannot note the calibration invitation in %s: %s", self.path, e)
        log.info("inviting the agent to calibrate")
        self._notify()
        return True

    def _read(self) -> date | None:
        try:
            return date.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
