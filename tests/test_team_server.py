"""The server side on a real PostgreSQL: `team setup` makes the schema, roles and views once and
again; the agent role may only insert; the report role sees only the views; the views leave out
small groups and withdrawn agents; the checks refuse what a client should never send."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests import pg
from tests.team import admin_rows, agent_dsn, needs_pg, report_dsn, team_server
from trayagent.team import db, dsn, setup
from trayagent.team.row import TeamRow, pseudonym
from trayagent.team.sender import send_row

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cluster():
    with team_server() as c:
        yield c


def row(team_name: str, agent: int, start: datetime = MONDAY_10, **changes: object) -> TeamRow:
    fields: dict = dict(call_id=str(uuid.uuid4()), team=team_name, pseudonym=pseudonym(bytes([agent]) * 32, "2026-W49"),
                        start_slot=start, duration_s=100, calm_s=50, elevated_s=20, alert_s=10, unmeasured_s=20,
                        end_band="alert", calibrated=True)
    fields.update(changes)
    return TeamRow(**fields)


def send(cluster: pg.Cluster, *rows: TeamRow) -> None:
    with db.connect(dsn.parse(agent_dsn(cluster))) as con:
        for r in rows:
            send_row(con, r)


def view(cluster: pg.Cluster, name: str, team: str) -> list[list]:
    with db.connect(dsn.parse(report_dsn(cluster))) as con:
        return con.run(f"SELECT * FROM trayagent.{name} WHERE team = :t", t=team)


@pytest.mark.slow
@needs_pg
def test_setup_is_versioned_and_runs_again_without_changing_anything(cluster):
    again = setup.run(dsn.parse(cluster.dsn()))
    assert again.applied == [] and again.passwords == {} and again.version == len(setup.migrations())
    versions = admin_rows(cluster, "SELECT version FROM trayagent.migrations ORDER BY version")
    assert [v for (v,) in versions] == [v for v, _name, _sql in setup.migrations()]
    # the roles' passwords were left as they were
    send(cluster, row("재실행팀", 1))


@pytest.mark.slow
@needs_pg
def test_the_agent_role_may_insert_and_read_nothing(cluster):
    send(cluster, row("권한팀", 1))
    for table in ("calls", "withdrawals", "settings", "migrations", "kept_calls", "team_hour", "team_week",
                  "team_hour_between('2026-01-01', '2026-12-31')", "team_week_between('2026-01-01', '2026-12-31')"):
        with db.connect(dsn.parse(agent_dsn(cluster))) as con, pytest.raises(db.DatabaseProblem) as e:
            con.run(f"SELECT * FROM trayagent.{table}")
        assert e.value.code == "42501", table
        assert "permission denied" in str(e.value)
    with db.connect(dsn.parse(agent_dsn(cluster))) as con, pytest.raises(db.DatabaseProblem) as e:
        con.run("DELETE FROM trayagent.calls")
    assert e.value.code == "42501"


@pytest.mark.slow
@needs_pg
def test_the_report_role_reads_the_views_only(cluster):
    for table in ("calls", "calls_default", "withdrawals", "settings", "kept_calls"):
        with db.connect(dsn.parse(report_dsn(cluster))) as con, pytest.raises(db.DatabaseProblem) as e:
            con.run(f"SELECT * FROM trayagent.{table}")
        assert e.value.code == "42501", table
    with db.connect(dsn.parse(report_dsn(cluster))) as con, pytest.raises(db.DatabaseProblem):
        con.run("INSERT INTO trayagent.withdrawals VALUES (repeat('a', 64))")
    view(cluster, "team_hour", "nobody")  # allowed, and empty


@pytest.mark.slow
@needs_pg
def test_a_team_of_four_is_absent_from_every_view_and_a_team_of_five_present(cluster):
    send(cluster, *[row("넷팀", a) for a in range(4)], *[row("다섯팀", a) for a in range(5)])
    for name in ("team_hour", "team_week", "team_hour_between('2026-11-30', '2026-11-30')",
                 "team_week_between('2026-12-01', '2026-12-01')"):
        assert view(cluster, name, "넷팀") == []
        (cell,) = view(cluster, name, "다섯팀")
        assert cell[3:5] == [5, 5]  # agents, calls
    assert view(cluster, "team_hour_between('2026-12-01', '2026-12-31')", "다섯팀") == []  # another range
    # more calls from the same four agents do not make them a group of five
    send(cluster, *[row("넷팀", a) for a in range(4)])
    assert view(cluster, "team_hour", "넷팀") == []


@pytest.mark.slow
@needs_pg
def test_the_views_add_up_the_calls(cluster):
    send(cluster, *[row("합계팀", a, end_band="alert" if a < 2 else "calm") for a in range(6)])
    (hour,) = view(cluster, "team_hour", "합계팀")
    columns = ["team", "day", "hour", "agents", "calls", "call_hours", "calm_share", "elevated_share", "alert_share",
               "unmeasured_share", "alert_end_calls"]
    cell = dict(zip(columns, hour))
    assert cell["agents"] == 6 and cell["calls"] == 6 and cell["alert_end_calls"] == 2
    assert float(cell["call_hours"]) == pytest.approx(600 / 3600, abs=1e-4)
    assert [float(cell[k]) for k in columns[6:10]] == [0.5, 0.2, 0.1, 0.2]


@pytest.mark.slow
@needs_pg
def test_a_withdrawn_agent_leaves_every_view(cluster):
    agents = range(50, 56)  # no other test's: a withdrawal holds in every team
    send(cluster, *[row("탈퇴팀", a) for a in agents])
    assert view(cluster, "team_week", "탈퇴팀")[0][3] == 6
    with db.connect(dsn.parse(agent_dsn(cluster))) as con:
        con.run("INSERT INTO trayagent.withdrawals (pseudonym) VALUES (:p)", p=row("탈퇴팀", 50).pseudonym)
    assert view(cluster, "team_week", "탈퇴팀")[0][3] == 5
    with db.connect(dsn.parse(agent_dsn(cluster))) as con:
        con.run("INSERT INTO trayagent.withdrawals (pseudonym) VALUES (:p)", p=row("탈퇴팀", 51).pseudonym)
    assert view(cluster, "team_week", "탈퇴팀") == [] and view(cluster, "team_hour", "탈퇴팀") == []


@pytest.mark.slow
@needs_pg
@pytest.mark.parametrize("changes", [
    {"duration_s": 0, "calm_s": 0, "elevated_s": 0, "alert_s": 0, "unmeasured_s": 0},
    {"duration_s": 90000, "calm_s": 90000, "elevated_s": 0, "alert_s": 0, "unmeasured_s": 0},
    {"calm_s": -5, "unmeasured_s": 75},
    {"calm_s": 60},  # the parts no longer add up to the length
    {"end_band": "panic"},
    {"end_band": None},  # band seconds, yet not measured
    {"pseudonym": "김민수"},
    {"team": ""},
    {"team": "x" * 65},
    {"start_slot": MONDAY_10 + timedelta(minutes=7)},  # not a 15-minute slot
])
def test_an_out_of_range_row_is_refused_for_good(cluster, changes):
    with pytest.raises(db.DatabaseProblem) as e:
        send(cluster, row("검사팀", 200, **changes))
    assert e.value.permanent, e.value.code
    assert admin_rows(cluster, "SELECT count(*) FROM trayagent.calls WHERE pseudonym = :p",
                      p=row("", 200).pseudonym) == [[0]]


@pytest.mark.slow
@needs_pg
def test_one_pc_cannot_flood_a_day(cluster):
    admin_rows(cluster, "UPDATE trayagent.settings SET daily_cap = 3")
    try:
        send(cluster, *[row("홍수팀", 9, start=MONDAY_10 + timedelta(minutes=15 * i)) for i in range(5)])
        send(cluster, row("홍수팀", 9, start=MONDAY_10 + timedelta(days=1)))
    finally:
        admin_rows(cluster, "UPDATE trayagent.settings SET daily_cap = 200")
    counts = admin_rows(cluster, "SELECT start_slot::date, count(*) FROM trayagent.calls WHERE team = '홍수팀' "
                                 "GROUP BY 1 ORDER BY 1")
    assert [n for _day, n in counts] == [3, 1]


@pytest.mark.slow
@needs_pg
def test_a_korean_team_name_round_trips(cluster):
    send(cluster, *[row("상담1팀 야간", a) for a in range(100, 105)])
    assert view(cluster, "team_week", "상담1팀 야간")[0][0] == "상담1팀 야간"
    assert admin_rows(cluster, "SELECT DISTINCT team FROM trayagent.calls WHERE team LIKE '상담1팀%'") == [["상담1팀 야간"]]


@pytest.mark.slow
@needs_pg
def test_min_group_below_five_is_refused():
    with pytest.raises(db.DatabaseProblem):
        setup.run(dsn.parse("postgresql://nobody@127.0.0.1:1/x"), min_group=4)
