"""The `team` command's arguments, apart from what they drive (commands/team.py) so that building
the parser loads nothing of the team view."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from trayagent.i18n import _


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("team", help=_("share anonymous call summaries with your team, if your organisation offers it"))
    team = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    q = team.add_parser("join", help=_("share each call's anonymous summary with your team (after saying what leaves)"))
    q.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    q.add_argument("--window", action="store_true", help=_("ask in a window (the tray's menu item does)"))
    q.set_defaults(func=_lazy("trayagent.commands.team", "join_command"))
    q = team.add_parser("leave", help=_("stop sharing at once"))
    q.add_argument("--forget", action="store_true", help=_("also take your calls out of every team report"))
    q.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    q.set_defaults(func=_lazy("trayagent.commands.team", "leave_command"))
    q = team.add_parser("status", help=_("whether you share, what waits to be sent, and every row sent"))
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_lazy("trayagent.commands.team", "status_command"))
    q = team.add_parser("setup", help=_("IT: create or upgrade the team database (schema, roles, report views)"))
    q.add_argument("--admin-dsn", required=True, metavar="DSN", help=_("a PostgreSQL owner's connection string"))
    q.add_argument("--agent-password", metavar="PW", help=_("password of trayagent_agent (default: made up once)"))
    q.add_argument("--report-password", metavar="PW", help=_("password of trayagent_report (default: made up once)"))
    q.add_argument("--min-group", type=int, metavar="N", help=_("smallest group a report shows (default: the policy's, 5)"))
    q.add_argument("--time-zone", metavar="ZONE", help=_("the centre's time zone, e.g. `Asia/Seoul` (default: the server's)"))
    q.set_defaults(func=_lazy("trayagent.commands.team", "setup_command"))
    q = team.add_parser("report", help=_("managers: the team report as one HTML page or CSV"))
    q.add_argument("--dsn", required=True, help=_("connection string of trayagent_report"))
    q.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help=_("first day (default: 4 weeks before --to)"))
    q.add_argument("--to", metavar="YYYY-MM-DD", help=_("last day (default: today)"))
    q.add_argument("--out", required=True, metavar="FILE.html|FILE.csv", help=_("write here"))
    q.set_defaults(func=_lazy("trayagent.commands.team", "report_command"))


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), function)(args)

    return run
