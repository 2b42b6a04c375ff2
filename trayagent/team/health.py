"""The team view's one line for `doctor` (and the tray's status): on offer or not, joined or not,
and whether sending works: the last problem the sender met, or, asked now, whether the server
accepts this PC's credentials."""

from __future__ import annotations

from trayagent.config import Config
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
from trayagent.team import db, dsn, policy
from trayagent.team.local import TeamFiles


def offered(cfg: Config) -> bool:
    return policy.read(cfg).enabled


def check(cfg: Config, files: TeamFiles | None = None, connect: bool = True) -> tuple[bool, str, str]:
    """(all well, what is the case, how to fix it)."""
    team = policy.read(cfg)
    files = files or TeamFiles()
    if not team.dsn or not team.name:
        return False, _("turned on by policy, but the policy sets no {key}").format(
            key="team.dsn" if not team.dsn else "team.name"), _("ask IT to complete the [team] policy")
    try:
        target = dsn.parse(team.dsn)
        state = files.state()
        if not state.joined:
            return True, _("offered to {team}; you have not joined (`trayagent team join`)").format(team=team.name), ""
        waiting = len(files.pending())
        if connect:
            with db.connect(target):
                pass
        problem = files.last().get("problem")
    except TrayagentError as e:
        return False, str(e), _("ask IT to check the team database, its password and its certificate "
                                "(`trayagent team status` shows what waits)")
    if problem and waiting:
        return False, _("{n} waiting; last try: {problem}").format(n=waiting, problem=problem), \
            _("it is sent again by itself; `trayagent team status` shows what waits")
    return True, _("sharing with {team} ({n} waiting)").format(team=team.name, n=waiting), ""
