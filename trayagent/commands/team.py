"""`trayagent team setup|join|leave|status|report`: the team view (README, "For IT: the team view")."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trayagent import config, os_errors
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _, ngettext
from trayagent.team import dsn, membership, policy
from trayagent.team.disclosure import what_leaves
from trayagent.team.local import TeamFiles

if TYPE_CHECKING:
    from trayagent.team.report import ReportData

# Typed in Hangul input mode, "yes" arrives as "ㅛㄷㄴ": both count, as do 예 and 네.
YES = {"yes", "y", "ㅛㄷㄴ", "ㅛ", "예", "네"}


def _policy() -> policy.TeamPolicy:
    team = policy.read(config.load_or_defaults())
    if not team.enabled:
        raise TrayagentError(_("The team view is off: only your organisation's policy can turn it on "
                               "(team.enabled and team.dsn in the machine policy)"))
    if not team.dsn or not team.name:
        raise TrayagentError(_("The team view is on, but the policy sets no {key}: ask IT").format(
            key="team.dsn" if not team.dsn else "team.name"))
    return team


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin or not sys.stdin.isatty():
        raise TrayagentError(_("refusing without confirmation: add --yes"))
    return input(question + " " + _("Type '{answer}': ").format(answer="yes")).strip().lower() in YES


def join_command(args: argparse.Namespace) -> int:
    team = _policy()
    files = TeamFiles()
    if args.window:  # the tray's menu item: the same words, in a window with two buttons
        from trayagent.ui.team_window import ask

        joined = files.state().joined
        if ask(what_leaves(team.name, team.min_group), joined):
            membership.leave(files) if joined else membership.join(files)
        return 0
    if files.state().joined:
        print(_("You already share anonymous call summaries with {team}.").format(team=team.name))
        return 0
    print(what_leaves(team.name, team.min_group))
    print()
    if not _confirm(_("Share them?"), args.yes):
        print(_("Nothing is shared."))
        return 1
    membership.join(files)
    print(_("Joined: each call's summary is sent after it ends. `trayagent team status` shows every row sent."))
    return 0


def leave_command(args: argparse.Namespace) -> int:
    files = TeamFiles()
    state = files.state()
    if args.forget:
        if not _confirm(_("Stop sharing, and remove your calls from every team report?"), args.yes):
            print(_("Nothing changed."))
            return 1
        target = dsn.parse(_policy().dsn)
        n = membership.withdraw(files, target)
        print(ngettext("Left. {n} weekly code of this PC is withdrawn: your calls are out of every report.",
                       "Left. {n} weekly codes of this PC are withdrawn: your calls are out of every report.",
                       n).format(n=n))
        return 0
    if not state.joined:
        print(_("You are not sharing call summaries."))
        return 0
    dropped = membership.leave(files)
    print(_("Left: nothing more is sent."), ngettext("{n} summary still waiting was deleted.",
                                                     "{n} summaries still waiting were deleted.", dropped).format(
        n=dropped) if dropped else "")
    return 0


def status_command(args: argparse.Namespace) -> int:
    team = policy.read(config.load_or_defaults())
    files = TeamFiles()
    state, last = files.state(), files.last()
    queued = [row.as_dict() for _p, row in files.pending()]
    sent = files.sent_rows()
    if args.json:
        print(json.dumps({"enabled": team.enabled, "team": team.name or None, "joined": state.joined,
                          "since": state.since.isoformat() if state.since else None, "problem": last.get("problem"),
                          "queued": queued, "sent": sent}, ensure_ascii=False, indent=1))
        return 0
    if not team.enabled:
        print(_("Team summaries: off (your organisation has not turned them on)."))
    elif not state.joined:
        print(_("Team summaries: not shared (you have not joined {team}; `trayagent team join`).").format(
            team=team.name))
    else:
        print(_("Team summaries: shared with {team} since {since}.").format(
            team=team.name, since=state.since.astimezone().strftime("%Y-%m-%d %H:%M") if state.since else "?"))
    if last.get("problem"):
        print(_("Last problem: {problem}").format(problem=last["problem"]))
    print(ngettext("{n} summary waiting to be sent.", "{n} summaries waiting to be sent.", len(queued)).format(
        n=len(queued)))
    print(ngettext("{n} summary sent:", "{n} summaries sent:", len(sent)).format(n=len(sent)))
    for r in sent:
        print("  " + _row_line(r))
    return 0


def _row_line(r: dict) -> str:
    start = datetime.fromisoformat(r["start_slot"]).astimezone().strftime("%Y-%m-%d %H:%M")
    band = {"calm": _("calm"), "elevated": _("elevated"), "alert": _("alert"), None: _("not measured")}.get(
        r.get("end_band"), "?")
    line = _("{start} (15-min slot) · {length} s · calm {calm} s, elevated {elevated} s, alert {alert} s, not "
             "measured {unmeasured} s · ended {band}").format(
        start=start, length=r["duration_s"], calm=r["calm_s"], elevated=r["elevated_s"], alert=r["alert_s"],
        unmeasured=r["unmeasured_s"], band=band)
    return line + (" · " + _("refused by the server") if r.get("status") == "refused" else "")


def setup_command(args: argparse.Namespace) -> int:
    from trayagent.team import setup

    min_group = args.min_group if args.min_group is not None else policy.read(config.load_or_defaults()).min_group
    result = setup.run(dsn.parse(args.admin_dsn), args.agent_password, args.report_password, min_group=min_group,
                       time_zone=args.time_zone)
    if result.applied:
        print(_("Applied: {migrations}").format(migrations=", ".join(result.applied)))
    else:
        print(_("The team database is up to date (version {version}).").format(version=result.version))
    for role, password in result.passwords.items():
        print(_("Password of {role}: {password}  (shown once: keep it in your password manager)").format(
            role=role, password=password))
    return 0


def report_command(args: argparse.Namespace) -> int:
    from trayagent.team import report

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".csv"):
        raise TrayagentError(_("{path}: the report is written as `.html` or `.csv`").format(path=out))
    to = _day(args.to) if args.to else date.today()
    start = _day(args.from_) if args.from_ else date.fromordinal(to.toordinal() - 27)
    if start > to:
        raise TrayagentError(_("--from {start} is after --to {end}").format(start=start, end=to))
    data = report.fetch(dsn.parse(args.dsn), start, to)
    _write_report(data, out)
    print(_("{path}: {teams} teams, {calls} calls").format(path=out, teams=len(data.teams), calls=data.total_calls))
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrayagentError(_("{value} is not a date (YYYY-MM-DD)").format(value=text)) from None


def _write_report(data: ReportData, out: Path) -> None:
    """The report as CSV, or as the self-contained HTML page (ui/team_report.py)."""
    try:
        if out.suffix.lower() == ".csv":
            from trayagent.team.report import write_csv

            write_csv(data, out)
        else:
            from trayagent.ui.team_report import html

            out.write_text(html(data), encoding="utf-8")
    except OSError as e:
        raise TrayagentError(_("{path}: cannot be written ({reason})").format(
            path=out, reason=os_errors.reason(e))) from None
