"""A request someone waits on through the command channel (core/requests.py names the requests)."""

from __future__ import annotations

import queue
import threading


class Asked:
    """A command someone waits on through the command channel: either the controller takes it or
    the asker withdraws it after waiting too long, never both, so a reply always says what happened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "queued"
        self.reply: queue.Queue[dict] = queue.Queue(maxsize=1)

    def take(self) -> bool:
        with self._lock:
            if self._state == "withdrawn":
                return False
            self._state = "taken"
            return True

    def withdraw(self) -> bool:
        with self._lock:
            if self._state == "queued":
                self._state = "withdrawn"
                return True
            return False
