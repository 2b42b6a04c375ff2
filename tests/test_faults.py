"""Faults an office PC throws at the daemon, on the real process: it survives, says what is wrong,
and loses no recorded data."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests import videos
from tests.helpers import cli, start_daemon


def status() -> dict:
    return json.loads(cli("status", "--json").stdout)


@pytest.fixture
def camera_video(tmp_path):
    return videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path


def test_crash_mid_call_is_closed_out_at_the_next_start(camera_video, home):
    proc = start_daemon("--camera", str(camera_video))
    cli("call", "start")
    time.sleep(8)
    os.kill(proc.pid, signal.SIGKILL)  # power cut, crash, task manager
    proc.wait(10)
    assert json.loads(cli("calls", "--json").stdout) == []  # not closed yet: no index row
    rows = len(next((home / "calls").glob("*.csv")).read_text().splitlines()) - 1
    proc = start_daemon("--camera", str(camera_video))
    try:
        [call] = json.loads(cli("calls", "--json").stdout)
        assert call["samples"] == rows >= 10
        assert "left open by an earlier crash" in (home / "logs" / "trayagent.log").read_text()
    finally:
        cli("stop")
        proc.wait(20)


def test_a_hotkey_that_cannot_be_understood_shows_in_the_tray(camera_video, home):
    (home / "config.toml").write_text('[calls]\nhotkey = "ctrl+alt+nokey"\n')
    proc = start_daemon("--camera", str(camera_video))
    try:
        s = status()
        assert s["look"] == "problem" and 'calls.hotkey = "ctrl+alt+nokey": unknown key "nokey"' in s["status"], s
        assert json.loads(cli("call", "start", "--json").stdout)["camera_open"]  # calls still work by command
        cli("call", "end")
    finally:
        cli("stop")
        proc.wait(20)


def test_broken_settings_run_on_defaults_and_say_so(camera_video, home):
    (home / "config.toml").write_text("[camera]\nfps = 'lots'\n")
    proc = start_daemon("--camera", str(camera_video))
    try:
        s = status()
        assert s["look"] == "problem" and "camera.fps = 'lots' is not allowed" in s["status"]
        cli("call", "start")
        time.sleep(7)
        cli("call", "end")
        [call] = json.loads(cli("calls", "--json").stdout)
        assert call["samples"] >= 10  # the default 2 frames a second
        assert (home / "config.toml").read_text() == "[camera]\nfps = 'lots'\n"  # the user's file is untouched
    finally:
        cli("stop")
        proc.wait(20)


def test_corrupt_model_keeps_the_daemon_up_and_the_camera_closed(camera_video, home, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model" * 100)
    proc = start_daemon("--camera", str(camera_video), "--model", str(bad))
    try:
        s = status()
        assert s["look"] == "problem" and "bad.onnx: not a usable ONNX model" in s["status"]
        cli("call", "start")
        time.sleep(2)
        s = status()
        assert not s["camera_open"] and s["look"] == "problem"
        assert proc.poll() is None
    finally:
        cli("stop")
        proc.wait(20)
