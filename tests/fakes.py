"""Fakes of the OS for tests: a clock, a camera, a tray view and a call signal for the controller, and
the controller rigged with them; a process table tests edit; recorded registry snapshots; samples as
the recorder writes them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from trayagent import config
from trayagent.core.callstate import Reading
from trayagent.core.records import Sample
from trayagent.core.stress import next_index
from trayagent.core.tray_status import TrayStatus
from trayagent.daemon.controller import Controller
from trayagent.perception.frames import CameraError
from trayagent.platform.registry import REG_BINARY, TYPE_NAMES, RegValue
from trayagent.signals.processes import ProcessInfo
from trayagent.storage.calls import CallStore


@dataclass
class FakeProcess:
    pid: int
    name: str
    exe: str | None = None
    udp: int | None = 0
    mine: bool = True  # False: another user's process (terminal server)
    sockets: frozenset[str] | None = None  # its UDP sockets by local address, instead of `udp` made-up ones


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

    def udp_sockets(self, pid: int) -> frozenset[str] | None:
        """`udp` sockets on made-up local ports; a test that needs to name them sets `sockets`."""
        p = self.procs.get(pid)
        if p is None or p.udp is None:
            return None
        return p.sockets if p.sockets is not None else frozenset(f"127.0.0.1:{5060 + i}" for i in range(p.udp))

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


class Clock:
    """Monotonic and wall time; `wall_shift` moves the wall clock alone (a user or NTP setting it,
    or a Linux suspend, during which the monotonic clock stands still)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.wall0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=9)))
        self.wall_shift = timedelta(0)

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.t - 1000.0) + self.wall_shift


class FakeCamera:
    """Counts opens and closes; serves a new frame on every read unless told to fail."""

    def __init__(self, frame: object = None) -> None:
        self.opened = 0
        self.closed = 0
        self.fail_open: str | None = None
        self.fail_read: str | None = None
        self.frame = frame

    @property
    def is_open(self) -> bool:
        return self.opened > self.closed

    def open(self):
        if self.fail_open:
            raise CameraError(self.fail_open)
        self.opened += 1
        cam, seq = self, [0]

        class Reader:
            def latest(self):
                if cam.fail_read:
                    raise CameraError(cam.fail_read)
                seq[0] += 1
                return seq[0], cam.frame

            def close(self):
                cam.closed += 1

        return Reader()


class FakeView:
    def __init__(self) -> None:
        self.shown: list[TrayStatus] = []
        self.notes: list[tuple[str, str]] = []
        self.look_at_notes: list[str | None] = []  # the icon showing as each note went out

    def show(self, status: TrayStatus) -> None:
        self.shown.append(status)

    def notify(self, title: str, body: str) -> None:
        self.notes.append((title, body))
        self.look_at_notes.append(self.shown[-1].look if self.shown else None)


class FakeSignal:
    """On or off as the test sets it; `stream` names the capture stream behind it (None: not known)."""

    def __init__(self) -> None:
        self.on = False
        self.stream: str | None = None

    def reading(self) -> Reading:
        return Reading(self.on, frozenset({self.stream}) if self.on and self.stream else frozenset())


@dataclass
class Rig:
    """The daemon's controller, headless: fake camera, clock, tray and signal around the real
    perception and recording. The settings are `folder`/user.toml, if a test writes it first."""

    ctl: Controller
    clock: Clock
    cam: FakeCamera
    view: FakeView
    signal: FakeSignal
    store: CallStore
    perception: object

    @classmethod
    def build(cls, folder: Path, perception: object, frame: object) -> Rig:
        clock, cam, view, signal = Clock(), FakeCamera(frame), FakeView(), FakeSignal()
        cfg = config.load(folder / "policy.toml", folder / "user.toml")
        store = CallStore(folder / "data")
        ctl = Controller(cfg, store, lambda: perception, cam.open, view, signal,
                         clock=clock, now=clock.now)
        return cls(ctl, clock, cam, view, signal, store, perception)

    def advance(self, seconds: float, step: float = 0.25) -> None:
        """Let `seconds` pass, a tick every `step`; the camera is never open outside a call or a calibration."""
        end = self.clock.t + seconds
        while self.clock.t < end:
            self.clock.t = min(end, self.clock.t + step)
            self.ctl.tick()
            assert self.ctl.call is not None or self.ctl.calibrating is not None or not self.cam.is_open, \
                "camera open outside a call or a calibration"


T0 = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=9)))


def samples(emotions: list[str | None], start: datetime = T0) -> list[Sample]:
    """Half a second apart, the index following Table 3."""
    index, out = 0.0, []
    for i, e in enumerate(emotions):
        index = next_index(index, e)
        out.append(Sample(start + timedelta(seconds=i / 2), e, index, None if e is None else (0.7, 0.1, 0.1, 0.1)))
    return out
