"""Every CLI command against a data folder full of damage (issue 12, "Done when"): no traceback, a
clear `trayagent: ...` line where a command fails, the daemon starts and records, and nothing
already recorded is lost or listed twice.

The damage is what a power cut, a stray editor or a hostile link leaves: NUL bytes over the index's
header, a stray quote, a date out of range, a repeated row, a crashed call whose header is gone, a
call file past csv's field limit, an unreadable crashed call, and links planted where trayagent
writes.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import call_rows, cli, running_daemon, wait_for
from trayagent.core.records import Sample
from trayagent.core.stress import next_index
from trayagent.storage.calls import CallStore

pytestmark = pytest.mark.slow  # every command and the daemon, each a process of its own


def _record(store: CallStore, start: datetime, n: int, index: bool = True) -> str:
    w = store.new_call(start)
    value = 0.0
    for i in range(n):
        value = next_index(value, "stress")
        w.write(Sample(start + timedelta(seconds=i / 2), "stress", value, (0.1, 0.1, 0.7, 0.1)))
    summary = w.close()
    if index:
        store.add_to_index(summary)
    return w.id


@pytest.fixture
def damaged(home, tmp_path) -> dict:
    """A data folder with three good calls today and every kind of damage around them."""
    store = CallStore(home)
    today = datetime.now().astimezone().replace(hour=9, minute=0, second=0, microsecond=0)
    good = [_record(store, today + timedelta(minutes=10 * k), 20) for k in range(3)]
    crashed = _record(store, today + timedelta(minutes=40), 20, index=False)
    # the crashed call's header, and the index's, under a power cut's NUL bytes
    path = store.call_path(crashed)
    path.write_bytes(b"\x00" * 12 + path.read_bytes()[12:])
    lines = store.index_path.read_text().splitlines()
    lines[0] = "\x00" * len(lines[0])
    lines.append(lines[1])  # a repeated row
    lines.append('"' + lines[2])  # a stray quote
    lines.append("20261124-235900,9999-12-31T23:59:00-01:00,9999-12-31T23:59:30-01:00,30,4,4,0.1,0.1,0.1,0")
    store.index_path.write_text("\n".join(lines) + "\n")
    # a call file with a stray quote and more than csv's field limit after it
    rows = store.call_path(good[2]).read_text().splitlines()
    store.call_path(good[2]).write_text("\n".join(rows[:3] + ['"' + rows[3]] + rows[4:] * 400) + "\n")
    # a crashed call too damaged to read, from long ago (retention's) and from today
    (store.dir / "20200101-090000.csv").write_bytes(b"\x00" * 200)
    (store.dir / (today + timedelta(minutes=50)).strftime("%Y%m%d-%H%M%S.csv")).write_bytes(b"\xff\xfe garbage\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    if os.name == "posix":
        (home / "calls.tmp").symlink_to(outside)  # retention's rewrite must not write through it
    (home / "config.toml").write_text("[privacy]\nretention_days = 365\n[calls]\nmin_call_s = 0\n")
    return {"good": good, "crashed": crashed, "outside": outside, "today": today}


def clear(proc, *, ok: tuple[int, ...] = (0,)) -> str:
    """No traceback anywhere; a failing command says why in one `trayagent:` line."""
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback" not in stream and "Logging error" not in stream, proc
    if proc.returncode not in ok:
        assert proc.returncode not in (0, None), proc
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("trayagent:") or last.startswith("usage:"), proc
    return proc.stdout


def listed(day: datetime) -> list[str]:
    return [c["id"] for c in json.loads(clear(cli("calls", "--json", "--date", f"{day:%Y-%m-%d}")))]


def test_every_command_reads_a_damaged_folder_clearly(damaged, tmp_path):
    good, day = damaged["good"], damaged["today"]
    assert listed(day) == [*good, damaged["crashed"]]  # each once, despite the damage; the crashed call from its rows
    clear(cli("calls"))
    clear(cli("calls", "--date", "9999-12-31"))
    assert (Path(clear(cli("graph", "--today", "--date", f"{day:%Y-%m-%d}", "--out", str(tmp_path / "day.png"))))
            and (tmp_path / "day.png").exists())
    for call_id in good:
        clear(cli("graph", call_id, "--out", str(tmp_path / f"{call_id}.png")))
    clear(cli("graph", damaged["crashed"], "--out", str(tmp_path / "crashed.png")), ok=(0, 1))
    clear(cli("graph", "../../etc/passwd", "--out", str(tmp_path / "x.png")), ok=(1,))
    for args in (["status"], ["status", "--json"], ["call", "start"], ["call", "toggle"], ["pause"], ["resume"],
                 ["stop"]):
        clear(cli(*args), ok=(0, 1, 3))  # not running: said so
    clear(cli("doctor", "--no-camera"), ok=(0, 1))
    clear(cli("doctor", "--no-camera", "--json"), ok=(0, 1))
    clear(cli("calibrate", "--show"), ok=(0, 1))
    clear(cli("autostart", "status"), ok=(0, 1))
    assert damaged["outside"].read_text() == "someone else's file\n"


def test_the_daemon_starts_on_a_damaged_folder_and_loses_nothing(damaged, home, tmp_path):
    good, day = damaged["good"], damaged["today"]
    camera = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    with running_daemon("--camera", str(camera)):
        clear(cli("status"))
        call_id = json.loads(clear(cli("call", "start", "--json")))["call_id"]
        assert wait_for(lambda: call_rows(home, call_id) >= 2, timeout=60)
        clear(cli("call", "end"))
        clear(cli("stop"))
    ids = listed(day)
    # the new call sorts by its real start, which may come before the fixture's 09:00
    assert [i for i in ids if i in good] == good and damaged["crashed"] in ids  # the crashed call from its rows
    assert len(ids) == len(set(ids)) == 5  # and the call just made; nothing listed twice
    lines = (home / "calls.csv").read_text().splitlines()
    assert lines[0].startswith("id,start,end") and len(lines) == len(set(lines))  # the index was rebuilt
    assert not (home / "calls" / "20200101-090000.csv").exists()  # retention took the old unreadable one
    assert damaged["outside"].read_text() == "someone else's file\n"


def test_other_commands_with_a_damaged_folder(damaged, tmp_path):
    import cv2

    clip = videos.record(tmp_path / "clip.avi", [("face", videos.astronaut())], frames_each=6).path
    clear(cli("analyze", str(clip), "--out", str(tmp_path / "out"), "--json"))
    pictures = tmp_path / "pictures"
    for emotion in ("happy", "neutral"):
        (pictures / emotion).mkdir(parents=True)
        cv2.imwrite(str(pictures / emotion / "a.png"), videos.astronaut())
    clear(cli("evaluate", str(pictures)), ok=(0, 1))
    clear(cli("bench", "--no-daemon", "--frames", "3"), ok=(0, 1))
    assert clear(cli("delete-data", "--yes")).strip() == "deleted 6 calls"  # 3 good, 3 crashed
    assert listed(damaged["today"]) == []
    assert damaged["outside"].read_text() == "someone else's file\n"
