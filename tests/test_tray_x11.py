"""The daemon as an agent meets it: a real X server (Xvfb), a real tray host (trayer), a session bus,
the tray icon embedded, its menu opened with the mouse, and a call driven by the CLI.

Set TRAYAGENT_SCREENSHOTS=DIR to keep screenshots of each state for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import wait_for

TOOLS = ("Xvfb", "trayer", "dbus-daemon", "xwininfo", "xdotool")
missing = [t for t in TOOLS if shutil.which(t) is None]
if missing:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs {', '.join(missing)} (see .ci/run)")
    pytest.skip(f"needs {', '.join(missing)}", allow_module_level=True)


def _start(cmd: list[str], env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, **kw)


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a free display; the display number is read up to its newline."""
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    os.close(w)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(r, 16)
        if not chunk:
            break
        number += chunk
    os.close(r)
    return xvfb, number.decode().strip()


@pytest.fixture
def desktop(home, tmp_path):
    """Xvfb + a session bus + trayer; yields the environment to run trayagent in."""
    env = os.environ.copy()
    procs: list[subprocess.Popen] = []
    bus_pid = None
    try:
        for _ in range(3):
            xvfb, display = _xvfb()
            procs.append(xvfb)
            env["DISPLAY"] = f":{display}"
            if display and wait_for(lambda: subprocess.run(["xwininfo", "-root"], env=env,
                                                           capture_output=True).returncode == 0, timeout=15):
                break
        else:
            pytest.fail("Xvfb did not come up")
        bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                             capture_output=True, text=True, env=env, check=True).stdout.split()
        env["DBUS_SESSION_BUS_ADDRESS"], bus_pid = bus[0], int(bus[1])
        procs.append(_start(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height",
                             "40", "--transparent", "false", "--tint", "0xdddddd", "--SetDockType", "true"], env))
        assert wait_for(lambda: '"panel": ("panel" "trayer")' in subprocess.run(
            ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True).stdout, timeout=30), "no tray host"
        yield env, procs
    finally:
        for p in reversed(procs):
            _stop(p)
        if bus_pid:
            os.kill(bus_pid, signal.SIGTERM)


def tray_windows(env) -> list[tuple[int, int, int, int]]:
    """(w, h, x, y) of windows embedded in trayer's panel: the tray icons."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env).stdout
    icons, in_panel = [], False
    for line in tree.splitlines():
        if '"panel": ("panel" "trayer")' in line:
            in_panel = True
            continue
        if in_panel and re.match(r"\s{5}0x", line):  # back at the root's children: panel is over
            break
        m = re.search(r"\s(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(\d+)\+(\d+)$", line)
        if in_panel and m and "(has no name)" not in line:  # trayer's own frames have no name
            icons.append(tuple(int(g) for g in m.groups()))
    return icons


def popup_windows(env) -> list[tuple[int, int]]:
    tree = subprocess.run(["xwininfo", "-root", "-children"], capture_output=True, text=True, env=env).stdout
    sizes = [tuple(map(int, m.groups())) for m in re.finditer(r"\s(\d+)x(\d+)\+\d+\+\d+\s", tree)]
    return [(w, h) for w, h in sizes if w >= 100 and h >= 100 and (w, h) != (800, 600)]


def cli(env, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trayagent", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def screenshot(env, name: str) -> None:
    folder = os.environ.get("TRAYAGENT_SCREENSHOTS")
    if folder and shutil.which("import"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(Path(folder) / f"{name}.png")], env=env, timeout=30)


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
