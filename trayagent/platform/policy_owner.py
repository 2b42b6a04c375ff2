"""Whether the machine policy file is IT's: only administrators (Linux: root) may own it or change it.

Any user may create files in C:\\ProgramData before IT installs trayagent, and a policy decides what
is kept and, with the team view, where summaries go; so a policy that an ordinary user owns or may
change is refused whole (config.load), whatever it says. Setup gives the file to Administrators and
lets only Administrators and SYSTEM write it (installer/trayagent.nsi).

On Windows the owner and the ACL are read with GetNamedSecurityInfoW. Wine makes both up from the
Unix file: its own user owns what the same Unix account owns (ANONYMOUS LOGON anything else), and a
world-writable file grants Everyone write; so the same check can be shown under wine.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from trayagent import os_errors
from trayagent.core.errors import ConfigError
from trayagent.i18n import _

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
TRUSTED_INSTALLER = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
# FILE_WRITE_DATA, FILE_APPEND_DATA, DELETE, WRITE_DAC, WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE: what
# lets an account change what the file says, or replace it.
WRITE_ACCESS = 0x2 | 0x4 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000


def refusal(path: Path) -> str | None:
    """Why `path` is not taken as IT's policy, in the reader's language, or None when it is."""
    if sys.platform == "win32":
        return _windows_refusal(path)
    return _posix_refusal(os.stat(path))


def posix_refusal(owner_uid: int, mode: int, owner_name: str, group_name: str) -> str | None:
    """Root must own it and nobody else may write it."""
    reasons = []
    if owner_uid != 0:
        reasons.append(_("it belongs to {owner}, not to {expected}").format(owner=owner_name, expected="root"))
    if mode & stat.S_IWGRP:
        reasons.append(_("group {group} may change it").format(group=group_name))
    if mode & stat.S_IWOTH:
        reasons.append(_("every user may change it"))
    return "; ".join(reasons) or None


def _posix_refusal(st: os.stat_result) -> str | None:
    if sys.platform == "win32":
        raise OSError("Unix owners are read only on Unix")
    import grp
    import pwd

    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return posix_refusal(st.st_uid, st.st_mode, owner, group)


def windows_refusal(owner: str, writers: Iterable[str], trusted: set[str], name: Callable[[str], str] = lambda sid: sid) -> str | None:
    """`owner`: the owner's SID; `writers`: the SIDs an ACL entry lets change the file; `trusted`:
    the SIDs that may (administrators). `name` turns a SID into an account name for the message."""
    reasons = []
    if owner not in trusted:
        reasons.append(_("it belongs to {owner}, not to {expected}").format(owner=name(owner), expected="Administrators"))
    for sid in dict.fromkeys(w for w in writers if w not in trusted):
        reasons.append(_("{account} may change it").format(account=name(sid)))
    return "; ".join(reasons) or None


def trusted_sids(my_sid: str, my_groups: Iterable[str]) -> set[str]:
    """Administrators, SYSTEM and TrustedInstaller, and this account when it is an administrator
    itself (it could change the policy anyway; under wine every file is its own)."""
    trusted = {SYSTEM, ADMINISTRATORS, TRUSTED_INSTALLER}
    if ADMINISTRATORS in my_groups:
        trusted.add(my_sid)
    return trusted


def _windows_refusal(path: Path) -> str | None:  # pragma: no cover - Windows (and wine) only
    if sys.platform != "win32":
        raise OSError("Windows security descriptors are read only on Windows")
    from trayagent.platform import windows_security as ws

    owner, writers = ws.owner_and_writers(path, WRITE_ACCESS)
    return windows_refusal(owner, writers, trusted_sids(ws.my_sid(), ws.my_groups()), ws.account_name)


class UntrustedPolicy(ConfigError):
    """The machine policy file is not IT's: refused whole, as one that cannot be read."""

    @property
    def fix(self) -> str:
        if sys.platform == "win32":
            return _("ask IT to run the trayagent installer again: it moves this file aside and writes IT's policy")
        return _("ask IT to give it to {root} and let {root} alone change it (`chown root:root`, `chmod 644`)").format(
            root="root")


def check(path: Path) -> None:
    """UntrustedPolicy when `path` is not IT's (or who may change it cannot be told)."""
    try:
        why = refusal(path)
    except OSError as e:
        why = _("who may change it cannot be read ({reason})").format(reason=os_errors.reason(e))
    if why:
        raise UntrustedPolicy(_("{path}: not used as the policy, because {reason}").format(path=path, reason=why))
