"""A request someone waits on through the command channel (core/requests.py names the requests)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from trayagent.core.tray_status import refusal

log = logging.getLogger(__name__)


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

    def answer(self, timeout_s: float, answer_wait_s: float) -> dict[str, Any]:
        """The reply, telling the truth: a command not taken within `timeout_s` is withdrawn, and one
        taken is waited for (up to `answer_wait_s`), so "busy" always means nothing was done."""
        try:
            return self.reply.get(timeout=timeout_s)
        except queue.Empty:
            pass
        if self.withdraw():
            return refusal("the daemon is busy; nothing was done, try again")
        try:
            return self.reply.get(timeout=answer_wait_s)
        except queue.Empty:
            return refusal("the daemon is still carrying this out; see `trayagent status`")


def carry_out(asked: Asked | None, what: str, work: Callable[[], dict[str, Any]]) -> None:
    """Do `work` unless its asker gave up waiting (and was told so); the asker, if any, gets the
    result. One command that fails must not end the daemon: its asker hears why."""
    if asked is not None and not asked.take():
        return
    try:
        result = work()
    except Exception as e:
        log.exception("command %s failed", what)
        result = refusal(str(e))
    if asked is not None:
        asked.reply.put(result)
