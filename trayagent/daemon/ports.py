"""What the controller is given from outside, so tests hand it fakes: the automatic call signal,
the view (the tray, or nothing), and the desktop actions it runs for the tray."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from trayagent.core.callstate import Reading
from trayagent.core.requests import Command
from trayagent.core.tray_status import TrayStatus

Actions = Callable[[Command, dict[str, Any]], None]


class Signal(Protocol):
    def reading(self) -> Reading: ...


class View(Protocol):
    def show(self, status: TrayStatus) -> None: ...

    def notify(self, title: str, body: str) -> None: ...
