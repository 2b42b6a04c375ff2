"""Opting in and out: `team join`, `team leave [--forget]` and the tray's menu item all come here.
Leaving stops sending at once (the outbox is emptied); forgetting also records a withdrawal of every
pseudonym this PC's key made, so every report view leaves them out, and then deletes the key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from trayagent.team import db, dsn
from trayagent.team.local import State, TeamFiles
from trayagent.team.row import iso_week, pseudonym


def join(files: TeamFiles, now: datetime | None = None) -> State:
    now = now or datetime.now(UTC)
    state = files.state()
    if state.joined:
        return state
    files.key(make=True)
    state = State(joined=True, since=now, queued_through=None, key_made=state.key_made or now)
    files.save_state(state)
    return state


def leave(files: TeamFiles) -> int:
    """Stop at once: the rows still queued are dropped, never sent. How many were dropped."""
    state = files.state()
    files.save_state(replace(state, joined=False))
    dropped = 0
    for path, _row in files.pending():
        path.unlink(missing_ok=True)
        dropped += 1
    return dropped


def own_pseudonyms(files: TeamFiles, today: date | None = None) -> set[str]:
    """Every pseudonym this PC's key has made: one per ISO week since the key was made (and those on
    the rows sent, should the clock have been off)."""
    key = files.key()
    if key is None:
        return set()
    today = today or date.today()
    made = files.state().key_made
    first = (made.astimezone().date() if made else today) - timedelta(days=7)
    weeks = {iso_week(first + timedelta(days=d)) for d in range(0, (today - first).days + 8)}
    return {pseudonym(key, w) for w in weeks} | {r["pseudonym"] for r in files.sent_rows() if "pseudonym" in r}


def withdraw(files: TeamFiles, target: dsn.Dsn) -> int:
    """Record the withdrawal on the server, then forget everything here. Raises DatabaseProblem (and
    forgets nothing) when the server cannot be told."""
    leave(files)
    names = sorted(own_pseudonyms(files))
    if names:
        with db.connect(target) as con:
            con.run("BEGIN")
            for name in names:
                con.run("INSERT INTO trayagent.withdrawals (pseudonym) VALUES (:p) ON CONFLICT DO NOTHING", p=name)
            con.run("COMMIT")
    files.forget()
    return len(names)
