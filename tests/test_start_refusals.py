"""Every refusal to start says why and how to fix it in one line, even with no terminal (issue 12,
items 13 and 14): the daemon's output goes to a pipe here, as it does when it is started at login."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import cli, running_daemon

pytestmark = pytest.mark.slow  # each case starts the daemon's process
posix_only = pytest.mark.skipif(os.name != "posix", reason="Unix socket paths")


def run_daemon(env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess:
    """`trayagent run --no-tray` with stdout and stderr on pipes; `prelude` runs first (fault injection)."""
    env = {k: v for k, v in (env or os.environ).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    code = f"{prelude}\nimport sys\nfrom trayagent.cli import main\nsys.exit(main(['run', '--no-tray']))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def one_line_refusal(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode not in (0, None), proc
    assert "Traceback" not in proc.stderr and "Logging error" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_an_instance_lock_that_is_a_folder(home):
    (home / "run" / "instance.lock").mkdir(parents=True)
    one_line_refusal(run_daemon(), "instance.lock", "remove")


@posix_only
def test_a_command_socket_that_is_a_folder(home):
    (home / "run" / "command.sock").mkdir(parents=True)
    one_line_refusal(run_daemon(), "command.sock", "remove that folder")


def test_a_folder_in_place_of_the_calls_index_does_not_stop_the_daemon(home):
    """The index is rebuilt from the call files on every read (issue #21), so a calls.csv that
    cannot be read is no reason to refuse: the daemon starts and leaves the folder alone."""
    (home / "calls.csv").mkdir()  # unreadable for root too
    with running_daemon():
        assert cli("status").returncode == 0
        assert cli("calls").returncode == 0
    assert (home / "calls.csv").is_dir()


@posix_only
def test_a_data_folder_too_long_for_a_socket_is_refused_clearly_and_doctor_says_so(tmp_path):
    long_home = tmp_path / ("데이터" * 12)  # Hangul: 3 bytes a letter
    env = {**os.environ, "TRAYAGENT_HOME": str(long_home)}
    env.pop("XDG_RUNTIME_DIR", None)
    one_line_refusal(run_daemon(env), "too long", "TRAYAGENT_HOME")
    doctor = cli("doctor", "--no-camera", env=env)
    assert "too long" in doctor.stdout and doctor.returncode == 1


@posix_only
def test_a_long_data_folder_uses_the_private_runtime_folder(tmp_path, monkeypatch):
    # A short private folder, as /run/user/UID is: one under pytest's folder (longer still under
    # pytest-xdist) leaves no room for the socket's name either.
    runtime = Path(tempfile.mkdtemp(prefix="xdg-"))  # mode 0700
    monkeypatch.setenv("TRAYAGENT_HOME", str(tmp_path / ("데이터" * 12)))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    try:
        with running_daemon():
            assert cli("status").returncode == 0
            assert [p.suffix for p in runtime.iterdir()] == [".sock"]
    finally:
        shutil.rmtree(runtime)


def test_disk_full_at_start_is_one_line(home):
    """The command key cannot be written and neither can the log: no daemon, and one line saying so."""
    prelude = """
import errno, logging.handlers
from trayagent.daemon import ipc_address

def full(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")

class FullStream:
    def write(self, text):
        full()
    def flush(self):
        full()
    def seek(self, *args):
        return 0
    def tell(self):
        return 0
    def close(self):
        pass

ipc_address.open_private = full
logging.handlers.RotatingFileHandler._open = lambda self: FullStream()
"""
    proc = run_daemon(prelude=prelude)
    assert "Traceback" not in proc.stderr and "Logging error" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "command.key" in last and "No space left on device" in last and "free some disk space" in last
    assert len(proc.stderr.strip().splitlines()) <= 2  # and at most one line about the log


def test_a_controller_that_keeps_failing_ends_the_daemon_with_a_reason(home, tmp_path):
    prelude = """
from trayagent.daemon import controller

def broken(self):
    raise RuntimeError("broken on purpose")

controller.Controller.run = broken
"""
    proc = run_daemon(prelude=prelude)
    one_line_refusal(proc, "broken on purpose", "log")
