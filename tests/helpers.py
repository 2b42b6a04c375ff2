"""What many tests do: run the trayagent CLI as a user would, start the daemon, wait for something."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300, encoding: str | None = None) -> subprocess.CompletedProcess:
    """`trayagent ARGS` in a process of its own, in this test's environment (its data folder);
    its output read in `encoding` (default: this locale's)."""
    return subprocess.run([sys.executable, "-m", "trayagent", *args], capture_output=True, text=True, cwd=cwd,
                          env=env if env is not None else os.environ.copy(), timeout=timeout, encoding=encoding)


def wait_for(check: Callable[[], T], timeout: float = 10.0, step: float = 0.1) -> T:
    """Poll `check` until it returns something true or `timeout` passes; its last value either way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()


def start_daemon(*extra: str) -> subprocess.Popen:
    """`trayagent run --no-tray` with no display, once it answers on its command channel."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--no-tray", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while cli("status").returncode != 0:
        assert proc.poll() is None and time.monotonic() < deadline, "daemon did not start"
        time.sleep(0.2)
    return proc
