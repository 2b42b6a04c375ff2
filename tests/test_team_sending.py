"""Sending rows from PCs to a real PostgreSQL: one row per call, nothing before the agent joins,
nothing lost or doubled when the server is down, restarted, or cut off in the middle of an insert."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import cli, wait_for
from tests.team import CuttingProxy, admin_rows, agent_dsn, needs_pg, record_call, team_server, write_policy
from trayagent import config
from trayagent.storage.calls import CallStore
from trayagent.team import db, dsn, membership
from trayagent.team.local import TeamFiles
from trayagent.team.sender import Sender

START = datetime(2026, 12, 1, 14, 3, 20).astimezone()
CALM, STRESSED = ["happy"] * 6 + ["neutral"] * 14, ["stress"] * 80


@pytest.fixture(scope="module")
def cluster():
    with team_server() as c:
        yield c


class Pc:
    """One agent's PC: its data folder, its team files, its sender (a daemon's, restartable)."""

    def __init__(self, folder: Path, policy: Path) -> None:
        self.folder, self.policy = folder, policy
        self.files = TeamFiles(folder / "team")
        self.restart()

    def restart(self) -> None:
        self.sender = Sender(lambda: config.load(policy=self.policy, user=self.folder / "none.toml"),
                             CallStore(self.folder), self.files)

    def call(self, start: datetime, emotions: list[str | None]) -> str:
        return record_call(self.folder, start, emotions)


def pc(tmp_path: Path, name: str, dsn: str, team: str = "상담1팀") -> Pc:
    (tmp_path / name).mkdir()
    write_policy(tmp_path / name / "policy.toml", dsn, team)
    return Pc(tmp_path / name, tmp_path / name / "policy.toml")


def rows(cluster, team: str) -> list[list]:
    return admin_rows(cluster, "SELECT team, duration_s, calm_s, elevated_s, alert_s, unmeasured_s, end_band, "
                               "calibrated, start_slot FROM trayagent.calls WHERE team = :t ORDER BY start_slot", t=team)


@pytest.mark.slow
@needs_pg
def test_six_agents_calls_arrive_one_row_each(cluster, tmp_path):
    pcs = [pc(tmp_path, f"pc{i}", agent_dsn(cluster), "여섯팀") for i in range(6)]
    for i, p in enumerate(pcs):
        membership.join(p.files, now=START - timedelta(hours=1))
        p.call(START + timedelta(minutes=i), STRESSED if i % 2 else CALM)
        assert p.sender.step() > 0
        assert p.files.pending() == [] and len(p.files.sent_rows()) == 1
        p.sender.step()  # nothing new: nothing sent again
    got = rows(cluster, "여섯팀")
    assert len(got) == 6
    assert len({p for (p,) in admin_rows(cluster, "SELECT pseudonym FROM trayagent.calls WHERE team = '여섯팀'")}) == 6
    for _team, duration, calm, elevated, alert, unmeasured, _end, _calibrated, slot in got:
        assert duration in (len(CALM) // 2, len(STRESSED) // 2) and calm + elevated + alert + unmeasured == duration
        assert slot.minute % 15 == 0 and slot.second == 0
    ends = sorted(r[6] for r in got)
    assert ends == ["alert"] * 3 + ["calm"] * 3


@pytest.mark.slow
@needs_pg
def test_policy_on_but_not_joined_sends_nothing(cluster, tmp_path):
    p = pc(tmp_path, "pc", agent_dsn(cluster), "안가입팀")
    p.call(START, CALM)
    p.sender.step()
    assert not (p.files.dir / "outbox").exists() and p.files.sent_rows() == []
    assert rows(cluster, "안가입팀") == []
    membership.join(p.files)  # joining later does not send the calls from before
    p.sender.step()
    assert rows(cluster, "안가입팀") == []


@pytest.mark.slow
@needs_pg
def test_a_call_not_measured_is_sent_as_unmeasured_never_calm(cluster, tmp_path):
    p = pc(tmp_path, "pc", agent_dsn(cluster), "측정팀")
    membership.join(p.files, now=START - timedelta(hours=1))
    p.call(START, [None] * 20)
    p.sender.step()
    ((_team, duration, calm, elevated, alert, unmeasured, end, _cal, _slot),) = rows(cluster, "측정팀")
    assert (calm, elevated, alert, unmeasured, end) == (0, 0, 0, duration, None)


@pytest.mark.slow
@needs_pg
def test_server_down_during_three_calls_and_a_restart_all_arrive_once(cluster, tmp_path):
    p = pc(tmp_path, "pc", agent_dsn(cluster), "중단팀")
    membership.join(p.files, now=START - timedelta(hours=1))
    cluster.stop()
    try:
        for i in range(3):
            p.call(START + timedelta(minutes=20 * i), CALM)
            wait = p.sender.step()
            assert wait >= 5
        assert len(p.files.pending()) == 3
        assert "cannot be reached" in p.files.last()["problem"]
        p.restart()  # the daemon restarts while the server is still down
        p.sender.step()
        assert len(p.files.pending()) == 3
    finally:
        cluster.start()
    p.sender.step()
    assert len(rows(cluster, "중단팀")) == 3 and p.files.pending() == []
    assert p.files.last()["problem"] is None
    p.restart()
    p.sender.step()
    assert len(rows(cluster, "중단팀")) == 3


@pytest.mark.slow
@needs_pg
@pytest.mark.parametrize("cut", ["request", "reply"])
def test_a_connection_lost_in_the_middle_of_an_insert_never_doubles_a_row(cluster, tmp_path, cut):
    proxy = CuttingProxy(cluster.port)
    try:
        p = pc(tmp_path, "pc", cluster.dsn("trayagent_agent", "agent-pw").replace(str(cluster.port), str(proxy.port)),
               f"끊김팀-{cut}")
        membership.join(p.files, now=START - timedelta(hours=1))
        p.call(START, STRESSED)
        proxy.cut = cut
        p.sender.step()
        assert proxy.cuts == 1 and len(p.files.pending()) == 1, "the row must stay queued: no commit was seen"
        assert len(rows(cluster, f"끊김팀-{cut}")) == (1 if cut == "reply" else 0)
        p.sender.step()
        assert len(rows(cluster, f"끊김팀-{cut}")) == 1 and p.files.pending() == []
    finally:
        proxy.close()


@pytest.mark.slow
@needs_pg
def test_a_wrong_password_is_one_line_and_the_row_waits(cluster, tmp_path):
    p = pc(tmp_path, "pc", cluster.dsn("trayagent_agent", "wrong"), "암호팀")
    membership.join(p.files, now=START - timedelta(hours=1))
    p.call(START, CALM)
    first = p.sender.step()
    assert p.sender.step() == 2 * first  # backing off
    problem = p.files.last()["problem"]
    assert "refused the password" in problem and "wrong" not in problem and "\n" not in problem
    assert len(p.files.pending()) == 1


@pytest.mark.slow
@needs_pg
def test_leave_stops_at_once_and_forget_takes_the_agent_out_of_every_view(cluster, tmp_path):
    pcs = [pc(tmp_path, f"pc{i}", agent_dsn(cluster), "떠남팀") for i in range(5)]
    for i, p in enumerate(pcs):
        membership.join(p.files, now=START - timedelta(hours=1))
        p.call(START + timedelta(minutes=i), STRESSED)
        p.sender.step()
    report = cluster.dsn("trayagent_report", "report-pw")
    from trayagent.team import db, dsn

    def agents() -> list:
        with db.connect(dsn.parse(report)) as con:
            return con.run("SELECT agents FROM trayagent.team_week WHERE team = '떠남팀'")

    assert agents() == [[5]]
    leaving = pcs[0]
    leaving.call(START + timedelta(minutes=30), CALM)
    membership.leave(leaving.files)
    leaving.sender.step()
    assert len(rows(cluster, "떠남팀")) == 5, "a call queued before leaving was sent after it"
    assert membership.withdraw(leaving.files, dsn.parse(agent_dsn(cluster))) >= 1
    assert agents() == []  # four agents left: below the minimum group, so the team is absent
    assert not leaving.files.dir.exists() or not any(leaving.files.dir.iterdir())


@pytest.mark.slow
@needs_pg
def test_doctor_says_in_one_line_whether_sending_works(cluster, home):
    write_policy(home / "policy.toml", cluster.dsn("trayagent_agent", "wrong"), "진단팀")

    def team_line() -> str:
        r = cli("doctor", "--no-camera")
        [line] = [x for x in r.stdout.splitlines() if "team summaries:" in x]
        return line

    assert "you have not joined" in team_line()
    assert cli("team", "join", "--yes").returncode == 0
    line = team_line()
    assert line.startswith("[FIX]") and "refused the password" in line and "wrong" not in line
    write_policy(home / "policy.toml", agent_dsn(cluster), "진단팀")
    assert team_line().startswith("[ok ] team summaries: sharing with 진단팀")
    write_policy(home / "policy.toml", agent_dsn(cluster), "진단팀", enabled=False)
    assert "team summaries" not in cli("doctor", "--no-camera").stdout


@pytest.mark.slow
@needs_pg
def test_the_server_killed_in_the_middle_of_an_insert_never_doubles_a_row(cluster, tmp_path):
    p = pc(tmp_path, "pc", agent_dsn(cluster), "강제종료팀")
    membership.join(p.files, now=START - timedelta(hours=1))
    p.call(START, STRESSED)
    admin = db.connect(dsn.parse(cluster.dsn()))
    con = admin.__enter__()
    con.run("BEGIN")
    con.run("LOCK TABLE trayagent.calls IN ACCESS EXCLUSIVE MODE")  # the insert will wait here
    sending = threading.Thread(target=p.sender.step)
    sending.start()
    try:
        # (asked on a connection of its own: inside the locking transaction the view would stand still)
        assert wait_for(lambda: admin_rows(cluster, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                    "'Lock' AND query LIKE 'INSERT INTO trayagent.calls%'") == [[1]],
                        timeout=8), "the insert never reached the server"
        cluster.stop("immediate")  # as a crash: every backend killed, the insert with it
        sending.join(30)
    finally:
        cluster.start()
        with contextlib.suppress(Exception):
            admin.__exit__(None, None, None)
    assert len(p.files.pending()) == 1 and p.files.last()["problem"]
    p.sender.step()
    p.sender.step()
    assert len(rows(cluster, "강제종료팀")) == 1 and p.files.pending() == []


def test_the_tray_item_says_when_sending_fails(tmp_path):
    from trayagent.team import menu
    from trayagent.team.disclosure import title

    files = TeamFiles(tmp_path / "team")
    assert menu.title(files) == title()
    membership.join(files)
    files.note("The team database 127.0.0.1 cannot be reached")
    assert menu.title(files) == title() + " (not sent yet: see `trayagent doctor`)"
    files.note(None)
    assert menu.title(files) == title()
