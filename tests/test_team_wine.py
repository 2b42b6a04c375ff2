"""The team view from the Windows runtime IT installs, under wine: the bundled pg8000 (pure Python,
in requirements-win.txt) sends one call's summary to a real PostgreSQL, through the same sender the
daemon runs."""

from __future__ import annotations

import pytest

from tests import pg
from tests.team import admin_rows, agent_dsn, needs_pg, set_up, write_policy
from tests.wine import PYTHON_WIN, Wine, require, windows_path, wine64_available
from tests.wine import setup_exe as built_setup_exe

# Run by the installed runtime: one call recorded as the daemon records it, the agent joined, one
# round of the daemon's sender.
SEND_ONE = r"""
import sys
from datetime import datetime, timedelta
from trayagent import config
from trayagent.core.records import Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.storage.calls import CallStore
from trayagent.team import membership
from trayagent.team.local import TeamFiles
from trayagent.team.sender import Sender
from pathlib import Path

home = Path(sys.argv[1])
files = TeamFiles(home / "team")
start = datetime.now().astimezone() - timedelta(minutes=5)
membership.join(files, now=start - timedelta(minutes=1))
store = CallStore(home)
writer, stats = store.new_call(start), CallStats()
seen = Visibility(120, 50, 120, 40, 1.0)
for i in range(20):
    t = start + timedelta(seconds=i / 2)
    writer.write(Sample(t, "stress", stats.step("stress", visibility=seen), (0.1, 0.1, 0.7, 0.1), seen))
writer.close()
store.add_to_index(stats.summary(writer.id, start, start + timedelta(seconds=10)))
sender = Sender(lambda: config.load(policy=Path(sys.argv[2]), user=home / "none.toml"), store, files)
sender.step()
print("sent", len(files.sent_rows()), "waiting", len(files.pending()), files.last().get("problem"))
"""


@needs_pg
@pytest.mark.slow
def test_the_installed_windows_runtime_sends_one_summary(tmp_path):
    setup = built_setup_exe()
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    cluster = pg.create()
    wine = Wine(tmp_path / "prefix")
    try:
        set_up(cluster)
        wine.boot()
        assert wine.install(setup).returncode == 0
        home, policy, script = tmp_path / "home", tmp_path / "policy.toml", tmp_path / "send_one.py"
        home.mkdir()
        write_policy(policy, agent_dsn(cluster), "상담1팀")
        script.write_text(SEND_ONE, encoding="utf-8")
        r = wine.run(PYTHON_WIN, windows_path(script), windows_path(home), windows_path(policy), timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "sent 1 waiting 0 None" in r.stdout, r.stdout + r.stderr
        rows = admin_rows(cluster, "SELECT team, duration_s, alert_s + elevated_s + calm_s + unmeasured_s, end_band "
                                   "FROM trayagent.calls")
        assert len(rows) == 1 and rows[0][:3] == ["상담1팀", 10, 10], rows
    finally:
        wine.kill()
        pg.remove(cluster)
