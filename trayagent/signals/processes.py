"""The process table the call signals look at: which processes run, their names, exe paths and UDP sockets.

Behind a small interface so tests (and the Windows registry snapshots) can supply a fake table.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


def name_key(name: str) -> str:
    """How process names are compared: any case, with or without ".exe", so a config entry
    "MicroSIP" matches microsip.exe on Windows and microsip on Linux."""
    n = name.strip().lower()
    return n[:-4] if n.endswith(".exe") else n


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str


class ProcessTable(Protocol):
    def processes(self) -> list[ProcessInfo]: ...

    def name_of(self, pid: int) -> str | None:
        """The name of a running process, None when there is no such process (or it is not visible)."""
        ...

    def exe_of(self, pid: int) -> str | None:
        """Full executable path, None when gone or not readable (other users' processes on Windows)."""
        ...

    def udp_sockets(self, pid: int) -> frozenset[str] | None:
        """The process's UDP sockets, each by its local address ("ip:port"); None when they cannot
        be read. A softphone's call opens its own (RTP, RTCP) and closes them when the call ends."""
        ...

    def mine(self, pid: int) -> bool:
        """Does the process belong to the user running trayagent? On a terminal server (RDS, Citrix,
        common in contact centers) every agent's softphone is in the table; only ours is our call."""
        ...


class PsutilProcessTable:
    """The real table. Only names are read for every process (cheap); exe paths and sockets are read
    per pid on demand, which keeps a once-a-second poll well under a few tens of milliseconds."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._mine: dict[tuple[int, str], bool] = {}  # owners do not change; asked only for softphones
        if hasattr(os, "getuid"):
            self._uid: int | None = os.getuid()
            self._user = ""
        else:
            self._uid = None
            self._user = psutil.Process().username().lower()

    def processes(self) -> list[ProcessInfo]:
        out = []
        for p in self._psutil.process_iter(["name"]):
            name = p.info.get("name")
            if name:  # None for some kernel threads and protected processes
                out.append(ProcessInfo(p.pid, name))
        return out

    def _call(self, pid: int, what: str) -> object | None:
        psutil = self._psutil
        try:
            p = psutil.Process(pid)
            if what == "name":
                return p.name()
            if what == "exe":
                return p.exe() or None
            # psutil >= 6 renamed connections() to net_connections()
            conns = p.net_connections if hasattr(p, "net_connections") else p.connections
            return frozenset(f"{c.laddr.ip}:{c.laddr.port}" if c.laddr else f"fd {c.fd}" for c in conns(kind="udp"))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
            return None

    def name_of(self, pid: int) -> str | None:
        return self._call(pid, "name")  # type: ignore[return-value]

    def mine(self, pid: int) -> bool:
        psutil = self._psutil
        try:
            p = psutil.Process(pid)
            key = (pid, p.name())
            if key not in self._mine:
                if len(self._mine) > 4096:
                    self._mine.clear()
                if self._uid is not None:
                    self._mine[key] = p.uids().real == self._uid
                else:  # other sessions' processes deny access to their token: not ours
                    self._mine[key] = p.username().lower() == self._user
            return self._mine[key]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    def exe_of(self, pid: int) -> str | None:
        return self._call(pid, "exe")  # type: ignore[return-value]

    def udp_sockets(self, pid: int) -> frozenset[str] | None:
        return self._call(pid, "udp")  # type: ignore[return-value]
