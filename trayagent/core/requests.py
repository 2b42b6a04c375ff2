"""What the daemon can be asked: one vocabulary for the tray menu, the hotkey and the command
channel, and the command channel's request message. Pure: the daemon carries requests out, the
tray and the CLI only name them."""

from __future__ import annotations

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
    TEAM = "team"  # the team view's window: join, or stop sharing (only when IT's policy offers it)


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
