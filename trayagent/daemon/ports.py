"""What the controller is given from outside, so tests hand it fakes: the automatic call signal,
the view (the tray, or nothing), and the desktop actions it runs for the tray."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from trayagent.core.callstate import Reading
from trayagent.core.requests import Command
from trayagent.core.tray_status import TrayStatus

Actions = Callable[[Command, dict[str, Any]], None]


class Signal(Protocol):
    def reading(self) -> Reading: ...


def read(signal: Signal | None) -> Reading:
    """The signal's reading; off without one, or when it fails: a signal plug-in must never take
    the daemon down."""
    if signal is None:
        return Reading(False)
    try:
        return signal.reading()
    except Exception:
        logging.getLogger(__name__).exception("call signal failed")
        return Reading(False)


class View(Protocol):
    def show(self, status: TrayStatus) -> None: ...

    def notify(self, title: str, body: str) -> None: ...
