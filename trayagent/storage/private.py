"""Files and folders only their user can read: the data folder's privacy promise, in one place."""

from __future__ import annotations

import io
import os
from pathlib import Path


def make_private_dir(path: Path) -> Path:
    """A folder only its user can enter: 0700 on POSIX; on Windows an ACL granting the user alone,
    inherited by everything created inside (set once, when the folder is made)."""
    new = not path.exists()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    elif new and os.name == "nt":
        import subprocess

        user = os.environ.get("USERNAME", "")
        if user:  # no inherited entries (Users, other admins' groups), full control for this user only
            subprocess.run(["icacls", str(path), "/inheritance:r", "/grant:r", f"{user}:(OI)(CI)F"],
                           capture_output=True, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    return path


def open_private(path: Path, mode: str = "a") -> io.TextIOWrapper:
    """Open a text file for writing that only its user can read (0600 on POSIX)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o600)
    return io.open(fd, mode, encoding="utf-8", newline="")
