"""What the team-view tests share: a call recorded into a data folder as the daemon records it, the
server set up, and a look at what arrived."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests import pg
from trayagent.core.records import Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.storage.calls import CallStore
from trayagent.team import db, dsn, setup

SEEN = Visibility(frame_brightness=120, frame_contrast=50, face_brightness=120, face_contrast=40, backlight=1.0)
AGENT_PW, REPORT_PW = "agent-pw", "report-pw"
needs_pg = pytest.mark.skipif(pg.bin_dir() is None, reason="needs PostgreSQL (apt install postgresql)")


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


@contextlib.contextmanager
def team_server() -> Iterator[pg.Cluster]:
    """A throw-away PostgreSQL cluster with the team view's schema and roles, removed after."""
    c = pg.create()
    try:
        set_up(c)
        yield c
    finally:
        pg.remove(c)


def agent_dsn(cluster: pg.Cluster) -> str:
    return cluster.dsn(setup.AGENT_ROLE, AGENT_PW)


def report_dsn(cluster: pg.Cluster) -> str:
    return cluster.dsn(setup.REPORT_ROLE, REPORT_PW)


def admin_rows(cluster: pg.Cluster, sql: str, **params: object) -> list[list]:
    with db.connect(dsn.parse(cluster.dsn())) as con:
        return con.run(sql, **params)


def write_policy(path: Path, cluster_dsn: str, team_name: str = "상담1팀", enabled: bool = True) -> None:
    path.write_text(f'[team]\nenabled = {"true" if enabled else "false"}\ndsn = "{cluster_dsn}"\n'
                    f'name = "{team_name}"\n', encoding="utf-8")


class CuttingProxy:
    """A loopback TCP relay to the server that can lose a connection in the middle of an insert:
    `cut = "request"` drops the INSERT before the server sees it; `cut = "reply"` lets the server
    run and commit it, then drops its answer (what a crash or a lost network costs)."""

    def __init__(self, port: int) -> None:
        self.target, self.cut, self.cuts = port, None, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if upstream and self.cut == "request" and b"INSERT INTO trayagent.calls" in data:
                    self.cut, self.cuts = None, self.cuts + 1
                    return  # the insert never reaches the server
                # The server answers an insert with "INSERT 0 1" once the statement is done; it is
                # sent at the Sync that committed it, with ReadyForQuery. That answer is lost.
                if not upstream and self.cut == "reply" and b"INSERT 0 " in data:
                    self.cut, self.cuts = None, self.cuts + 1
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()
