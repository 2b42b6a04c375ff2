"""A call started and ended by nothing but a softphone using the microphone: the real daemon, a
real PulseAudio with a null source, and a fake softphone called `microsip`."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests import videos
from tests.helpers import call_rows, calls_json, running_daemon, status_json, wait_for
from tests.pulse import start_recorder, stop

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # its softphone would start calls in daemons beside it


def state() -> str:
    return status_json()["state"]


def test_softphone_on_the_microphone_starts_and_ends_a_call(pulse, tmp_path, home):
    (home / "config.toml").write_text("[calls]\nmin_call_s = 0\n")  # the call need not outlast 5 s
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    phone = None
    with running_daemon("--camera", str(video)):
        try:
            assert state() == "idle"
            # Nothing to wait for: no call must start. Longer than calls.start_confirm_s (2 s) and a
            # 1 s poll (a sleep that stays).
            time.sleep(3)
            assert state() == "idle"  # no softphone: no call

            phone = start_recorder(pulse, "microsip", "fakemic")
            assert wait_for(lambda: state() == "call", 15), "the softphone's recording did not start a call"
            call_id = status_json()["call_id"]
            # two rows to spare: the frames read after the microphone closed are cut from the record
            assert wait_for(lambda: call_rows(home, call_id) >= 6, 60)
            os.kill(phone.pid, signal.SIGKILL)
            phone.wait(5)
            assert wait_for(lambda: state() == "idle", 15), "the call did not end with the softphone"

            [call] = calls_json()
            assert call["id"] == call_id and call["samples"] >= 4
        finally:
            if phone:
                stop(phone)
