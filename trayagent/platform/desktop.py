"""The desktop around the tray: is there one, opening a file or folder, a notification without a tray."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from trayagent.core.errors import TrayagentError
from trayagent.i18n import _

log = logging.getLogger(__name__)


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_path(path: Path) -> None:
    """A file or folder of the user's, in the app the desktop opens it with."""
    if sys.platform == "win32":
        os.startfile(str(path))  # type: ignore[attr-defined]  # Windows only
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        raise TrayagentError(_("cannot open {path}: no {program} on this system").format(
            path=path, program=f"'{opener}'")) from None


def quiet_notify(title: str, body: str) -> None:
    """Where the tray cannot notify: the desktop's notify-send if present, else only the log."""
    log.info("notification: %s: %s", title, body)
    if sys.platform.startswith("linux") and shutil.which("notify-send"):
        with contextlib.suppress(OSError):
            subprocess.Popen(["notify-send", "--app-name=trayagent", title, body],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
