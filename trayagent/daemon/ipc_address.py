"""Where the command channel lives and the key that opens it, both in the user's private run folder:
a Unix socket there (on Windows a named pipe whose random name is kept there, since pipe names are
one namespace for every session of the machine) and a random key only that user can read."""

from __future__ import annotations

import errno
import os
import re
import secrets
import sys
from pathlib import Path

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.storage.private import describe, make_private_dir, open_private


class NotRunning(TrayagentError):
    pass


def _address(new: bool = False) -> tuple[str, str]:
    """The channel's address. On Windows pipe names are one namespace for every session of the
    machine (a terminal server's users too), so the name is random, made anew by each daemon (`new`)
    and kept in the private run folder beside the key; a client reads it there."""
    if sys.platform == "win32":
        return (_new_pipe_name() if new else _pipe_name()), "AF_PIPE"
    sock = paths.command_socket()
    size = len(os.fsencode(sock))
    if size > paths.SOCKET_PATH_MAX:
        raise TrayagentError(f"the data folder's path is too long for the command channel ({sock} is {size} bytes, "
                             f"a Unix socket allows {paths.SOCKET_PATH_MAX}): set TRAYAGENT_HOME to a shorter "
                             "folder, or XDG_RUNTIME_DIR to your private runtime folder")
    return str(sock), "AF_UNIX"


def check_address() -> str:
    """Where the command channel lives; TrayagentError saying how to fix it when it cannot (doctor)."""
    return _address()[0]


def _key_file() -> Path:
    return paths.runtime_dir() / "command.key"


def _start_problem(path: Path | str, what: str, e: OSError) -> TrayagentError:
    hint = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some disk space",
            errno.EACCES: "make the folder writable for your user", errno.EROFS: "use a writable data folder",
            errno.EISDIR: "remove that folder"}.get(e.errno or 0, "")
    return TrayagentError(f"cannot start: {path}: {what} ({describe(e)})" + (f"; {hint} and start again" if hint else ""))


def _new_key() -> bytes:
    key = secrets.token_bytes(32)
    try:
        make_private_dir(paths.runtime_dir())
        _key_file().unlink(missing_ok=True)  # a link of that name goes; its target stays untouched
        with open_private(_key_file(), "x") as f:
            f.write(key.hex())
    except OSError as e:
        raise _start_problem(_key_file(), "cannot write the command key", e) from None
    return key


def _pipe_file() -> Path:
    return paths.runtime_dir() / "command.pipe"


PIPE_NAME = re.compile(r"\\\\\.\\pipe\\trayagent-[0-9a-f]{32}")


def _new_pipe_name() -> str:
    name = rf"\\.\pipe\trayagent-{secrets.token_hex(16)}"
    try:
        make_private_dir(paths.runtime_dir())
        _pipe_file().unlink(missing_ok=True)
        with open_private(_pipe_file(), "x") as f:
            f.write(name)
    except OSError as e:
        raise TrayagentError(f"cannot start: {_pipe_file()}: cannot write the command pipe's name ({e.strerror})") from None
    return name


def _pipe_taken(name: str) -> bool:
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


def _pipe_name() -> str:
    try:
        name = _pipe_file().read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        raise NotRunning("trayagent is not running") from None
    if not PIPE_NAME.fullmatch(name):
        raise NotRunning(f"trayagent is not running ({_pipe_file()} does not hold a pipe name)")
    return name


def _read_key() -> bytes:
    try:
        return bytes.fromhex(_key_file().read_text().strip())
    except (OSError, ValueError):
        raise NotRunning("trayagent is not running") from None
