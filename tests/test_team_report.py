"""The managers' report from real rows on a real PostgreSQL, read through the report role, opened in
a real browser (headless Chromium): one page that asks no other host for anything."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests import pg
from tests.helpers import cli
from tests.team import needs_pg, report_dsn, set_up
from tests.test_team_server import send
from trayagent.team.row import TeamRow, pseudonym

pytestmark = pytest.mark.slow  # every case runs real processes (the daemon, PostgreSQL, a browser or X)

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (apt install chromium)")


@pytest.fixture(scope="module")
def cluster():
    c = pg.create()
    try:
        set_up(c)
        monday = datetime(2026, 11, 16, tzinfo=UTC)
        rows = []
        for team, agents, hard_hour in (("상담1팀", 6, 14), ("상담2팀", 5, 10), ("야간팀", 4, 20)):
            for a in range(agents):
                for day in range(12):
                    for hour in (9, 10, 11, 14, 15, 16):
                        alert = 40 if hour == hard_hour else 5
                        start = monday + timedelta(days=day, hours=hour, minutes=15 * (a % 4))
                        week = f"{start.isocalendar()[0]}-W{start.isocalendar()[1]:02d}"
                        rows.append(TeamRow(str(uuid.uuid4()), team, pseudonym(f"{team}{a}".encode(), week),
                                            start, 200, 200 - alert - 30 - 10, 30, alert, 10,
                                            "alert" if alert > 20 else "calm", True))
        send(c, *rows)
        yield c
    finally:
        pg.remove(c)


@needs_pg
@needs_chromium
def test_the_report_opens_in_a_browser_with_its_figures(cluster, tmp_path, home):
    (home / "config.toml").write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    out = tmp_path / "report.html"
    r = cli("team", "report", "--dsn", report_dsn(cluster), "--from", "2026-11-16", "--to", "2026-11-27",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert "상담1팀" in page and "상담2팀" in page
    assert "야간팀" not in page, "a team of four agents must not appear"
    assert "14:00-15:00" in page and page.count("data:image/png;base64,") == 3
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "the page must fetch nothing"
    shot = tmp_path / "report.png"
    keep = os.environ.get("TRAYAGENT_SCREENSHOTS")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1100,1800",
                    f"--screenshot={shot}", out.as_uri()], capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(1 << 20) or []
        warm = sum(n for n, (r_, g, b) in colours if r_ > 180 and g < 140 and b < 120)  # the heat map's reds
        assert warm > 500, "no heat map in the screenshot"
        assert len(colours) > 50, "the page rendered blank"
    if keep:
        shutil.copy(shot, os.path.join(keep, "team-report.png"))


@needs_pg
def test_the_report_as_csv(cluster, tmp_path):
    out = tmp_path / "report.csv"
    r = cli("team", "report", "--dsn", report_dsn(cluster), "--from", "2026-11-16", "--to", "2026-11-27",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("team,day,hour,agents,calls")
    assert {line.split(",")[0] for line in lines[1:]} == {"상담1팀", "상담2팀"}


def test_teams_with_equal_weekly_shares_are_each_visible_in_the_trend():
    """Two teams with the same share every week drew one line over the other: only the second showed."""
    import base64
    import io

    from PIL import Image

    from trayagent.team.report import ReportData
    from trayagent.ui import team_report

    weeks = [{"team": t, "iso_week": w, "alert_share": 0.1} for t in ("상담1팀", "상담2팀") for w in ("2026-W47", "2026-W48")]
    figures = dict(team_report._figures(ReportData(datetime(2026, 11, 16).date(), datetime(2026, 11, 27).date(),
                                                   weeks=weeks)))
    with Image.open(io.BytesIO(base64.b64decode(figures["Weekly trend per team"]))) as im:
        pixels = im.convert("RGB").getcolors(1 << 20) or []

    def near(colour: tuple[int, int, int]) -> int:
        return sum(n for n, rgb in pixels if sum(abs(a - b) for a, b in zip(rgb, colour)) < 40)

    blue, orange = near((0x1F, 0x77, 0xB4)), near((0xFF, 0x7F, 0x0E))  # matplotlib's first two line colours
    assert blue > 150 and orange > 150, (blue, orange)  # the legend's samples alone are about 60 each
