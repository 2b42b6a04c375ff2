"""Windows: a named pipe for the command channel, an ACL for this account alone on a private folder."""

from __future__ import annotations

import sys
from pathlib import Path

from trayagent.platform import windows_acl

CHANNEL_FAMILY = "AF_PIPE"  # pipe names are one namespace for the machine: ipc_address makes them random


def make_user_only(path: Path) -> None:
    """An ACL granting this account alone (by SID), inherited by everything made inside."""
    windows_acl.make_user_only(path)


def pipe_exists(name: str) -> bool:
    """Does a pipe of this name exist already (someone else's: ours are new random names)? Windows
    refuses such a name anyway (FILE_FLAG_FIRST_PIPE_INSTANCE); wine does not, so ask first too."""
    if sys.platform != "win32":  # _winapi's pipe functions exist only there (and mypy knows it)
        raise OSError("named pipes are asked about only on Windows")
    import _winapi

    try:
        _winapi.WaitNamedPipe(name, 1)
    except OSError as e:
        return getattr(e, "winerror", None) != 2  # ERROR_FILE_NOT_FOUND: no such pipe
    return True
