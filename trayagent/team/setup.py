"""`trayagent team setup`: the server side, idempotent and versioned. Roles first (the migrations
grant to them), then each migration in trayagent/team/migrations not yet applied, in order, each in
its own transaction, then the settings and this year's monthly partitions. Re-running it applies
only what is new; a generated password is printed once, when its role is made."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from trayagent.i18n import _
from trayagent.team.db import DatabaseProblem, connect
from trayagent.team.dsn import Dsn

SCHEMA = "trayagent"
AGENT_ROLE = "trayagent_agent"
REPORT_ROLE = "trayagent_report"
MIN_GROUP = 5
_LOCK = 7_245_911  # pg_advisory_xact_lock key: two setups at once wait for each other


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) in order, from the package's migrations/NNN_name.sql."""
    found = []
    for f in resources.files("trayagent.team").joinpath("migrations").iterdir():
        m = re.fullmatch(r"(\d{3})_(\w+)\.sql", f.name)
        if m:
            found.append((int(m.group(1)), m.group(2), f.read_text(encoding="utf-8")))
    return sorted(found)


@dataclass
class SetupResult:
    applied: list[str] = field(default_factory=list)  # migrations applied by this run
    passwords: dict[str, str] = field(default_factory=dict)  # role -> password made or set by this run
    partitions: int = 0  # monthly partitions made by this run
    version: int = 0


def run(admin: Dsn, agent_password: str | None = None, report_password: str | None = None,
        min_group: int = MIN_GROUP, time_zone: str | None = None, daily_cap: int | None = None) -> SetupResult:
    if min_group < MIN_GROUP:
        raise DatabaseProblem(_("The smallest group a report shows (team.min_group, --min-group) must be at least {n}").format(n=MIN_GROUP))
    from pg8000.native import identifier, literal

    result = SetupResult()
    with connect(admin) as con:
        con.run("BEGIN")
        con.run(f"SELECT pg_advisory_xact_lock({_LOCK})")
        for role, given in ((AGENT_ROLE, agent_password), (REPORT_ROLE, report_password)):
            exists = con.run("SELECT 1 FROM pg_roles WHERE rolname = :r", r=role)
            password = given if given is not None else (None if exists else secrets.token_urlsafe(18))
            if not exists:
                con.run(f"CREATE ROLE {identifier(role)} LOGIN")
            if password is not None:
                con.run(f"ALTER ROLE {identifier(role)} LOGIN PASSWORD {literal(password)}")
                result.passwords[role] = password
        con.run(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.run(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations (version integer PRIMARY KEY, name text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())")
        con.run("COMMIT")
        for version, name, sql in migrations():
            con.run("BEGIN")
            con.run(f"SELECT pg_advisory_xact_lock({_LOCK})")
            if not con.run(f"SELECT 1 FROM {SCHEMA}.migrations WHERE version = :v", v=version):
                con.run(sql)
                con.run(f"INSERT INTO {SCHEMA}.migrations (version, name) VALUES (:v, :n)", v=version, n=name)
                result.applied.append(f"{version:03d}_{name}")
            con.run("COMMIT")
        con.run("BEGIN")
        if time_zone is None and result.applied[:1] == ["001_calls"]:
            time_zone = str(con.run("SELECT current_setting('TimeZone')")[0][0])
        _settings(con, min_group, time_zone, daily_cap)
        result.partitions = int(con.run(f"SELECT {SCHEMA}.add_partitions(2, 12)")[0][0])
        result.version = int(con.run(f"SELECT max(version) FROM {SCHEMA}.migrations")[0][0])
        con.run("COMMIT")
        con.run(f"ANALYZE {SCHEMA}.settings")  # one row: the planner must not guess a thousand
    return result


def _settings(con: Any, min_group: int, time_zone: str | None, daily_cap: int | None) -> None:
    con.run(f"UPDATE {SCHEMA}.settings SET min_group = :g", g=min_group)
    if time_zone is not None:
        if not con.run("SELECT 1 FROM pg_timezone_names WHERE name = :z", z=time_zone):
            raise DatabaseProblem(_("Unknown time zone: {zone}").format(zone=time_zone))
        con.run(f"UPDATE {SCHEMA}.settings SET time_zone = :z", z=time_zone)
    if daily_cap is not None:
        con.run(f"UPDATE {SCHEMA}.settings SET daily_cap = :c", c=daily_cap)
