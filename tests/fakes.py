"""Fakes of the OS for tests: a process table tests edit, and recorded registry snapshots."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trayagent.platform.registry import REG_BINARY, TYPE_NAMES, RegValue
from trayagent.signals.processes import ProcessInfo


@dataclass
class FakeProcess:
    pid: int
    name: str
    exe: str | None = None
    udp: int | None = 0
    mine: bool = True  # False: another user's process (terminal server)


@dataclass
class FakeProcessTable:
    """A table tests edit directly: add/remove processes, change their UDP socket counts."""

    procs: dict[int, FakeProcess] = field(default_factory=dict)

    @classmethod
    def of(cls, procs: Iterable[FakeProcess]) -> FakeProcessTable:
        return cls({p.pid: p for p in procs})

    @classmethod
    def from_json(cls, path: Path) -> FakeProcessTable:
        """The "processes" list of a recorded snapshot (see tests/fixtures/registry/README.md)."""
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.of(FakeProcess(p["pid"], p["name"], p.get("exe"), p.get("udp", 0), p.get("mine", True))
                      for p in doc.get("processes", []))

    def start(self, pid: int, name: str, exe: str | None = None, udp: int = 0, mine: bool = True) -> None:
        self.procs[pid] = FakeProcess(pid, name, exe, udp, mine)

    def kill(self, pid: int) -> None:
        self.procs.pop(pid, None)

    def processes(self) -> list[ProcessInfo]:
        return [ProcessInfo(p.pid, p.name) for p in self.procs.values()]

    def name_of(self, pid: int) -> str | None:
        p = self.procs.get(pid)
        return p.name if p else None

    def exe_of(self, pid: int) -> str | None:
        p = self.procs.get(pid)
        return p.exe if p else None

    def udp_sockets(self, pid: int) -> int | None:
        p = self.procs.get(pid)
        return p.udp if p else None

    def mine(self, pid: int) -> bool:
        p = self.procs.get(pid)
        return p.mine if p else False


class JsonRegistryReader:
    """Recorded registry snapshots (tests/fixtures/registry/*.json, shape in the README there).
    Lookups ignore case, as the registry does."""

    def __init__(self, keys: dict[str, dict[str, RegValue]]) -> None:
        self._keys = {k.lower(): (k, v) for k, v in keys.items()}

    @classmethod
    def load(cls, path: Path) -> JsonRegistryReader:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        keys: dict[str, dict[str, RegValue]] = {}
        for key, values in doc["keys"].items():
            keys[key] = {}
            for name, v in values.items():
                typ = TYPE_NAMES[v["type"]]
                data = bytes.fromhex(v["data"]) if typ == REG_BINARY else v["data"]
                keys[key][name] = (typ, data)
        return cls(keys)

    def subkeys(self, hive: str, path: str) -> list[str] | None:
        full = f"{hive}\\{path}".lower()
        if full not in self._keys and not any(k.startswith(full + "\\") for k in self._keys):
            return None
        names: dict[str, None] = {}  # ordered set; intermediate keys need not be listed in the file
        for low, (orig, _) in self._keys.items():
            if low.startswith(full + "\\"):
                names[orig[len(full) + 1:].split("\\")[0]] = None
        return list(names)

    def values(self, hive: str, path: str) -> dict[str, RegValue]:
        return dict(self._keys.get(f"{hive}\\{path}".lower(), ("", {}))[1])
