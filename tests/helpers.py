"""What many tests do: run the trayagent CLI as a user would, run the daemon, wait for something."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

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


def status_json(env: dict[str, str] | None = None) -> dict[str, Any]:
    """`trayagent status --json`: the daemon's status, or {"state": "not running"}."""
    r = cli("status", "--json", env=env, timeout=60)
    assert r.returncode in (0, 3), r.stderr
    return json.loads(r.stdout)


def calls_json(*args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """`trayagent calls --json ARGS`: the recorded calls."""
    r = cli("calls", "--json", *args, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def call_rows(home: Path, call_id: str) -> int:
    """How many samples the call's record holds so far (each is on disk as soon as it is taken)."""
    try:
        return max(0, len((home / "calls" / f"{call_id}.csv").read_bytes().splitlines()) - 1)
    except FileNotFoundError:
        return 0


def start_daemon(*extra: str, env: dict[str, str] | None = None, tray: bool = False, wrap: Sequence[str] = (),
                 timeout: float = 60, **popen: Any) -> subprocess.Popen:
    """`trayagent run EXTRA` once it answers on its command channel: with `--no-tray` and no display
    unless `tray`; `wrap` goes before the command (strace, unshare); `popen` overrides where its
    output goes."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    command = [*wrap, sys.executable, "-m", "trayagent", "run", *([] if tray else ["--no-tray"]), *extra]
    proc = subprocess.Popen(command, env=env, **{"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **popen})
    deadline = time.monotonic() + timeout
    while cli("status", env=env, timeout=60).returncode != 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            why = "no answer" if proc.poll() is None else f"exit code {proc.returncode}"
            stop_daemon(proc, env)
            log = Path(env.get("TRAYAGENT_HOME", "")) / "logs" / "trayagent.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else "(no log)"
            raise AssertionError(f"the daemon did not start ({why} in {timeout:g} s); its log ends:\n{tail}")
        time.sleep(0.2)
    return proc


def stop_daemon(proc: subprocess.Popen, env: dict[str, str] | None = None, timeout: float = 30) -> int | None:
    """`trayagent stop`, then wait for the process; killed if it outlives `timeout`. Its exit code,
    None where it had to be killed."""
    if proc.poll() is None:
        cli("stop", env=env, timeout=60)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


@contextmanager
def running_daemon(*extra: str, env: dict[str, str] | None = None, **kw: Any) -> Iterator[subprocess.Popen]:
    """The daemon (`start_daemon`'s arguments) for the `with` block; stopped and waited for after
    it, whatever happened in it (a test may stop or kill it itself)."""
    proc = start_daemon(*extra, env=env, **kw)
    try:
        yield proc
    finally:
        code = stop_daemon(proc, env)
    assert code is not None, "the daemon did not stop when asked"
