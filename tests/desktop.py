"""A real X desktop for tray tests: Xvfb, a session bus and trayer as the tray host, and what a
person does there (find the icon, open its menu, take a screenshot)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import wait_for


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


def start_xvfb(width: int = 800, height: int = 600) -> tuple[subprocess.Popen, str]:
    """Xvfb on a free display; the display number is read up to its newline."""
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
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


def running_desktop():
    """Xvfb + a session bus + trayer; yields the environment to run trayagent in."""
    env = os.environ.copy()
    procs: list[subprocess.Popen] = []
    bus_pid = None
    try:
        for _ in range(3):
            xvfb, display = start_xvfb()
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


def screenshot(env, name: str) -> None:
    """The screen as TRAYAGENT_SCREENSHOTS/name.png, if that is set, for a person to look at."""
    folder = os.environ.get("TRAYAGENT_SCREENSHOTS")
    if folder and shutil.which("import"):
        # Menus, icons and windows are drawn after they map or change, and nothing says when: a
        # sleep that stays, only when a picture is taken (no test checks the pixels).
        time.sleep(1)
        Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(Path(folder) / f"{name}.png")], env=env, timeout=30)
