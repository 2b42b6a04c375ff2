"""Windows "microphone in use": the privacy ConsentStore that drives the taskbar's microphone icon.

HKCU (and HKLM) Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone
has one subkey per packaged app (its package family name, e.g. MSTeams_8wekyb3d8bbwe) and, under
NonPackaged, one per Win32 exe (its full path with "\\" written as "#"). Each carries LastUsedTimeStart
and LastUsedTimeStop (FILETIME, QWORD or 8-byte BINARY); Stop is 0 while the app holds the mic.
Windows 10 20H2 and newer.

Caveats this module handles: an app that crashed mid-capture leaves Stop at 0 forever, so an entry
counts only while its exe runs. Caveats it does not: some Windows 11 builds stopped zeroing Stop
(a Core Audio capture-session signal would be the second opinion).
"""

from __future__ import annotations

import logging
import ntpath
import sys
from typing import Any

from trayagent.i18n import _
from trayagent.platform.registry import REG_BINARY, REG_DWORD, REG_QWORD, RegistryReader, RegValue, WinRegistry
from trayagent.signals.mic import MicReading, MicUser
from trayagent.signals.processes import ProcessTable, name_key

log = logging.getLogger(__name__)

CONSENT_MIC = r"Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore\microphone"
HIVES = ("HKCU", "HKLM")

# Packaged apps whose process we know by name: used when a process's exe path cannot be read.
PACKAGED_EXES = {
    "msteams": ("ms-teams.exe",),  # new Teams (work or school), MSTeams_8wekyb3d8bbwe
    "microsoftteams": ("msteams.exe",),  # Teams (free) / Windows 11 chat, MicrosoftTeams_8wekyb3d8bbwe
    "microsoft.skypeapp": ("skype.exe",),
}


def filetime(value: RegValue | None) -> int | None:
    """A FILETIME stored as QWORD (usual) or as 8 little-endian bytes (seen on some builds)."""
    if value is None:
        return None
    typ, data = value
    if typ in (REG_QWORD, REG_DWORD) and isinstance(data, int):
        return data
    if typ == REG_BINARY and isinstance(data, (bytes, bytearray)) and len(data) == 8:
        return int.from_bytes(data, "little")
    return None


def in_use(values: dict[str, RegValue]) -> bool:
    """Stop == 0 after a real Start: an entry that was never used has neither value."""
    start, stop = filetime(values.get("LastUsedTimeStart")), filetime(values.get("LastUsedTimeStop"))
    return stop == 0 and bool(start)


def _norm(path: str) -> str:
    return ntpath.normcase(ntpath.normpath(path))


def _package_dir_matches(exe: str, family: str) -> bool:
    """Does the exe live in the install folder of this package family? Family "MSTeams_8wekyb3d8bbwe"
    installs to ...\\WindowsApps\\MSTeams_<version>_<arch>__8wekyb3d8bbwe\\..."""
    name, _, publisher = family.rpartition("_")
    if not name:
        return False
    parts = [p.lower() for p in ntpath.normpath(exe).split("\\")]
    return any(p.startswith(name.lower() + "_") and p.endswith("_" + publisher.lower()) for p in parts[:-1])


class ConsentStoreMicSource:
    name = "consentstore"

    def __init__(self, reader: RegistryReader, table: ProcessTable) -> None:
        self._reg = reader
        self._table = table
        self._exe_cache: dict[tuple[int, str], str | None] = {}  # (pid, name): an exe never changes

    def _exe(self, pid: int, name: str) -> str | None:
        key = (pid, name)
        if key not in self._exe_cache:
            if len(self._exe_cache) > 4096:  # pids are reused over a long shift; keep the cache bounded
                self._exe_cache.clear()
            self._exe_cache[key] = self._table.exe_of(pid)
        return self._exe_cache[key]

    def _running_exe(self, exe_path: str, procs: list[Any]) -> int | None:
        """A running process started from this exe; by name where its path cannot be read."""
        want = _norm(exe_path)
        base = name_key(ntpath.basename(exe_path))
        for p in procs:
            if name_key(p.name) != base or not self._table.mine(p.pid):
                continue
            exe = self._exe(p.pid, p.name)
            if exe is None or _norm(exe) == want:
                return p.pid
        return None

    def _running_package(self, family: str, procs: list[Any]) -> tuple[int, str] | None:
        known = PACKAGED_EXES.get(family.rpartition("_")[0].lower(), ())
        for p in procs:
            exe = self._exe(p.pid, p.name)
            ours = (_package_dir_matches(exe, family) if exe is not None
                    else name_key(p.name) in {name_key(k) for k in known})
            if ours and self._table.mine(p.pid):
                return p.pid, p.name
        return None

    def read(self) -> MicReading:
        found_key = False
        users: list[MicUser] = []
        procs: list[Any] | None = None  # read the process table only if some entry is in use
        for hive in HIVES:
            apps = self._reg.subkeys(hive, CONSENT_MIC)
            if apps is None:
                continue
            found_key = True
            entries: list[tuple[str, str | None, str]] = []  # (key, exe path, package family)
            for app in apps:
                if app.lower() == "nonpackaged":
                    for np in self._reg.subkeys(hive, f"{CONSENT_MIC}\\{app}") or []:
                        entries.append((f"{CONSENT_MIC}\\{app}\\{np}", np.replace("#", "\\"), ""))
                else:
                    entries.append((f"{CONSENT_MIC}\\{app}", None, app))
            for key, exe, family in entries:
                values = self._reg.values(hive, key)
                if not in_use(values):
                    continue
                # Windows sets LastUsedTimeStart each time the app starts capturing: with the key it
                # names this capture session.
                stream = f"{hive}\\{key}@{filetime(values.get('LastUsedTimeStart'))}"
                if procs is None:
                    procs = self._table.processes()
                where = f"{hive}\\{key}"
                if exe is not None:
                    pid = self._running_exe(exe, procs)
                    if pid is None:
                        log.debug("ignoring stale microphone entry (exe not running): %s", where)
                        continue
                    users.append(MicUser(ntpath.basename(exe), pid, where, stream))
                else:
                    hit = self._running_package(family, procs)
                    if hit is None:
                        log.debug("ignoring stale microphone entry (package not running): %s", where)
                        continue
                    users.append(MicUser(hit[1], hit[0], where, stream))
        if not found_key:
            return MicReading.unavailable(_("no ConsentStore microphone key in the registry "
                                            "(needs Windows 10 20H2 or newer)"))
        return MicReading(True, tuple(users))


def default_source(table: ProcessTable) -> ConsentStoreMicSource | None:
    if sys.platform != "win32":
        return None
    return ConsentStoreMicSource(WinRegistry(), table)
