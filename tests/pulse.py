"""A private PulseAudio for tests of the microphone signal: a null source stands in for the mic."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import wait_for


def need_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} not installed (Debian/Ubuntu: apt install pulseaudio pulseaudio-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_recorder(folder: Path, name: str, source: str) -> subprocess.Popen:
    """parecord started through a symlink, so the process is called `name` (psutil reads the
    symlink's name). pacat picks playback or recording from its own name, hence --record."""
    (folder / "bin").mkdir(exist_ok=True)
    link = folder / "bin" / name
    link.symlink_to(shutil.which("parecord"))
    return subprocess.Popen([str(link), "--record", f"--device={source}", "--raw", os.devnull],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def running_pulse(monkeypatch) -> Iterator[Path]:
    """A private PulseAudio with a null source "fakemic"; pactl and parecord in this test talk to it
    only. Yields a folder for the test's own files. The server is stopped whatever the test does."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PulseAudio integration runs on Linux")
    need_tools("pulseaudio", "pactl", "parecord")
    # Short path: the server's unix socket path must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="ta-pulse-"))
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    for k, v in {"XDG_RUNTIME_DIR": runtime, "PULSE_RUNTIME_PATH": runtime / "pulse", "HOME": root,
                 "PULSE_SERVER": f"unix:{runtime / 'pulse' / 'native'}"}.items():
        monkeypatch.setenv(k, str(v))
    monkeypatch.delenv("PULSE_COOKIE", raising=False)
    log = (root / "pulseaudio.log").open("w")
    server = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
         "--log-target=stderr", "--load=module-native-protocol-unix auth-anonymous=1"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def ready() -> bool:
            return subprocess.run(["pactl", "info"], capture_output=True, timeout=5).returncode == 0

        if not wait_for(ready, 15):
            pytest.fail(f"PulseAudio did not come up; its log:\n{(root / 'pulseaudio.log').read_text()}")
        for module in (["module-null-source", "source_name=fakemic"], ["module-null-sink", "sink_name=speakers"]):
            subprocess.run(["pactl", "load-module", *module], check=True, capture_output=True, timeout=5)
        yield root
    finally:
        stop(server)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
