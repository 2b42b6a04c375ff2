"""A call started and ended by nothing but a softphone using the microphone: the real daemon, a
real PulseAudio with a null source, and a fake softphone called `microsip`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests import videos
from tests.helpers import cli, wait_for
from tests.pulse import start_recorder, stop


def state() -> str:
    r = cli("status", "--json")
    return json.loads(r.stdout)["state"] if r.returncode == 0 else "down"


def test_softphone_on_the_microphone_starts_and_ends_a_call(pulse, tmp_path, home):
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    daemon = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--no-tray", "--camera", str(video)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    phone = None
    try:
        assert wait_for(lambda: state() == "idle", 30)
        time.sleep(3)
        assert state() == "idle"  # no softphone: no call

        phone = start_recorder(pulse, "microsip", "fakemic")
        assert wait_for(lambda: state() == "call", 15), "the softphone's recording did not start a call"
        time.sleep(6)  # longer than the minimum call
        os.kill(phone.pid, signal.SIGKILL)
        phone.wait(5)
        assert wait_for(lambda: state() == "idle", 15), "the call did not end with the softphone"

        calls = json.loads(cli("calls", "--json").stdout)
        assert len(calls) == 1 and calls[0]["samples"] >= 8
    finally:
        if phone:
            stop(phone)
        cli("stop")
        stop(daemon)
