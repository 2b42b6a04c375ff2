"""Issue 12, 23-25: odd input to the commands gives one clear line, never a traceback; times are the
machine's; nothing is written outside the data folder."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from tests import videos
from tests.helpers import cli
from tests.recorded import CALM, record_call
from trayagent.storage.calls import CallStore

pytestmark = pytest.mark.slow  # every case runs trayagent as a process of its own

LONG = "x" * 300


def _one_line_error(r, *needles: str) -> None:
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trayagent: error:"), r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("args", [["graph", LONG], ["analyze", LONG + ".avi"], ["evaluate", LONG],
                                  ["graph", "--today", "--out", LONG + ".png"]],
                         ids=["graph", "analyze", "evaluate", "graph-out"])
def test_a_300_character_name_is_one_line(args):
    _one_line_error(cli(*args), "xxxxxxxx")


def test_analyze_out_naming_a_file(tmp_path):
    video = videos.record(tmp_path / "a.avi", [("face", videos.astronaut())], frames_each=2).path
    (tmp_path / "taken").write_text("mine")
    _one_line_error(cli("analyze", str(video), "--out", str(tmp_path / "taken")), "is a file; name a folder")
    assert (tmp_path / "taken").read_text() == "mine"


def test_graph_out_an_unknown_format_a_folder_or_no_suffix(tmp_path):
    _one_line_error(cli("graph", "--today", "--out", str(tmp_path / "x.unknownext")),
                    "cannot write .unknownext files; use one of", ".png", ".pdf")
    folder = tmp_path / "graphs"
    folder.mkdir()
    r = cli("graph", "--today", "--out", str(folder))
    [written] = folder.iterdir()
    assert r.returncode == 0 and written.suffix == ".png" and str(written) in r.stdout
    r = cli("graph", "--today", "--out", str(tmp_path / "report"))
    assert r.returncode == 0 and (tmp_path / "report.png").is_file() and str(tmp_path / "report.png") in r.stdout


def test_a_call_across_midnight_is_listed_under_both_days_in_local_time(home):
    """Recorded in Seoul from 23:50 to 00:20; listed where the machine now is (UTC), under each day."""
    seoul = timezone(timedelta(hours=9))
    start = datetime(2026, 3, 9, 23, 50, tzinfo=seoul)
    store = CallStore(home)
    summary = record_call(store, start, [("neutral", 3600)])  # 30 minutes at 2 a second
    assert summary.end.astimezone(seoul).date().day == 10
    env = {**os.environ, "TZ": "Asia/Seoul"}
    for day in ("2026-03-09", "2026-03-10"):
        [row] = json.loads(cli("calls", "--date", day, "--json", env=env).stdout)
        assert row["id"] == summary.id
    text = cli("calls", "--date", "2026-03-10", env=env).stdout
    assert summary.id in text and "03-09 " in text  # started the day before, and says so
    env = {**os.environ, "TZ": "UTC"}  # the same call seen from a machine in UTC: 14:50 to 15:20 on the 9th
    [row] = json.loads(cli("calls", "--date", "2026-03-09", "--json", env=env).stdout)
    assert row["start"].startswith("2026-03-09T14:50") and row["start"].endswith("+00:00")
    assert json.loads(cli("calls", "--date", "2026-03-10", "--json", env=env).stdout) == []


def test_nothing_is_written_outside_the_data_folder(tmp_path, home):
    """Issue 12, 25: `trayagent calls` (through matplotlib's font cache) wrote ~/.cache/matplotlib."""
    record_call(CallStore(home), datetime.now().astimezone() - timedelta(minutes=5), CALM)
    user = tmp_path / "user-home"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR")}
    env.update(HOME=str(user), USERPROFILE=str(user))
    for args in (["calls"], ["calls", "--summary"], ["graph", "--today", "--out", str(home / "g.png")],
                 ["analyze", str(home / "none.avi")], ["evaluate", str(home / "none")]):
        r = cli(*args, env=env)
        assert "Traceback" not in r.stderr, r.stderr
    assert list(user.rglob("*")) == []
    assert (home / "cache" / "matplotlib").is_dir()
