"""Sending beside the daemon's loop: a thread of its own that turns ended calls into rows in the
outbox and sends them, so a slow or unreachable server never delays a call. Each row is removed
from the outbox only after the server committed it; the random call id is the key (ON CONFLICT DO
NOTHING), so a crash or a lost reply means the row is sent again and kept once. Failures back off
from 5 s to 30 minutes and leave one line in team/last.json (doctor, the tray, `team status`);
never a popup per failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from trayagent.config import Config
from trayagent.core.errors import TrayagentError
from trayagent.core.measured import measure
from trayagent.storage.callfile import read_samples
from trayagent.storage.calls import CallStore
from trayagent.team import db, dsn, policy
from trayagent.team.local import TeamFiles
from trayagent.team.row import TeamRow, make_row

log = logging.getLogger(__name__)

POLL_S = 2.0  # how often ended calls are looked for while all is well
FIRST_RETRY_S = 5.0
MAX_RETRY_S = 30 * 60.0

INSERT = ("INSERT INTO trayagent.calls (call_id, team, pseudonym, start_slot, duration_s, calm_s, elevated_s, "
          "alert_s, unmeasured_s, end_band, calibrated) VALUES (CAST(:call_id AS uuid), :team, :pseudonym, "
          ":start_slot, :duration_s, :calm_s, :elevated_s, :alert_s, :unmeasured_s, :end_band, :calibrated) "
          "ON CONFLICT DO NOTHING")


def send_row(con: db.Connection, row: TeamRow) -> None:
    con.run(INSERT, **row.as_dict() | {"start_slot": row.start_slot})


class Sender:
    def __init__(self, settings: Callable[[], Config], store: CallStore, files: TeamFiles | None = None) -> None:
        self._settings, self.store = settings, store
        self.files = files or TeamFiles()
        self.retry_s = 0.0  # 0: all is well; else the wait before the next try
        self._index_seen: tuple[float, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the thread ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="team-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            try:
                delay = self.step()
            except Exception:  # a bug here must not end sending for the rest of the day
                log.exception("team view: sending failed")
                delay = self._backoff()

    # ---- one round ----------------------------------------------------------------------------------
    def step(self) -> float:
        """Queue the calls that ended since the last round, send what is queued; the seconds until
        the next round."""
        cfg = self._settings()
        team = policy.read(cfg)
        state = self.files.state()
        if not (team.usable and state.joined):
            return POLL_S
        self.queue_ended(cfg, team.name)
        pending = self.files.pending()
        if not pending:
            return POLL_S
        try:
            target = dsn.parse(team.dsn)
            with db.connect(target) as con:
                for path, row in pending:
                    if not self.files.state().joined:  # left meanwhile: stop at once
                        break
                    try:
                        send_row(con, row)
                    except db.DatabaseProblem as p:
                        if not p.permanent:
                            raise
                        log.error("team view: the server refused a row for good: %s", p)
                        self.files.sent(path, row, status="refused")
                        self.files.note(str(p))
                        continue
                    self.files.sent(path, row)
        except TrayagentError as e:
            self.files.note(str(e))
            log.warning("team view: %s (next try in %.0f s)", e, self._backoff(peek=True))
            return self._backoff()
        self.retry_s = 0.0
        self.files.note(None)
        return POLL_S

    def _backoff(self, peek: bool = False) -> float:
        nxt = FIRST_RETRY_S if self.retry_s == 0 else min(MAX_RETRY_S, self.retry_s * 2)
        if not peek:
            self.retry_s = nxt
        return nxt

    def queue_ended(self, cfg: Config, team: str) -> int:
        """Rows for the calls that ended since the agent joined and are not queued yet; the index is
        read again only when it changed."""
        try:
            st = self.store.index_path.stat()
        except FileNotFoundError:
            return 0
        seen = (st.st_mtime, st.st_size)
        if seen == self._index_seen:
            return 0
        state = self.files.state()
        after = max(t for t in (state.since, state.queued_through) if t is not None) if state.since else None
        if after is None:
            return 0
        key = self.files.key(make=True)
        assert key is not None
        queued, made = self.files.queued_ids(), 0
        for summary in sorted(self.store.calls(), key=lambda c: c.end):
            if summary.end <= after or summary.id in queued:
                continue
            try:
                samples = list(read_samples(self.store.call_path(summary.id)))
            except TrayagentError as e:  # the record went (deleted, damaged): its time counts as not measured
                log.warning("team view: %s", e)
                samples = []
            row = make_row(summary, measure(samples, cfg.thresholds, cfg.visibility), team, key)
            self.files.queue(summary.id, row)
            state = self.files.state()
            self.files.save_state(replace(state, queued_through=max(summary.end, state.queued_through or summary.end)))
            made += 1
        self._index_seen = seen
        return made


def start_beside(settings: Callable[[], Config], store: CallStore,
                 notify: Callable[[str, str], None] | None = None) -> Sender | None:
    """The daemon's hook: a sender thread when IT's policy turns the team view on, else nothing at
    all (no thread, no driver loaded, no socket). The first time, the agent is told it is on offer."""
    if not policy.read(settings()).enabled:
        return None
    files = TeamFiles()
    try:
        if notify is not None and not files.state().joined and not files.told():
            from trayagent.team.disclosure import notification, title

            notify(title(), notification())
            files.mark_told()
    except TrayagentError as e:
        log.warning("team view: %s", e)
    sender = Sender(settings, store, files)
    sender.start()
    return sender
