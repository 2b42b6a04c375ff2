"""How trayagent starts itself: a child command (a graph window), or the daemon at login."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def self_command(windowless: bool = False) -> list[str]:
    """The command line that runs trayagent (frozen exe, or this Python with -m). `windowless`
    picks pythonw.exe on Windows, so a login start flashes no console."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    exe = Path(sys.executable)
    if windowless and sys.platform == "win32" and (exe.parent / "pythonw.exe").exists():
        exe = exe.parent / "pythonw.exe"
    return [str(exe), "-m", "trayagent"]


def login_command() -> list[str]:
    """What start-at-login runs."""
    return self_command(windowless=True) + ["run"]


def spawn(args: list[str]) -> None:
    """Another trayagent command in a child process of its own, detached from ours."""
    subprocess.Popen(self_command() + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=sys.platform != "win32")
