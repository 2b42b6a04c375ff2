"""The daemon as an agent meets it: a real X server (Xvfb), a real tray host (trayer), a session bus,
the tray icon embedded, its menu opened with the mouse, and a call driven by the CLI.

Set TRAYAGENT_SCREENSHOTS=DIR to keep screenshots of each state for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests import videos
from tests.desktop import popup_windows, screenshot, tray_windows
from tests.helpers import call_rows, calls_json, cli, running_daemon, status_json, wait_for

TOOLS = ("Xvfb", "trayer", "dbus-daemon", "xwininfo", "xdotool")
missing = [t for t in TOOLS if shutil.which(t) is None]
if missing:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs {', '.join(missing)} (see .ci/run)")
    pytest.skip(f"needs {', '.join(missing)}", allow_module_level=True)

pytestmark = pytest.mark.slow


def test_a_call_under_a_real_tray(desktop, tmp_path, home):
    env, _procs = desktop
    (home / "config.toml").write_text("[calls]\nmin_call_s = 0\n")  # a call need not outlast 5 s to be kept
    video = videos.record(tmp_path / "webcam.avi", [("face", videos.astronaut()), (None, None)],
                          frames_each=20).path
    with running_daemon("--camera", str(video), env=env, tray=True) as daemon:
        icons = wait_for(lambda: tray_windows(env))
        log = home / "logs" / "trayagent.log"
        assert len(icons) == 1, f"the tray icon is not embedded in the tray; log:\n{log.read_text()}"
        screenshot(env, "1-idle")

        second = cli("run", "--camera", str(video), env=env)
        assert second.returncode == 0 and "already running" in second.stdout

        w, h, x, y = icons[0]
        backend_has_menu = "tray backend: xorg" not in log.read_text()
        if backend_has_menu:
            subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
            menus = wait_for(lambda: popup_windows(env), timeout=10)
            assert menus, "right-click opened no menu"
            screenshot(env, "2-menu")
            subprocess.run(["xdotool", "key", "Escape"], env=env)

        if backend_has_menu:  # start the call from the menu, as an agent would: first item, Enter
            subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
            assert wait_for(lambda: popup_windows(env), timeout=10)
            subprocess.run(["xdotool", "key", "Down", "Return"], env=env)
            assert wait_for(lambda: status_json(env)["state"] == "call", timeout=10)
        else:
            assert json.loads(cli("call", "start", "--json", env=env).stdout)["state"] == "call"
        call_id = status_json(env)["call_id"]
        assert wait_for(lambda: call_rows(home, call_id) >= 10, timeout=60)
        status = status_json(env)
        assert status["state"] == "call" and status["camera_open"]
        screenshot(env, "3-call")
        assert json.loads(cli("call", "end", "--json", env=env).stdout)["state"] == "idle"

        [call] = calls_json(env=env)
        assert {"id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final"} <= call.keys()
        assert call["samples"] >= 10 and 0 < call["faces"] <= call["samples"]
        png = tmp_path / "x.png"
        assert cli("graph", call["id"], "--out", str(png), env=env).returncode == 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        if backend_has_menu:
            subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
            wait_for(lambda: popup_windows(env), timeout=10)
            subprocess.run(["xdotool", "key", "Down", "Down", "Right"], env=env)  # Today's calls
            screenshot(env, "4-todays-calls")
            subprocess.run(["xdotool", "key", "Return"], env=env)  # opens the call's graph
            title = "^Call on .* at "  # the window is titled with the call's local start and length
            found = wait_for(lambda: subprocess.run(["xdotool", "search", "--name", title], env=env,
                                                    capture_output=True, text=True).stdout.strip(), timeout=30)
            assert found, "the graph window did not open from the menu"
            screenshot(env, "5-graph-window")
            subprocess.run(["xdotool", "windowclose", found.split()[0]], env=env)

        assert json.loads(cli("pause", "30", "--json", env=env).stdout)["state"] == "paused"
        screenshot(env, "6-paused")
        assert json.loads(cli("resume", "--json", env=env).stdout)["state"] == "idle"

        # Quit from the menu in the middle of a call: the daemon ends, the call is closed out.
        started = json.loads(cli("call", "start", "--json", env=env).stdout)
        assert started["state"] == "call"
        assert wait_for(lambda: call_rows(home, started["call_id"]) >= 1, timeout=60)
        if backend_has_menu:
            subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
            assert wait_for(lambda: popup_windows(env), timeout=10)
            subprocess.run(["xdotool", "key", "Up", "Return"], env=env)  # the last item: Quit
        else:
            assert cli("stop", env=env).returncode == 0
        assert daemon.wait(20) == 0
    assert [c["id"] for c in calls_json(env=env)] == [call["id"], started["call_id"]]
    assert cli("status", env=env).returncode == 3  # not running
    assert wait_for(lambda: not tray_windows(env), timeout=5), "the icon outlived the daemon"


def test_camera_problem_shows_in_the_tray(desktop, tmp_path, home):
    env, _procs = desktop
    (home / "config.toml").write_text("[calls]\nmin_call_s = 0\n")  # a call need not outlast 5 s to be kept
    with running_daemon("--camera", "63", env=env, tray=True) as daemon:
        assert wait_for(lambda: tray_windows(env))
        call_id = json.loads(cli("call", "start", "--json", env=env).stdout)["call_id"]
        status = status_json(env)
        assert status["look"] == "problem" and "camera 63: cannot open" in status["status"]
        screenshot(env, "7-camera-problem")
        assert wait_for(lambda: call_rows(home, call_id) >= 1, timeout=60)  # a moment without a face
        assert cli("stop", env=env).returncode == 0 and daemon.wait(20) == 0
    [call] = calls_json(env=env)
    assert call["faces"] == 0 and call["samples"] >= 1  # recorded as moments without a face
