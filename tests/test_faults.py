"""Faults an office PC throws at the daemon, on the real process: it survives, says what is wrong,
and loses no recorded data."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests import videos
from tests.helpers import call_rows, calls_json, cli, running_daemon, status_json, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def camera_video(tmp_path):
    return videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path


def test_crash_mid_call_is_closed_out_at_the_next_start(camera_video, home):
    (home / "config.toml").write_text("[calls]\nmin_call_s = 0\n")  # any call is kept: no need to outlast 5 s
    with running_daemon("--camera", str(camera_video)) as proc:
        call_id = json.loads(cli("call", "start", "--json").stdout)["call_id"]
        assert wait_for(lambda: call_rows(home, call_id) >= 10, timeout=60)
        os.kill(proc.pid, signal.SIGKILL)  # power cut, crash, task manager
        proc.wait(10)
    rows = call_rows(home, call_id)
    with running_daemon("--camera", str(camera_video)):
        [call] = calls_json()
        assert call["id"] == call_id and call["samples"] == rows >= 10
        assert "left open by an earlier crash" in (home / "logs" / "trayagent.log").read_text()


def test_a_call_cut_off_by_a_crash_is_listed_before_the_next_start(camera_video, home):
    (home / "config.toml").write_text("[calls]\nmin_call_s = 0\n")
    with running_daemon("--camera", str(camera_video)) as proc:
        call_id = json.loads(cli("call", "start", "--json").stdout)["call_id"]
        assert wait_for(lambda: call_rows(home, call_id) >= 4, timeout=60)
        assert calls_json() == []  # being recorded: not listed until it ends
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    [call] = calls_json()  # its writer gone, its file intact: listed, summed up from its rows
    assert call["id"] == call_id and call["samples"] == call_rows(home, call_id)


def test_a_hotkey_that_cannot_be_understood_shows_in_the_tray(camera_video, home):
    (home / "config.toml").write_text('[calls]\nhotkey = "ctrl+alt+nokey"\n')
    with running_daemon("--camera", str(camera_video)):
        s = status_json()
        assert s["look"] == "problem" and 'calls.hotkey = "ctrl+alt+nokey": unknown key "nokey"' in s["status"], s
        assert json.loads(cli("call", "start", "--json").stdout)["camera_open"]  # calls still work by command
        cli("call", "end")


def test_broken_settings_run_on_defaults_and_say_so(camera_video, home):
    settings = "[camera]\nfps = 'lots'\n[calls]\nmin_call_s = 0\n"
    (home / "config.toml").write_text(settings)
    with running_daemon("--camera", str(camera_video)):
        s = status_json()
        assert s["look"] == "problem" and "camera.fps = 'lots' is not allowed" in s["status"]
        call_id = json.loads(cli("call", "start", "--json").stdout)["call_id"]
        assert wait_for(lambda: call_rows(home, call_id) >= 10, timeout=60)
        cli("call", "end")
        [call] = calls_json()
        assert call["samples"] >= 10  # at the default 2 frames a second
        assert (home / "config.toml").read_text() == settings  # the user's file is untouched


def test_corrupt_model_keeps_the_daemon_up_and_the_camera_closed(camera_video, home, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model" * 100)
    with running_daemon("--camera", str(camera_video), "--model", str(bad)) as proc:
        s = status_json()
        assert s["look"] == "problem" and "bad.onnx: not a usable ONNX model" in s["status"]
        cli("call", "start")
        # Nothing to wait for: the camera must stay closed. Two of the controller's 1 s polls (a sleep that stays).
        time.sleep(2)
        s = status_json()
        assert not s["camera_open"] and s["look"] == "problem"
        assert proc.poll() is None
