"""The daemon's commands: one vocabulary for the tray menu, the hotkey and the command channel."""

from __future__ import annotations

import queue
import threading
from enum import Enum
from typing import Any


class Command(str, Enum):
    # call state, handled by the controller
    START = "start"
    END = "end"
    TOGGLE = "toggle"
    PAUSE = "pause"  # minutes: a number, or None for "until resumed"
    RESUME = "resume"
    STOP = "stop"
    STATUS = "status"
    CALIBRATE = "calibrate"  # the tray's "Calibrate to my face": camera on ~10 s outside a call
    # desktop actions, run on the controller's thread but touching no call state
    OPEN_GRAPH = "open_graph"  # call_id: str, or None for the whole day
    OPEN_WEEK = "open_week"  # the last seven days at a glance
    OPEN_DATA = "open_data"
    AUTOSTART = "autostart"  # enable: bool
    ABOUT = "about"


# What another process may ask through the command channel: never a desktop action.
REMOTE = frozenset({Command.START, Command.END, Command.TOGGLE, Command.PAUSE, Command.RESUME, Command.STOP,
                    Command.STATUS})
DESKTOP = frozenset(Command) - REMOTE - {Command.STATUS, Command.CALIBRATE}


def request(command: Command, **kw: Any) -> dict[str, Any]:
    """The command channel's message for a command."""
    return {"cmd": command.value, **kw}


def parse_request(message: Any) -> tuple[Command, dict[str, Any]]:
    """A command channel message as a command and its arguments; ValueError if it is not one."""
    if not isinstance(message, dict):
        raise ValueError("a request is a JSON object")
    try:
        command = Command(message.get("cmd"))
    except ValueError:
        raise ValueError(f"unknown request {str(message.get('cmd'))[:40]!r}") from None
    if command not in REMOTE:
        raise ValueError(f"{command.value!r} cannot be asked through the command channel")
    kw: dict[str, Any] = {}
    if command is Command.PAUSE:
        minutes = message.get("minutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float))
                                    or not 0 < minutes < 1000):
            raise ValueError("pause minutes must be a number above 0 and below 1000")
        kw["minutes"] = minutes
    return command, kw


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
