"""Linux (and any POSIX): a Unix socket for the command channel, mode 0700 for a private folder."""

from __future__ import annotations

import os
from pathlib import Path

CHANNEL_FAMILY = "AF_UNIX"  # a socket file in the user's private run folder


def make_user_only(path: Path) -> None:
    """Only its user may enter the folder (mkdir's parents get the default mode, not 0700)."""
    os.chmod(path, 0o700)


def pipe_exists(name: str) -> bool:
    raise OSError("named pipes are asked about only on Windows")
