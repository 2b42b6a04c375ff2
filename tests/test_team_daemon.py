"""The team view in the running daemon, as an agent meets it: with IT's policy off (or only the
user's own file asking for it) the daemon opens no network socket at all, traced by strace; with it
on, nothing leaves before the agent joins, and after `team join` each call arrives as one row."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests import videos
from tests.helpers import cli, running_daemon, wait_for
from tests.team import admin_rows, agent_dsn, needs_pg, team_server, write_policy

pytestmark = pytest.mark.slow  # every case runs real processes (the daemon, PostgreSQL, a browser or X)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return videos.record(tmp_path_factory.mktemp("cam") / "cam.avi", [("face", videos.astronaut()), (None, None)],
                         frames_each=15).path


def one_call(home, seconds_of_samples: int = 7) -> None:
    """A call long enough to be kept (calls.min_call_s): ended once its record holds that many seconds."""
    before = set((home / "calls").glob("*.csv")) if (home / "calls").exists() else set()
    assert cli("call", "start").returncode == 0

    def long_enough() -> bool:
        new = set((home / "calls").glob("*.csv")) - before
        return any(len(p.read_bytes().splitlines()) > 2 * seconds_of_samples for p in new)

    assert wait_for(long_enough, timeout=60)
    assert cli("call", "end").returncode == 0


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_with_the_policy_off_the_daemon_opens_no_network_socket(home, tmp_path, video):
    write_policy(home / "policy.toml", "postgresql://trayagent_agent:pw@127.0.0.1:5432/x", enabled=False)
    # the user's own file cannot turn it on: enabled and dsn count only in IT's policy
    (home / "config.toml").write_text('[team]\nenabled = true\ndsn = "postgresql://u:p@127.0.0.1:5432/x"\n'
                                      'name = "상담1팀"\n', encoding="utf-8")
    assert cli("team", "join", "--yes").returncode != 0
    trace = tmp_path / "trace.txt"
    with running_daemon("--camera", str(video), wrap=["strace", "-f", "-qq", "-o", str(trace),
                                                      "-e", "trace=socket,connect"]):
        one_call(home)
        assert wait_for(lambda: (home / "calls.csv").exists(), timeout=30)
    text = trace.read_text()
    families = set(re.findall(r"\bsocket\((AF_\w+)", text))
    assert families and families <= {"AF_UNIX"}, f"network sockets opened: {families - {'AF_UNIX'}}"
    assert not (home / "team" / "outbox").exists()


@pytest.fixture(scope="module")
def cluster():
    with team_server() as c:
        yield c


@needs_pg
def test_nothing_leaves_before_joining_then_each_call_is_one_row(home, cluster, video):
    write_policy(home / "policy.toml", agent_dsn(cluster), "상담3팀 (야간)")

    def rows() -> list:
        return admin_rows(cluster, "SELECT duration_s, calm_s + elevated_s + alert_s + unmeasured_s, end_band "
                                   "FROM trayagent.calls WHERE team = '상담3팀 (야간)'")

    status = json.loads(cli("team", "status", "--json").stdout)
    assert status["enabled"] and not status["joined"]
    with running_daemon("--camera", str(video)):
        one_call(home)
        assert wait_for(lambda: (home / "calls.csv").exists(), timeout=30)
        assert not wait_for(rows, timeout=6), "a row was sent before the agent joined"
        assert cli("team", "join", "--yes").returncode == 0
        one_call(home)
        assert wait_for(lambda: len(rows()) == 1, timeout=30)
        (duration, parts, _end) = rows()[0]
        assert duration >= 5 and parts == duration
        status = json.loads(cli("team", "status", "--json").stdout)
        assert status["joined"] and status["queued"] == [] and len(status["sent"]) == 1
        assert status["sent"][0]["team"] == "상담3팀 (야간)"
        assert set(status["sent"][0]) == {"status", "call_id", "team", "pseudonym", "start_slot", "duration_s",
                                          "calm_s", "elevated_s", "alert_s", "unmeasured_s", "end_band", "calibrated"}
        assert cli("team", "leave", "--yes").returncode == 0
        one_call(home)
        assert not wait_for(lambda: len(rows()) > 1, timeout=6), "a row was sent after leaving"
    text = cli("team", "status").stdout
    assert "Team summaries: not shared" in text and "1 summary sent:" in text and "(15-min slot)" in text
