"""Files and folders only their user can read: the data folder's privacy promise, in one place.

Data files are opened without following links: a link planted in the data folder must not send a
call's rows, the index or a rewrite anywhere else. Only folders trayagent makes get their mode set:
an existing folder (a shared one named for `analyze --out`, one its owner made read-only) keeps the
mode its owner gave it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path
from typing import Literal

from trayagent import os_errors
from trayagent.i18n import _
from trayagent.platform import system

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX; Windows has no user-made links to worry about here
BINARY = getattr(os, "O_BINARY", 0)


def make_private_dir(path: Path) -> Path:
    """A folder only its user can enter: every level made here is 0700 on POSIX, and on Windows gets
    an ACL granting this account alone (by SID), inherited by everything created inside; an ACL that
    cannot be set is raised (AclError, an OSError) and the levels made are removed, so the next use
    tries again. Folders that exist already are left as they are."""
    missing = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = missing[::-1]  # outermost first
    try:
        for level in made:  # on POSIX, parents=True makes parents with the default mode, not 0700
            system.make_user_only(level)
    except OSError:
        for level in missing:  # innermost first: not left behind looking finished
            with contextlib.suppress(OSError):
                level.rmdir()
        raise
    return path


WriteMode = Literal["a", "w", "x"]  # append, truncate, create new (see open_private_fd)


def open_private_fd(path: Path, mode: WriteMode = "a") -> int:
    """A raw descriptor for writing a file only its user can read (0600 on POSIX), never through a
    link. "a" appends (creating), "w" truncates (creating), "x" creates a file that must not exist
    (a link of that name counts as existing)."""
    flags = os.O_WRONLY | os.O_CREAT | NOFOLLOW | BINARY | {"a": os.O_APPEND, "w": os.O_TRUNC, "x": os.O_EXCL}[mode]
    return os.open(path, flags, 0o600)


def open_private(path: Path, mode: WriteMode = "a") -> io.TextIOWrapper:
    """Open a text file for writing that only its user can read (0600 on POSIX), never through a link."""
    return open(open_private_fd(path, mode), "a" if mode == "a" else "w", encoding="utf-8", newline="")


def open_read(path: Path) -> io.TextIOWrapper:
    """Open a data file for reading as text, never through a link; undecodable bytes become U+FFFD
    (a damaged row is then skipped, never a crash). A file an editor re-saved with a byte-order
    mark (Notepad's UTF-8 or "Unicode", UTF-16) is read in that encoding."""
    fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY)
    try:
        bom = os.read(fd, 3)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:  # a folder in the file's place, a read error
        os.close(fd)
        raise
    encoding = "utf-8-sig" if bom == b"\xef\xbb\xbf" else "utf-16" if bom[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    return open(fd, encoding=encoding, errors="replace", newline="")


def is_link_error(e: OSError) -> bool:
    """What opening a link with O_NOFOLLOW (or creating over one with O_EXCL) reports."""
    return e.errno in (errno.ELOOP, errno.EMLINK) or (e.errno == errno.EEXIST and os.path.islink(e.filename or ""))


def describe(e: OSError) -> str:
    """An OS error on a data file as a user reads it: a refused link says so."""
    if is_link_error(e):
        return _("it is a link, and trayagent does not follow links in its data folder: remove the link")
    return os_errors.reason(e)


def sync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` survive power loss (POSIX; NTFS journals it)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
