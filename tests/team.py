"""What the team-view tests share: a call recorded into a data folder as the daemon records it, the
server set up, and a look at what arrived."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tests import pg
from trayagent.core.records import Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.storage.calls import CallStore
from trayagent.team import db, dsn, setup

SEEN = Visibility(frame_brightness=120, frame_contrast=50, face_brightness=120, face_contrast=40, backlight=1.0)
AGENT_PW, REPORT_PW = "agent-pw", "report-pw"


def record_call(data_dir: Path, start: datetime, emotions: list[str | None], step_s: float = 0.5) -> str:
    """A call of one sample per `step_s` with these emotions (None: no face), written and indexed."""
    store = CallStore(data_dir)
    writer = store.new_call(start)
    stats = CallStats()
    t = start
    for e in emotions:
        vis = SEEN if e is not None else Visibility(frame_brightness=5, frame_contrast=1)
        index = stats.step(e, visibility=vis)
        writer.write(Sample(t, e, index, (0.25, 0.25, 0.25, 0.25) if e else None, vis))
        t += timedelta(seconds=step_s)
    writer.close()
    store.add_to_index(stats.summary(writer.id, start, t))
    return writer.id


def set_up(cluster: pg.Cluster) -> None:
    setup.run(dsn.parse(cluster.dsn()), agent_password=AGENT_PW, report_password=REPORT_PW)


def agent_dsn(cluster: pg.Cluster) -> str:
    return cluster.dsn(setup.AGENT_ROLE, AGENT_PW)


def report_dsn(cluster: pg.Cluster) -> str:
    return cluster.dsn(setup.REPORT_ROLE, REPORT_PW)


def admin_rows(cluster: pg.Cluster, sql: str, **params: object) -> list[list]:
    with db.connect(dsn.parse(cluster.dsn())) as con:
        return con.run(sql, **params)
