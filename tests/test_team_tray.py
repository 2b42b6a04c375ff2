"""An agent opts in from the Korean tray, as IT's policy offers it: the menu item opens a window that
says what leaves and what never does; Join; a call; the row arrives and `team status` lists it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests import videos
from tests.desktop import popup_windows, screenshot, tray_windows
from tests.helpers import cli, running_daemon, wait_for
from tests.team import admin_rows, agent_dsn, needs_pg, team_server, write_policy

pytestmark = pytest.mark.slow  # every case runs real processes (the daemon, PostgreSQL, a browser or X)


@pytest.fixture
def cluster():
    with team_server() as c:
        yield c


def _windows(env) -> list[tuple[int, int, int, int]]:
    """(w, h, x, y) of the root's children the size of a menu or more."""
    tree = subprocess.run(["xwininfo", "-root", "-children"], capture_output=True, text=True, env=env).stdout
    found = [tuple(map(int, m.groups())) for m in re.finditer(r"\s(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s", tree)]
    return [g for g in found if g[0] >= 100 and g[1] >= 100 and g[:2] != (800, 600)]


def _xdotool(env, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True).stdout.strip()


@needs_pg
def test_an_agent_joins_from_the_korean_tray_and_sees_what_was_sent(desktop, tmp_path, home, cluster):
    env, _procs = desktop
    (home / "config.toml").write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    write_policy(home / "policy.toml", agent_dsn(cluster), "상담1팀")
    video = videos.record(tmp_path / "webcam.avi", [("face", videos.astronaut()), (None, None)], frames_each=20).path
    with running_daemon("--camera", str(video), env=env, tray=True, start_new_session=True) as daemon:
        icons = wait_for(lambda: tray_windows(env))
        assert len(icons) == 1
        if "tray backend: xorg" in (home / "logs" / "trayagent.log").read_text():
            pytest.skip("this tray backend has no menu (no GTK bindings)")
        assert (home / "team" / "told").exists(), "the agent was not told the team view is on offer"
        w, h, x, y = icons[0]

        def open_menu() -> None:
            before = len(popup_windows(env))  # the team view's notification may be showing too
            _xdotool(env, "mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
            assert wait_for(lambda: len(popup_windows(env)) > before, timeout=10), "right-click opened no menu"

        open_menu()
        screenshot(env, "team-1-menu")
        # Clicked, not keyed: the team view's notification (shown at start) may hold the keyboard.
        # The item is the third from the menu's bottom (Quit, About, then it), rows about 26 px.
        mw, mh, mx, my = max(_windows(env), key=lambda g: g[1])  # the menu: the tallest popup
        _xdotool(env, "mousemove", str(mx + mw // 2), str(my + mh - 68), "click", "1")
        window = wait_for(lambda: _xdotool(env, "search", "--classname", "tk"), timeout=30)
        assert window, "the team window did not open from the menu"
        assert _xdotool(env, "getwindowname", window.split()[0]) == "팀과 익명 통화 요약 공유"
        screenshot(env, "team-2-window")
        _xdotool(env, "windowactivate", "--sync", window.split()[0])
        _xdotool(env, "key", "--window", window.split()[0], "Return")  # Join
        assert wait_for(lambda: json.loads(cli("team", "status", "--json", env=env).stdout)["joined"], timeout=15)

        assert json.loads(cli("call", "start", "--json", env=env).stdout)["state"] == "call"
        assert wait_for(lambda: any(len(p.read_bytes().splitlines()) > 14 for p in (home / "calls").glob("*.csv")),
                        timeout=60)
        assert json.loads(cli("call", "end", "--json", env=env).stdout)["state"] == "idle"
        assert wait_for(lambda: admin_rows(cluster, "SELECT count(*) FROM trayagent.calls WHERE team = '상담1팀'")
                        == [[1]], timeout=30)
        status = cli("team", "status", env=env).stdout
        assert "상담1팀" in status and "보낸 요약 1건:" in status and "15분 단위" in status, status
        open_menu()
        screenshot(env, "team-3-menu-joined")
        _xdotool(env, "key", "Escape")
        assert cli("stop", env=env).returncode == 0
        assert daemon.wait(30) == 0
