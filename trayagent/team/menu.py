"""What the tray's team item needs, cheaply (the menu is rebuilt up to once a second): whether IT's
policy offers the team view (read once: a policy change takes a restart, as every setting does) and
whether the agent has joined (the state file read again only when it changed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from trayagent import config
from trayagent.core.errors import TrayagentError
from trayagent.team import policy
from trayagent.team.disclosure import title  # noqa: F401 (the item's label, for the tray)
from trayagent.team.local import TeamFiles


@cache
def offered() -> bool:
    return policy.read(config.load_or_defaults()).enabled


_seen: tuple[float, bool] | None = None


def joined(files: TeamFiles | None = None) -> bool:
    global _seen
    files = files or TeamFiles()
    path: Path = files.dir / "state.json"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return False
    if _seen is None or _seen[0] != mtime:
        try:
            _seen = (mtime, files.state().joined)
        except TrayagentError:
            return False
    return _seen[1]
