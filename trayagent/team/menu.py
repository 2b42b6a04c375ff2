"""What the tray's team item needs, cheaply (the menu is rebuilt up to once a second): whether IT's
policy offers the team view (read once: a policy change takes a restart, as every setting does),
whether the agent has joined, and whether sending is failing (the files read again only when they
changed). The failure itself is one line in `doctor` and `team status`; the item only says so."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from trayagent import config
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
from trayagent.team import disclosure, policy
from trayagent.team.local import TeamFiles

_seen: dict[Path, tuple[float, object]] = {}


@cache
def offered() -> bool:
    return policy.read(config.load_or_defaults()).enabled


def _cached(path: Path, read: Callable[[], object]) -> object:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    if path not in _seen or _seen[path][0] != mtime:
        try:
            _seen[path] = (mtime, read())
        except TrayagentError:
            return None
    return _seen[path][1]


def joined(files: TeamFiles | None = None) -> bool:
    files = files or TeamFiles()
    return bool(_cached(files.dir / "state.json", lambda: files.state().joined))


def failing(files: TeamFiles | None = None) -> bool:
    files = files or TeamFiles()
    return bool(_cached(files.dir / "last.json", lambda: files.last().get("problem")))


def title(files: TeamFiles | None = None) -> str:
    if joined(files) and failing(files):
        return disclosure.title() + " " + _("(not sent yet: see `trayagent doctor`)")
    return disclosure.title()
