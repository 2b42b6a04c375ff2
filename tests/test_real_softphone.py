"""A real softphone through two calls: baresip (its microphone a PulseAudio null source, answering
automatically) called twice by sipp on loopback, 1.5 s apart, with the real daemon watching.

Each call must be its own record, ending within a second of its hang-up (sipp sends BYE, baresip
closes its capture stream). Linux only; needs baresip-core, sip-tester and libasound2-plugins (ALSA
into PulseAudio), which CI installs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import calls_json, running_daemon, status_json, wait_for
from tests.pulse import stop

pytestmark = pytest.mark.slow

CALL_S = 7  # how long sipp stays in each call before hanging up: over calls.min_call_s (5 s)
GAP_S = 1.5


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_baresip(folder: Path, port: int) -> subprocess.Popen:
    """baresip listening on loopback, answering every call at once, sound through ALSA's pulse device."""
    folder.mkdir()
    (folder / "config").write_text(
        f"sip_listen 127.0.0.1:{port}\n"
        "audio_player alsa,pulse\naudio_source alsa,pulse\naudio_alert alsa,pulse\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule alsa.so\nmodule_tmp account.so\n")
    (folder / "accounts").write_text(f"<sip:agent@127.0.0.1:{port}>;regint=0;answermode=auto\n")
    log = (folder / "baresip.log").open("w")
    proc = subprocess.Popen(["baresip", "-f", str(folder)], stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    if not wait_for(lambda: "baresip is ready" in (folder / "baresip.log").read_text(), 15):
        stop(proc)
        pytest.fail(f"baresip did not start:\n{(folder / 'baresip.log').read_text()}")
    return proc


def call(port: int, folder: Path) -> datetime:
    """One call from sipp: INVITE, answered, CALL_S s of call, BYE. Returns when it hung up."""
    done = subprocess.run(["sipp", "-sn", "uac", f"127.0.0.1:{port}", "-s", "agent", "-m", "1",
                           "-d", str(CALL_S * 1000), "-i", "127.0.0.1", "-p", str(free_udp_port()),
                           "-timeout", "30s", "-nostdin"],
                          cwd=folder, capture_output=True, text=True, timeout=60)
    hung_up = datetime.now().astimezone()  # sipp exits as soon as the BYE is answered
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return hung_up


def state() -> str:
    return status_json()["state"]


def test_two_real_sip_calls_a_moment_apart_are_two_records_ending_at_their_hang_ups(pulse, tmp_path, home):
    if not sys.platform.startswith("linux"):
        pytest.skip("baresip on loopback runs on Linux")
    missing = [t for t in ("baresip", "sipp") if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} not installed (Debian/Ubuntu: apt install baresip-core sip-tester)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    subprocess.run(["pactl", "set-default-source", "fakemic"], check=True, capture_output=True, timeout=5)
    subprocess.run(["pactl", "set-default-sink", "speakers"], check=True, capture_output=True, timeout=5)
    port = free_udp_port()
    phone = start_baresip(pulse / "baresip", port)
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    try:
        with running_daemon("--camera", str(video)):
            assert state() == "idle"
            # Nothing to wait for: no call must start while baresip sits registered and idle, for
            # calls.start_confirm_s (2 s) (a sleep that stays).
            time.sleep(2)
            assert state() == "idle"
            hang_ups = [call(port, tmp_path)]
            time.sleep(GAP_S)  # the next caller, as an auto-answering queue would put them through (the scenario)
            hang_ups.append(call(port, tmp_path))
            assert wait_for(lambda: state() == "idle", 15), "the second call did not end"
            calls = calls_json()
            assert len(calls) == 2, calls
            for c, hung_up in zip(calls, hang_ups):
                end = datetime.fromisoformat(c["end"])
                assert abs((end - hung_up).total_seconds()) < 1.0, (c, hung_up)
                assert c["duration_s"] == pytest.approx(CALL_S, abs=1.0)
                assert c["samples"] >= 4
    finally:
        stop(phone)
