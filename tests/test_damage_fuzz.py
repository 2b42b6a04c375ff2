"""Seeded random damage over the whole data folder (issue 21, item 1): the calls index, the call
files, the settings and the calibration, hit by what power cuts, editors, sync tools and stray
scripts do (cut short, emptied, overwritten, NUL bytes, re-encoded, a line repeated or lost, a
number made `nan` or blank, a folder or a link in a file's place, strays planted in calls/).

After any damage: every call whose own file was not touched is listed, no command shows a
traceback (a failing one says why in one `trayagent:` line), the daemon starts and a new call is
recorded and listed. A failure names its seed and the damage; `TRAYAGENT_DAMAGE_SEEDS=7,8` reruns
given seeds end to end."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import cli, wait_for
from trayagent import paths
from trayagent.core.calibration import Baseline
from trayagent.core.errors import TrayagentError
from trayagent.core.records import Sample
from trayagent.core.stress import next_index
from trayagent.storage import baseline
from trayagent.storage.calls import SAMPLE_COLUMNS, CallStore, RecordingError

IN_PROCESS_SEEDS = range(200)  # listing and settings, in this process: cheap
COMMAND_SEEDS = range(6)  # every read-only command, in this process
END_TO_END_SEEDS = [int(s) for s in os.environ.get("TRAYAGENT_DAMAGE_SEEDS", "1,2").split(",")]

EMOTIONS = ("happy", "neutral", "stress", "surprise", None)
CELLS = ("nan", "", "inf", "-1", "x", "1e999", "9999-12-31T00:00:00+00:00", '"', "\x00", "0" * 400)


# ---- a data folder as a day of work leaves it ---------------------------------------------------
def build(home: Path, rng: random.Random) -> list[str]:
    """Six calls of the last hour (files and index), the commented settings with a few values
    set, and a calibration for the shipped model; the call ids."""
    store = CallStore(home)
    now = datetime.now().astimezone().replace(microsecond=0)
    ids = []
    for k in range(6):
        start = now - timedelta(minutes=60 - 9 * k)
        w = store.new_call(start)
        value = 0.0
        for i in range(rng.randint(4, 12)):
            e = rng.choice(EMOTIONS)
            value = next_index(value, e)
            w.write(Sample(start + timedelta(seconds=i / 2), e, value, None if e is None else (0.4, 0.3, 0.2, 0.1)))
        store.add_to_index(w.close())
        ids.append(w.id)
    from trayagent.config import default_text

    settings = default_text().replace("# calm_below = 0.25", "calm_below = 0.3").replace("# notify = true", "notify = false")
    (home / "config.toml").write_text(settings, encoding="utf-8")
    sha = hashlib.sha256(paths.shipped_model().read_bytes()).hexdigest()
    baseline.save(Baseline((-1.2, -0.8, -1.6, -2.1), 20, sha, "2026-01-05T09:00:00+09:00", 120.0, 50.0, "camera"),
                  home / "calibration.json")
    return ids


# ---- what happens to files ----------------------------------------------------------------------
def _bytes(path: Path) -> bytes:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else b""


def emptied(rng, path, outside):
    path.write_bytes(b"")


def cut_short(rng, path, outside):
    data = _bytes(path)
    path.write_bytes(data[: rng.randrange(len(data) + 1)])


def overwritten(rng, path, outside):
    data = bytearray(_bytes(path))
    at = rng.randrange(len(data) + 1)
    data[at:at + rng.randint(1, 64)] = rng.randbytes(rng.randint(1, 64))
    path.write_bytes(bytes(data))


def power_cut(rng, path, outside):
    data = bytearray(_bytes(path))
    at = rng.randrange(len(data) + 1)
    n = rng.randint(1, 512)
    data[at:at + n] = b"\x00" * n
    path.write_bytes(bytes(data))


def utf16(rng, path, outside):
    path.write_bytes(_bytes(path).decode("utf-8", "replace").encode("utf-16"))


def with_bom(rng, path, outside):
    path.write_bytes(b"\xef\xbb\xbf" + _bytes(path))


def crlf(rng, path, outside):
    path.write_bytes(_bytes(path).replace(b"\n", b"\r\n"))


def _lines(path: Path) -> list[bytes]:
    return _bytes(path).splitlines(keepends=True) or [b"\n"]


def line_repeated(rng, path, outside):
    lines = _lines(path)
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    path.write_bytes(b"".join(lines))


def line_lost(rng, path, outside):
    lines = _lines(path)
    del lines[rng.randrange(len(lines))]
    path.write_bytes(b"".join(lines))


def cell_spoilt(rng, path, outside):
    lines = _lines(path)
    i = rng.randrange(len(lines))
    cells = lines[i].rstrip(b"\r\n").split(b",")
    cells[rng.randrange(len(cells))] = rng.choice(CELLS).encode()
    lines[i] = b",".join(cells) + b"\n"
    path.write_bytes(b"".join(lines))


def deleted(rng, path, outside):
    path.unlink(missing_ok=True)


def a_folder(rng, path, outside):
    path.unlink(missing_ok=True)
    path.mkdir()
    (path / "stray.txt").write_text("someone's notes\n")


def a_link(rng, path, outside):
    path.unlink(missing_ok=True)
    path.symlink_to(outside)


DAMAGE: list[Callable] = [emptied, cut_short, overwritten, power_cut, utf16, with_bom, crlf, line_repeated,
                          line_lost, cell_spoilt, deleted, a_folder]
if os.name == "posix":
    DAMAGE.append(a_link)


def plant(rng: random.Random, home: Path, outside: Path) -> str:
    """A stray in calls/ named like a call: garbage, an empty file, a folder, a link."""
    name = f"20250101-{rng.randrange(240000):06d}"
    stray = home / "calls" / f"{name}.csv"
    kind = rng.choice(["garbage", "empty", "folder", "header only"] + (["link"] if os.name == "posix" else []))
    if kind == "garbage":
        stray.write_bytes(rng.randbytes(rng.randint(1, 300)))
    elif kind == "empty":
        stray.write_bytes(b"")
    elif kind == "folder":
        stray.mkdir(exist_ok=True)
    elif kind == "header only":
        stray.write_text(",".join(SAMPLE_COLUMNS) + "\n")
    else:
        stray.symlink_to(outside)
    return f"planted {kind} {stray.name}"


def damage(home: Path, ids: list[str], seed: int) -> tuple[set[str], list[str]]:
    """Two to five random damages; the ids of the calls whose file was not touched, and what was done."""
    rng = random.Random(seed)
    outside = home.parent / f"outside-{seed}.txt"
    outside.write_text("someone else's file\n")
    targets = [home / "calls.csv", home / "config.toml", home / "calibration.json",
               *(home / "calls" / f"{i}.csv" for i in ids)]
    touched, done = set(), []
    for _ in range(rng.randint(2, 5)):
        if rng.random() < 0.15:
            done.append(plant(rng, home, outside))
            continue
        target = rng.choice(targets[:3] * 3 + targets[3:])  # the index and settings as often as all calls
        hit = rng.choice(DAMAGE)
        if target.is_symlink():  # a link an earlier damage made: the next one is to the name, not through it
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        hit(rng, target, outside)
        touched.add(target.stem)
        done.append(f"{hit.__name__} {target.name}")
    return {i for i in ids if i not in touched}, done


@pytest.fixture
def rng_home(tmp_path, monkeypatch) -> Callable[[int], tuple[Path, list[str]]]:
    """A fresh copy of one built data folder per seed (building syncs every file: slow)."""
    template = tmp_path / "template"
    template.mkdir()
    monkeypatch.setenv("TRAYAGENT_HOME", str(template))
    ids = build(template, random.Random(0))

    def make(seed: int) -> tuple[Path, list[str]]:
        home = tmp_path / f"seed-{seed}" / "home"
        shutil.copytree(template, home, symlinks=True)
        monkeypatch.setenv("TRAYAGENT_HOME", str(home))
        return home, ids
    return make


# ---- in this process ---------------------------------------------------------------------------
def test_every_intact_call_is_listed_after_any_damage(rng_home):
    from trayagent import config

    for seed in IN_PROCESS_SEEDS:
        home, ids = rng_home(seed)
        intact, done = damage(home, ids, seed)
        listed = [c.id for c in CallStore(home).calls()]
        assert intact <= set(listed), f"seed {seed} ({'; '.join(done)}): lost {sorted(intact - set(listed))}"
        assert len(listed) == len(set(listed)), f"seed {seed} ({'; '.join(done)}): listed twice"
        assert [c.id for c in CallStore(home).calls()] == listed, f"seed {seed}: a second read differs"
        store = CallStore(home)  # what the daemon does at start: close out crashed calls, retention
        try:
            store.recover(min_call_s=5)
            store.purge(datetime.now().astimezone() - timedelta(days=90))
        except RecordingError:
            pass  # an index that cannot be written: the tray says so, and the daemon runs on
        config.load_or_defaults()  # settings: whatever is wrong falls back, never raises
        baseline.stored()  # calibration: None when damaged, never raises
        assert (home.parent / f"outside-{seed}.txt").read_text() == "someone else's file\n"


@pytest.mark.slow
def test_no_command_shows_a_traceback_after_any_damage(rng_home, capsys, tmp_path):
    from trayagent.cli import build_parser

    parser = build_parser()
    for seed in COMMAND_SEEDS:
        home, ids = rng_home(seed)
        intact, done = damage(home, ids, seed)
        day = f"{datetime.now().astimezone():%Y-%m-%d}"
        for argv in (["calls", "--json", "--date", day], ["calls", "--summary", "--json"],
                     ["export", "--from", "2020-01-01", "--to", day, "--out", str(tmp_path / f"{seed}.json")],
                     ["graph", "--today", "--out", str(tmp_path / f"{seed}.png")], ["calibrate", "--show"],
                     ["doctor", "--no-camera"]):
            args = parser.parse_args(argv)
            try:
                args.func(args)
            except TrayagentError:
                pass  # said in one line by cli.main
            except SystemExit:
                pass
            except Exception as e:
                pytest.fail(f"seed {seed} ({'; '.join(done)}): `trayagent {' '.join(argv)}` raised {e!r}")
        capsys.readouterr()


# ---- end to end: the commands and the daemon, as processes -------------------------------------
def clear(proc: subprocess.CompletedProcess, what: str, ok: tuple[int, ...] = (0,)) -> str:
    """No traceback anywhere; a command that fails (other than `ok`) says why in one `trayagent:` line."""
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback" not in stream and "Logging error" not in stream, f"{what}: {stream}"
    if proc.returncode not in ok:
        assert proc.stderr.strip().splitlines()[-1].startswith("trayagent:"), f"{what}: {proc.stderr}"
    return proc.stdout


def listed(env: dict[str, str], ids: list[str], what: str) -> list[str]:
    """`trayagent calls --json` for each day the calls (named for their local start) and today have."""
    days = sorted({f"{i[:4]}-{i[4:6]}-{i[6:8]}" for i in ids} | {f"{datetime.now().astimezone():%Y-%m-%d}"})
    return [c["id"] for day in days for c in json.loads(clear(cli("calls", "--json", "--date", day, env=env), what))]


@pytest.mark.slow
@pytest.mark.parametrize("seed", END_TO_END_SEEDS)
def test_after_any_damage_the_daemon_starts_and_records_a_new_call(rng_home, tmp_path, seed):
    home, ids = rng_home(seed)
    intact, done = damage(home, ids, seed)
    what = f"seed {seed} ({'; '.join(done)})"
    policy = tmp_path / "policy.toml"
    policy.write_text("[calls]\nmin_call_s = 0\n")  # any call counts; the user's own file may be damaged
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(TRAYAGENT_HOME=str(home), TRAYAGENT_POLICY=str(policy))
    before = listed(env, ids, what)
    assert intact <= set(before), f"{what}: lost {sorted(intact - set(before))}"
    for argv in (["calls", "--summary"], ["export", "--out", str(tmp_path / "calls.json")], ["calibrate", "--show"],
                 ["graph", "--today", "--out", str(tmp_path / "today.png")]):
        clear(cli(*argv, env=env), f"{what}: trayagent {' '.join(argv)}")
    assert clear(cli("doctor", "--no-camera", env=env), f"{what}: doctor", ok=(0, 1))  # 1: it found something to fix
    camera = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=10).path
    daemon = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--no-tray", "--camera", str(camera)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        up = wait_for(lambda: daemon.poll() is not None or cli("status", env=env).returncode == 0, 90)
        if daemon.poll() is not None:
            err = daemon.stderr.read() if daemon.stderr else ""
            lines = err.strip().splitlines()
            assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("trayagent:"), f"{what}: {err}"
            pytest.fail(f"{what}: the daemon refused to start: {lines[0]}")
        assert up
        old = set((home / "calls").glob("*.csv"))
        clear(cli("call", "start", env=env), what)
        new = wait_for(lambda: [p for p in set((home / "calls").glob("*.csv")) - old
                                if len(p.read_bytes().splitlines()) > 2], 60)
        assert new, f"{what}: no new call recorded"
        started = new[0].stem
        clear(cli("call", "end", env=env), what)
        clear(cli("stop", env=env), what)
        daemon.wait(60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    after = listed(env, ids, what)
    assert intact <= set(after) and started in after, f"{what}: listed {after}"
    assert len(after) == len(set(after)), f"{what}: listed twice"
    assert (home.parent / f"outside-{seed}.txt").read_text() == "someone else's file\n"
