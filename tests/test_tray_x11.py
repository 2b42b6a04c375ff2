"""The daemon as an agent meets it: a real X server (Xvfb), a real tray host (trayer), a session bus,
the tray icon embedded, its menu opened with the mouse, and a call driven by the CLI.

Set TRAYAGENT_SCREENSHOTS=DIR to keep screenshots of each state for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests import videos
from tests.desktop import cli, popup_windows, screenshot, tray_windows
from tests.helpers import wait_for

TOOLS = ("Xvfb", "trayer", "dbus-daemon", "xwininfo", "xdotool")
missing = [t for t in TOOLS if shutil.which(t) is None]
if missing:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs {', '.join(missing)} (see .ci/run)")
    pytest.skip(f"needs {', '.join(missing)}", allow_module_level=True)


def test_a_call_under_a_real_tray(desktop, tmp_path, home):
    env, procs = desktop
    video = videos.record(tmp_path / "webcam.avi", [("face", videos.astronaut()), (None, None)],
                          frames_each=20).path
    daemon = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--camera", str(video)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    procs.append(daemon)
    assert wait_for(lambda: cli(env, "status").returncode == 0), "daemon never answered"
    icons = wait_for(lambda: tray_windows(env))
    log = home / "logs" / "trayagent.log"
    assert len(icons) == 1, f"the tray icon is not embedded in the tray; log:\n{log.read_text()}"
    screenshot(env, "1-idle")

    second = cli(env, "run", "--camera", str(video))
    assert second.returncode == 0 and "already running" in second.stdout

    w, h, x, y = icons[0]
    backend_has_menu = "tray backend: xorg" not in (home / "logs" / "trayagent.log").read_text()
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
        assert wait_for(lambda: json.loads(cli(env, "status", "--json").stdout)["state"] == "call", timeout=10)
    else:
        assert json.loads(cli(env, "call", "start", "--json").stdout)["state"] == "call"
    time.sleep(15)
    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["state"] == "call" and status["camera_open"]
    screenshot(env, "3-call")
    assert json.loads(cli(env, "call", "end", "--json").stdout)["state"] == "idle"

    calls = json.loads(cli(env, "calls", "--json").stdout)
    assert len(calls) == 1
    call = calls[0]
    assert {"id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final"} <= call.keys()
    assert call["samples"] >= 10 and 0 < call["faces"] <= call["samples"]
    png = tmp_path / "x.png"
    assert cli(env, "graph", call["id"], "--out", str(png)).returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    if backend_has_menu:
        subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
        wait_for(lambda: popup_windows(env), timeout=10)
        subprocess.run(["xdotool", "key", "Down", "Down", "Right"], env=env)  # Today's calls
        time.sleep(1)
        screenshot(env, "4-todays-calls")
        subprocess.run(["xdotool", "key", "Return"], env=env)  # opens the call's graph
        title = "^Call on .* at "  # the window is titled with the call's local start and length
        found = wait_for(lambda: subprocess.run(["xdotool", "search", "--name", title], env=env,
                                                capture_output=True, text=True).stdout.strip(), timeout=30)
        assert found, "the graph window did not open from the menu"
        time.sleep(1)
        screenshot(env, "5-graph-window")
        subprocess.run(["xdotool", "windowclose", found.split()[0]], env=env)

    assert json.loads(cli(env, "pause", "30", "--json").stdout)["state"] == "paused"
    time.sleep(1)
    screenshot(env, "6-paused")
    assert json.loads(cli(env, "resume", "--json").stdout)["state"] == "idle"

    # Quit from the menu in the middle of a call: the daemon ends, the call is closed out.
    assert json.loads(cli(env, "call", "start", "--json").stdout)["state"] == "call"
    time.sleep(7)
    if backend_has_menu:
        subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
        assert wait_for(lambda: popup_windows(env), timeout=10)
        subprocess.run(["xdotool", "key", "Up", "Return"], env=env)  # the last item: Quit
    else:
        assert cli(env, "stop").returncode == 0
    assert daemon.wait(20) == 0
    assert len(json.loads(cli(env, "calls", "--json").stdout)) == 2
    assert cli(env, "status").returncode == 3  # not running
    assert wait_for(lambda: not tray_windows(env), timeout=5), "the icon outlived the daemon"


def test_camera_problem_shows_in_the_tray(desktop, tmp_path, home):
    env, procs = desktop
    daemon = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--camera", "63"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs.append(daemon)
    assert wait_for(lambda: cli(env, "status").returncode == 0)
    assert wait_for(lambda: tray_windows(env))
    cli(env, "call", "start")
    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["look"] == "problem" and "camera 63: cannot open" in status["status"]
    time.sleep(1)
    screenshot(env, "7-camera-problem")
    time.sleep(5)  # past the minimum call length
    assert cli(env, "stop").returncode == 0 and daemon.wait(20) == 0
    [call] = json.loads(cli(env, "calls", "--json").stdout)
    assert call["faces"] == 0 and call["samples"] >= 1  # recorded as moments without a face
