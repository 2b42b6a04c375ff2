"""The team view at a centre's scale, on a real PostgreSQL (a throw-away cluster, as the tests make):
prints numbers, asserts nothing. Run from the repository root:

    python -m benchmarks.team_scale [--agents 2000] [--calls 60] [--days 90] [--senders 200]

1. `team setup`, then agents x calls a day x days rows loaded in one INSERT ... SELECT (a backfill:
   the daily-cap trigger off and the two secondary indexes built after it; agents' own inserts
   below go through both);
2. inserts a second from `--senders` concurrent PCs, each on its own connection as trayagent_agent,
   exactly as the sender sends (INSERT ... ON CONFLICT DO NOTHING, the trigger on);
3. the month report's queries through trayagent_report (team_hour for the last 30 days, team_week
   for the last 5 weeks), first run and again;
4. the calls table's and its indexes' size on disk.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import pg
from trayagent.team import db, dsn, setup
from trayagent.team.row import TeamRow, pseudonym, slot
from trayagent.team.sender import send_row

AGENT_PW, REPORT_PW = "bench-agent", "bench-report"

LOAD = """
WITH agent_week AS (  -- one pseudonym per agent and ISO week, as each PC makes them
    SELECT a, w, encode(sha256(convert_to(format('agent-%s-%s', a, w), 'UTF8')), 'hex') AS pseudonym
    FROM generate_series(0, :agents - 1) a,
         (SELECT DISTINCT to_char(d, 'IYYY-IW') AS w
          FROM generate_series(:first::timestamptz, :last::timestamptz, interval '1 day') d) weeks)
INSERT INTO trayagent.calls
SELECT gen_random_uuid(), format('상담%s팀', lpad((aw.a % :teams)::text, 3, '0')), aw.pseudonym,
       to_timestamp(floor(extract(epoch FROM d + make_interval(mins => 8 * c + (aw.a % 7))) / 900) * 900),
       dur, calm, elev, alert, dur - calm - elev - alert,
       CASE WHEN alert > dur / 5 THEN 'alert' WHEN elev > dur / 4 THEN 'elevated' ELSE 'calm' END,
       (aw.a % 3) <> 0
FROM generate_series(:first::timestamptz, :last::timestamptz, interval '1 day') d
     JOIN agent_week aw ON aw.w = to_char(d, 'IYYY-IW'),
     generate_series(0, :calls - 1) c,
     LATERAL (SELECT 60 + ((aw.a * 7 + c * 13) % 540) AS dur) l1,
     LATERAL (SELECT (dur * 0.55)::int AS calm, (dur * 0.2)::int AS elev,
                     (dur * (((aw.a + c) % 10) / 50.0))::int AS alert) l2
"""


def load(cluster: pg.Cluster, agents: int, calls: int, days: int, teams: int) -> tuple[int, float]:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = end - timedelta(days=days - 1)
    admin = dsn.parse(cluster.dsn(connect_timeout="3600"))
    with db.connect(admin) as con:
        con.run("SELECT trayagent.add_partitions(:back, 1)", back=days // 28 + 2)
        con.run("ALTER TABLE trayagent.calls DISABLE TRIGGER keep_under_cap")
        con.run("DROP INDEX trayagent.calls_pseudonym_start, trayagent.calls_team_start")
        t = time.perf_counter()
        con.run(LOAD, teams=teams, agents=agents, calls=calls, first=first + timedelta(hours=9), last=end + timedelta(hours=9))
        con.run("CREATE INDEX calls_pseudonym_start ON trayagent.calls (pseudonym, start_slot)")
        con.run("CREATE INDEX calls_team_start ON trayagent.calls (team, start_slot)")
        took = time.perf_counter() - t
        con.run("ALTER TABLE trayagent.calls ENABLE TRIGGER keep_under_cap")
        con.run("VACUUM ANALYZE trayagent.calls")
        n = con.run("SELECT count(*) FROM trayagent.calls")[0][0]
    return int(n), took


def senders(cluster: pg.Cluster, n: int, rows_each: int) -> tuple[int, float, list[float]]:
    target = dsn.parse(cluster.dsn(setup.AGENT_ROLE, AGENT_PW))
    latencies: list[float] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(n + 1)
    now = datetime.now(UTC)

    def pc(i: int) -> None:
        key = uuid.uuid4().bytes * 2
        with db.connect(target) as con:
            start_gate.wait()
            for k in range(rows_each):
                row = TeamRow(str(uuid.uuid4()), "벤치팀", pseudonym(key, "2026-W49"), slot(now - timedelta(minutes=15 * k)),
                              300, 150, 60, 30, 60, "alert", True)
                t = time.perf_counter()
                send_row(con, row)
                with lock:
                    latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=pc, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    start_gate.wait()
    t = time.perf_counter()
    for th in threads:
        th.join()
    return n * rows_each, time.perf_counter() - t, latencies


def report_queries(cluster: pg.Cluster) -> tuple[dict[str, list[float]], int]:
    """The month report's two queries as `team report` runs them (the range functions), first run and
    again; and, for comparison, a BI tool filtering the whole team_hour view."""
    target = dsn.parse(cluster.dsn(setup.REPORT_ROLE, REPORT_PW, connect_timeout="600"))
    today = datetime.now(UTC).date()
    queries = {
        "team_hour_between, last 30 days": ("SELECT * FROM trayagent.team_hour_between(:a, :b)", 30),
        "team_week_between, last 5 weeks": ("SELECT * FROM trayagent.team_week_between(:a, :b)", 35),
        "team_hour view filtered to 30 days (a BI tool)": (
            "SELECT * FROM trayagent.team_hour WHERE day BETWEEN :a AND :b", 30),
    }
    times: dict[str, list[float]] = {name: [] for name in queries}
    cells = 0
    with db.connect(target) as con:
        for name, (sql, days) in queries.items():
            for _ in range(2):
                t = time.perf_counter()
                rows = con.run(sql, a=today - timedelta(days=days), b=today)
                times[name].append(time.perf_counter() - t)
            cells = cells or len(rows)
    return times, cells


def sizes(cluster: pg.Cluster) -> tuple[int, int]:
    with db.connect(dsn.parse(cluster.dsn(connect_timeout="600"))) as con:
        table, index = con.run(
            "SELECT sum(pg_table_size(c.oid)), sum(pg_indexes_size(c.oid)) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'trayagent.calls'::regclass")[0]
    return int(table), int(index)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument("--calls", type=int, default=60, help="calls per agent and day")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--teams", type=int, default=100)
    ap.add_argument("--senders", type=int, default=200)
    ap.add_argument("--rows-each", type=int, default=20, help="rows each sender inserts")
    args = ap.parse_args()
    cluster = pg.create(options=f"-c max_connections={args.senders + 20} -c shared_buffers=256MB "
                                "-c max_wal_size=4GB -c synchronous_commit=on")
    try:
        setup.run(dsn.parse(cluster.dsn()), AGENT_PW, REPORT_PW, time_zone="Asia/Seoul")
        print(f"PostgreSQL cluster on 127.0.0.1:{cluster.port} (fsync off: a throw-away cluster; see README)")
        n, took = load(cluster, args.agents, args.calls, args.days, args.teams)
        print(f"loaded {n:,} rows ({args.agents} agents x {args.calls} calls/day x {args.days} days) in {took:.0f} s "
              f"({n / took:,.0f} rows/s, one INSERT ... SELECT)")
        table, index = sizes(cluster)
        print(f"calls table {table / 2**20:,.0f} MiB, indexes {index / 2**20:,.0f} MiB "
              f"({(table + index) / n:.0f} bytes a row in all)")
        sent, took, lat = senders(cluster, args.senders, args.rows_each)
        lat.sort()
        print(f"{args.senders} concurrent senders (pg8000, one connection each, the cap trigger on): {sent:,} rows "
              f"in {took:.1f} s = {sent / took:,.0f} inserts/s; per insert median {statistics.median(lat) * 1000:.1f} ms, "
              f"p95 {lat[int(0.95 * len(lat))] * 1000:.1f} ms")
        times, cells = report_queries(cluster)
        for name, (cold, warm) in times.items():
            print(f"report query {name}: {cold * 1000:,.0f} ms first, {warm * 1000:,.0f} ms again")
        print(f"({cells:,} team x day x hour cells in the month)")
    finally:
        pg.remove(cluster)


if __name__ == "__main__":
    main()
