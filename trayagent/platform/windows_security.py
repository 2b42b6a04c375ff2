"""Reading a file's owner and ACL, and this process's groups, from Windows (ctypes, advapi32).
Windows only; platform/policy_owner.py judges what is read."""

from __future__ import annotations

import sys
from pathlib import Path

from trayagent.platform.windows_acl import user_sid

if sys.platform == "win32":  # ctypes' Windows names exist only there (and mypy knows it)
    import ctypes
    from ctypes import wintypes

    _advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _advapi32.GetNamedSecurityInfoW.argtypes = [
        wintypes.LPCWSTR, ctypes.c_int, wintypes.DWORD, ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_void_p)]
    _advapi32.GetNamedSecurityInfoW.restype = wintypes.DWORD
    _advapi32.GetAce.argtypes = [ctypes.c_void_p, wintypes.DWORD, ctypes.POINTER(ctypes.c_void_p)]
    _advapi32.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    _advapi32.ConvertStringSidToSidW.argtypes = [wintypes.LPCWSTR, ctypes.POINTER(ctypes.c_void_p)]
    _advapi32.LookupAccountSidW.argtypes = [
        wintypes.LPCWSTR, ctypes.c_void_p, wintypes.LPWSTR, ctypes.POINTER(wintypes.DWORD), wintypes.LPWSTR,
        ctypes.POINTER(wintypes.DWORD), ctypes.POINTER(ctypes.c_int)]
    _advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    _advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
                                              ctypes.POINTER(wintypes.DWORD)]
    _kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    _kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    _kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    _kernel32.LocalFree.restype = ctypes.c_void_p

    class _Acl(ctypes.Structure):
        _fields_ = [("revision", ctypes.c_ubyte), ("sbz1", ctypes.c_ubyte), ("size", ctypes.c_ushort),
                    ("count", ctypes.c_ushort), ("sbz2", ctypes.c_ushort)]

    def _sid_text(sid: int | None) -> str:
        text = ctypes.c_void_p()
        if not _advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            return ctypes.wstring_at(text.value or 0)
        finally:
            _kernel32.LocalFree(text)

    def owner_and_writers(path: Path, write_access: int) -> tuple[str, list[str]]:
        """The owner's SID, and the SIDs an allowing ACL entry gives any of `write_access`; a missing
        ACL (everyone may do anything) gives Everyone."""
        owner, dacl, sd = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        owner_info, dacl_info, se_file_object = 0x1, 0x4, 1
        error = _advapi32.GetNamedSecurityInfoW(str(path), se_file_object, owner_info | dacl_info,
                                                ctypes.byref(owner), None, ctypes.byref(dacl), None,
                                                ctypes.byref(sd))
        if error:
            raise ctypes.WinError(error)
        try:
            if not dacl.value:
                return _sid_text(owner.value), ["S-1-1-0"]
            writers = []
            for i in range(_Acl.from_address(dacl.value).count):
                found = ctypes.c_void_p()
                if not _advapi32.GetAce(dacl, i, ctypes.byref(found)):
                    raise ctypes.WinError(ctypes.get_last_error())
                ace = found.value or 0
                # ACE_HEADER (type, flags, size), then for an ACCESS_ALLOWED_ACE the mask and the SID.
                kind, flags = ctypes.c_ubyte.from_address(ace).value, ctypes.c_ubyte.from_address(ace + 1).value
                mask = ctypes.c_uint32.from_address(ace + 4).value
                inherit_only = 0x08
                if kind == 0 and not flags & inherit_only and mask & write_access:
                    writers.append(_sid_text(ace + 8))
            return _sid_text(owner.value), writers
        finally:
            _kernel32.LocalFree(sd)

    def my_sid() -> str:
        return user_sid()

    def my_groups() -> list[str]:
        """Every group in this process's token, deny-only ones too (an administrator's unelevated
        token holds Administrators as deny-only: still an administrator)."""
        token = wintypes.HANDLE()
        token_query, token_groups = 0x0008, 2
        if not _advapi32.OpenProcessToken(_kernel32.GetCurrentProcess(), token_query, ctypes.byref(token)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            size = wintypes.DWORD()
            _advapi32.GetTokenInformation(token, token_groups, None, 0, ctypes.byref(size))  # asks the size
            buf = ctypes.create_string_buffer(size.value)
            if not _advapi32.GetTokenInformation(token, token_groups, buf, size, ctypes.byref(size)):
                raise ctypes.WinError(ctypes.get_last_error())
            count = ctypes.c_uint32.from_buffer(buf).value
            pointer = ctypes.sizeof(ctypes.c_void_p)  # TOKEN_GROUPS: a count, padded, then (SID*, attributes)
            return [_sid_text(ctypes.c_void_p.from_buffer(buf, pointer + i * 2 * pointer).value or 0)
                    for i in range(count)]
        finally:
            _kernel32.CloseHandle(token)

    def account_name(sid: str) -> str:
        """DOMAIN\\name of a SID, or the SID itself when Windows cannot name it."""
        binary = ctypes.c_void_p()
        if not _advapi32.ConvertStringSidToSidW(sid, ctypes.byref(binary)):
            return sid
        try:
            name, domain = ctypes.create_unicode_buffer(256), ctypes.create_unicode_buffer(256)
            n, d, use = wintypes.DWORD(256), wintypes.DWORD(256), ctypes.c_int()
            if not _advapi32.LookupAccountSidW(None, binary, name, ctypes.byref(n), domain, ctypes.byref(d),
                                               ctypes.byref(use)):
                return sid
            return f"{domain.value}\\{name.value}" if domain.value else name.value
        finally:
            _kernel32.LocalFree(binary)
