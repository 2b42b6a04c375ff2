"""The managers' report, read through the report role from the views only (so the minimum group and
the withdrawals hold here as for any BI tool): the data, the two sentences in words, and the CSV.
The page itself is drawn by ui/team_report.py."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from trayagent.i18n import _
from trayagent.team import db
from trayagent.team.dsn import Dsn

HOUR_COLUMNS = ("team", "day", "hour", "agents", "calls", "call_hours", "calm_share", "elevated_share",
                "alert_share", "unmeasured_share", "alert_end_calls")
WEEK_COLUMNS = ("team", "week_start", "iso_week", "agents", "calls", "call_hours", "calm_share", "elevated_share",
                "alert_share", "unmeasured_share", "alert_end_calls")


@dataclass
class ReportData:
    start: date
    end: date
    hours: list[dict] = field(default_factory=list)  # team_hour cells in the range
    weeks: list[dict] = field(default_factory=list)  # team_week rows of the weeks touching the range

    @property
    def teams(self) -> list[str]:
        return sorted({r["team"] for r in self.hours} | {r["team"] for r in self.weeks})

    @property
    def total_calls(self) -> int:
        return sum(r["calls"] for r in self.hours)

    def alert_by_team_hour(self) -> dict[tuple[str, int], float]:
        """Alert-band share of call time per team and hour of day over the range (weighted by time)."""
        time: dict[tuple[str, int], float] = defaultdict(float)
        alert: dict[tuple[str, int], float] = defaultdict(float)
        for r in self.hours:
            k = (r["team"], r["hour"])
            time[k] += r["call_hours"]
            alert[k] += r["call_hours"] * r["alert_share"]
        return {k: alert[k] / time[k] for k in time if time[k] > 0}

    def by(self, key: str) -> dict:
        """Alert-band share of call time, calls, and calls ending in alert, per team or per hour."""
        out: dict = defaultdict(lambda: {"time": 0.0, "alert": 0.0, "calls": 0, "alert_end": 0})
        for r in self.hours:
            o = out[r[key]]
            o["time"] += r["call_hours"]
            o["alert"] += r["call_hours"] * r["alert_share"]
            o["calls"] += r["calls"]
            o["alert_end"] += r["alert_end_calls"]
        return {k: {**v, "share": v["alert"] / v["time"] if v["time"] else 0.0} for k, v in out.items()}

    def sentences(self) -> list[str]:
        """Which hours and which teams were hardest, in two sentences."""
        if not self.hours:
            return [_("No cell of the report has at least the minimum number of agents in this period: there "
                      "is nothing to show yet."), ""]
        hours = self.by("hour")
        worst_hour = max(hours, key=lambda h: (hours[h]["share"], hours[h]["calls"]))
        teams = self.by("team")
        worst_team = max(teams, key=lambda t: (teams[t]["share"], teams[t]["calls"]))
        return [
            _("The hardest hour was {start}:00-{end}:00: {share:.0%} of call time in the alert band, across all "
              "teams shown.").format(start=f"{worst_hour:02d}", end=f"{(worst_hour + 1) % 24:02d}",
                                      share=hours[worst_hour]["share"]),
            _("The hardest team was {team}: {share:.0%} of its call time in the alert band, and {n} of its {calls} "
              "calls ended there.").format(team=worst_team, share=teams[worst_team]["share"],
                                           n=teams[worst_team]["alert_end"], calls=teams[worst_team]["calls"]),
        ]


def _plain(row: list, columns: tuple[str, ...]) -> dict:
    d = dict(zip(columns, row))
    for k in ("call_hours", "calm_share", "elevated_share", "alert_share", "unmeasured_share"):
        d[k] = float(d[k])
    return d


def fetch(target: Dsn, start: date, end: date) -> ReportData:
    """The cells of the range (the weeks touching it whole), through the functions behind the views,
    which read only the partitions the range needs."""
    data = ReportData(start, end)
    with db.connect(target) as con:
        data.hours = [_plain(r, HOUR_COLUMNS) for r in con.run(
            f"SELECT {', '.join(HOUR_COLUMNS)} FROM trayagent.team_hour_between(:a, :b) ORDER BY team, day, hour",
            a=start, b=end)]
        data.weeks = [_plain(r, WEEK_COLUMNS) for r in con.run(
            f"SELECT {', '.join(WEEK_COLUMNS)} FROM trayagent.team_week_between(:a, :b) ORDER BY team, week_start",
            a=start, b=end)]
    return data


def write_csv(data: ReportData, out: Path) -> None:
    """The team x day x hour cells, as the view gives them (UTF-8 with a BOM, so Excel reads Hangul)."""
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HOUR_COLUMNS)
        for r in data.hours:
            w.writerow([r[c] for c in HOUR_COLUMNS])
