"""Where the command channel lives and the key that opens it, both in the user's private run folder:
a Unix socket there (on Windows a named pipe whose random name is kept there, since pipe names are
one namespace for every session of the machine) and a random key only that user can read."""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.i18n import N_, _
from trayagent.platform import system
from trayagent.storage.private import describe, make_private_dir, open_private


class NotRunning(TrayagentError):
    pass


class AddressTooLong(TrayagentError):
    """The data folder's path is too long for a Unix socket. `problem` says so without the fix
    (doctor gives the fix a line of its own)."""

    FIX = N_("set TRAYAGENT_HOME to a shorter folder, or XDG_RUNTIME_DIR to your private runtime folder")

    def __init__(self, sock: Path, size: int) -> None:
        self.problem = _("the data folder's path is too long for the command channel ({path} is {size} bytes, "
                         "a Unix socket allows {limit})").format(path=sock, size=size, limit=paths.SOCKET_PATH_MAX)
        super().__init__(_("{problem}: {fix}").format(problem=self.problem, fix=_(self.FIX)))


def _address(new: bool = False) -> tuple[str, str]:
    """The channel's address. On Windows pipe names are one namespace for every session of the
    machine (a terminal server's users too), so the name is random, made anew by each daemon (`new`)
    and kept in the private run folder beside the key; a client reads it there."""
    if system.CHANNEL_FAMILY == "AF_PIPE":
        return (_new_pipe_name() if new else _pipe_name()), "AF_PIPE"
    sock = paths.command_socket()
    size = len(os.fsencode(sock))
    if size > paths.SOCKET_PATH_MAX:
        raise AddressTooLong(sock, size)
    return str(sock), "AF_UNIX"


def check_address() -> str:
    """Where the command channel lives; TrayagentError saying how to fix it when it cannot (doctor)."""
    return _address()[0]


def _key_file() -> Path:
    return paths.runtime_dir() / "command.key"


# What to do about the commonest reasons the daemon cannot make its command channel.
_START_HINTS = {errno.ENOSPC: N_("free some disk space and start again"),
                getattr(errno, "EDQUOT", errno.ENOSPC): N_("free some disk space and start again"),
                errno.EACCES: N_("make the folder writable for your user and start again"),
                errno.EROFS: N_("use a writable data folder and start again"),
                errno.EISDIR: N_("remove that folder and start again")}


def _start_problem(path: Path | str, cannot: str, e: OSError) -> TrayagentError:
    """`cannot` says what failed (translated), the OS error why, and the hint what to do."""
    message = _("cannot start: {path}: {problem} ({reason})").format(path=path, problem=cannot, reason=describe(e))
    hint = _START_HINTS.get(e.errno or 0)
    return TrayagentError(_("{problem}; {fix}").format(problem=message, fix=_(hint)) if hint else message)


def _new_key() -> bytes:
    key = secrets.token_bytes(32)
    try:
        make_private_dir(paths.runtime_dir())
        _key_file().unlink(missing_ok=True)  # a link of that name goes; its target stays untouched
        with open_private(_key_file(), "x") as f:
            f.write(key.hex())
    except OSError as e:
        raise _start_problem(_key_file(), _("cannot write the command key"), e) from None
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
        raise _start_problem(_pipe_file(), _("cannot write the command pipe's name"), e) from None
    return name


def _pipe_taken(name: str) -> bool:
    return system.pipe_exists(name)


def _pipe_name() -> str:
    try:
        name = _pipe_file().read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        raise NotRunning(_("trayagent is not running")) from None
    if not PIPE_NAME.fullmatch(name):
        raise NotRunning(_("trayagent is not running ({path} does not hold a pipe name)").format(path=_pipe_file()))
    return name


def _read_key() -> bytes:
    try:
        return bytes.fromhex(_key_file().read_text().strip())
    except (OSError, ValueError):
        raise NotRunning(_("trayagent is not running")) from None
