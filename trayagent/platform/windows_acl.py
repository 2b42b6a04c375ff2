"""Windows access control for the user's private folders: the account named by its SID, the ACL set
with icacls, and icacls' failures raised, never ignored.

`USERNAME` is not an account: it can be set by anyone, names a local account and a domain account
alike, and icacls resolves it in the current locale's account database (which fails or picks the
wrong account for some Hangul and domain names). The SID of this process's token is the account.
"""

from __future__ import annotations

import errno
import functools
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from trayagent.i18n import _
from trayagent.os_errors import Explained

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess]


class AclError(Explained, PermissionError):
    """A folder that should be private could not be made so. An OSError, so every caller that
    reports a folder it cannot write names this too."""


@functools.cache
def user_sid() -> str:
    """The SID (S-1-5-21-...) of the account this process runs as, from its own access token."""
    if sys.platform != "win32":  # ctypes' Windows names exist only there (and mypy knows it)
        raise OSError("an account's SID is read only on Windows")
    import ctypes
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    kernel32.LocalFree.restype = ctypes.c_void_p
    advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
                                             ctypes.POINTER(wintypes.DWORD)]
    advapi32.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    token_query, token_user = 0x0008, 1

    token = wintypes.HANDLE()
    if not advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), token_query, ctypes.byref(token)):
        raise ctypes.WinError(ctypes.get_last_error())
    try:
        size = wintypes.DWORD()
        advapi32.GetTokenInformation(token, token_user, None, 0, ctypes.byref(size))  # asks the size
        buf = ctypes.create_string_buffer(size.value)
        if not advapi32.GetTokenInformation(token, token_user, buf, size, ctypes.byref(size)):
            raise ctypes.WinError(ctypes.get_last_error())
        sid = ctypes.c_void_p.from_buffer(buf).value  # TOKEN_USER starts with SID_AND_ATTRIBUTES.Sid
        text = ctypes.c_void_p()
        if not advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            return ctypes.wstring_at(text.value)
        finally:
            kernel32.LocalFree(text)
    finally:
        kernel32.CloseHandle(token)


def private_acl_args(path: Path, sid: str) -> list[str]:
    """icacls arguments for "this account alone, full control, inherited by everything inside":
    inherited entries (Users, other admins' groups) removed, the account named by SID (`*S-...`)."""
    return ["icacls", str(path), "/inheritance:r", "/grant:r", f"*{sid}:(OI)(CI)F"]


def _run(args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, timeout=60,
                          creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))


def make_user_only(path: Path, run: Runner | None = None, sid: Callable[[], str] | None = None) -> None:
    """Give `path` an ACL granting only this process's account; AclError when that fails."""
    run, sid = run or _run, sid or user_sid
    try:
        who = sid()
    except OSError as e:
        raise AclError(errno.EACCES, _("cannot tell which account this is, so it was not made private ({error})").format(
            error=e), str(path)) from None
    try:
        proc = run(private_acl_args(path, who))
    except (OSError, subprocess.SubprocessError) as e:
        raise AclError(errno.EACCES, _("cannot run {program} to make it private ({error})").format(
            program="icacls", error=e), str(path)) from None
    if proc.returncode != 0:
        said = _text(proc.stderr) or _text(proc.stdout) or _("no message")
        raise AclError(errno.EACCES, _("{program} could not make it private (exit code {code}: {said})").format(
            program="icacls", code=proc.returncode, said=said), str(path))


def _text(out: bytes | str | None) -> str:
    """icacls writes in the console's code page; a message is worth more than its exact bytes."""
    if not out:
        return ""
    if isinstance(out, bytes):
        import locale

        out = out.decode(locale.getpreferredencoding(False) or "utf-8", errors="replace")
    return " ".join(out.split())[:300]
