"""The daemon's controller, headless: fake camera, fake clock, real pipeline, real recording."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests import videos
from tests.fakes import Rig
from trayagent.daemon.controller import Controller
from trayagent.daemon.recorder import RECORDING_RETRY_S
from trayagent.perception.cv import cv2
from trayagent.storage.calls import RecordingError, read_samples

FACE_FRAME = videos.paste(videos.background(), videos.astronaut())
EMPTY_FRAME = videos.background()


@pytest.fixture
def rig(tmp_path, perception) -> Rig:
    return Rig.build(tmp_path, perception, FACE_FRAME)  # settings: none unless a test writes them first


def test_camera_is_open_only_during_a_call(rig):
    rig.advance(30)
    assert rig.cam.opened == 0
    rig.ctl.handle("start")
    assert rig.cam.is_open
    for _ in range(40):
        rig.advance(0.25)
        assert rig.cam.is_open
    rig.ctl.handle("end")
    assert not rig.cam.is_open and rig.cam.opened == rig.cam.closed == 1
    rig.advance(30)
    assert rig.cam.opened == 1
    [call] = rig.store.calls()
    assert call.samples == pytest.approx(20, abs=1)  # 2 frames a second for 10 s
    assert call.faces == call.samples


def test_automatic_signal_starts_and_ends_a_call_after_debounce(rig):
    rig.signal.on = True
    rig.advance(1.5)
    assert rig.ctl.call is None  # not yet confirmed (2 s)
    rig.advance(1.5)
    assert rig.ctl.call is not None
    rig.advance(20)
    rig.signal.on = False
    rig.advance(2)
    assert rig.ctl.call is not None  # a short silence is not the end
    rig.advance(2)
    assert rig.ctl.call is None and not rig.cam.is_open
    assert len(rig.store.calls()) == 1


def test_the_index_and_icon_follow_the_faces(rig):
    rig.ctl.handle("start")
    rig.advance(5)
    status = rig.ctl.status()
    assert status.in_call and status.index == pytest.approx(rig.ctl.call.stats.index)
    assert status.look in ("calm", "elevated", "alert")
    assert "On call 00:05" in status.line


def test_a_frame_without_a_face_is_recorded_as_such(rig):
    rig.cam.frame = EMPTY_FRAME
    rig.ctl.handle("start")
    rig.advance(6)
    rig.ctl.handle("end")
    samples = list(read_samples(rig.store.call_path(rig.store.calls()[0].id)))
    assert samples and all(s.emotion is None and s.stress == 0.0 for s in samples)


def test_missing_camera_records_no_face_samples_and_retries_with_backoff(rig):
    rig.cam.fail_open = "camera 0: cannot open (unplugged, or in use by another app)"
    rig.ctl.handle("start")
    assert rig.ctl.status().look == "problem" and "camera unavailable" in rig.ctl.status().line
    rig.advance(10)
    assert rig.cam.opened == 0
    rig.cam.fail_open = None
    rig.advance(20)  # retried: 1, 2, 4, 8 s apart, so within 16 s of the problem
    assert rig.cam.is_open and rig.ctl.status().look != "problem"
    rig.ctl.handle("end")
    call = rig.store.calls()[0]
    assert call.samples > call.faces > 0


def test_camera_unplugged_mid_call_is_survived(rig):
    rig.ctl.handle("start")
    rig.advance(5)
    rig.cam.fail_read = "camera 0: stopped delivering frames"
    rig.advance(1)
    assert not rig.cam.is_open and rig.ctl.call is not None
    assert rig.ctl.status().look == "problem"
    rig.cam.fail_read = None
    rig.advance(5)
    assert rig.cam.is_open
    rig.ctl.handle("end")
    assert rig.store.calls()[0].faces < rig.store.calls()[0].samples


def test_pause_ends_the_call_and_ignores_signals_until_it_runs_out(rig):
    rig.ctl.handle("start")
    rig.advance(10)
    rig.ctl.handle("pause", minutes=30)
    assert rig.ctl.call is None and not rig.cam.is_open
    assert rig.ctl.status().look == "paused" and "Paused until 10:30" in rig.ctl.status().line
    rig.signal.on = True
    rig.advance(29 * 60, step=1)
    assert rig.ctl.call is None
    rig.advance(2 * 60, step=1)
    assert rig.ctl.call is not None  # pause over: the busy softphone starts a call


def test_short_calls_are_dropped(rig):
    rig.ctl.handle("start")
    rig.advance(3)
    rig.ctl.handle("end")
    assert rig.store.calls() == [] and not list(rig.store.dir.glob("*.csv"))


@pytest.fixture
def low_bands(tmp_path):
    """The user's settings put the alert band below any index: written before `rig` reads them."""
    _write(tmp_path / "user.toml", "[stress]\ncalm_below = -2\nalert_from = -1\n")


def test_a_call_ending_in_the_alert_band_suggests_a_break(low_bands, rig):
    rig.ctl.handle("start")
    rig.advance(10)
    rig.ctl.handle("end")
    assert len(rig.view.notes) == 1 and "break" in rig.view.notes[0][0].lower()


def test_stop_closes_the_open_call(rig):
    rig.ctl.handle("start")
    rig.advance(8)
    rig.ctl.post("stop")
    t = threading.Thread(target=rig.ctl.run)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert not rig.cam.is_open and len(rig.store.calls()) == 1


def test_disk_full_stops_recording_but_not_the_daemon(rig, monkeypatch):
    rig.ctl.handle("start")
    rig.advance(6)
    written = rig.store.call_path(rig.ctl.call.writer.id).read_text()

    def full(_sample):
        raise RecordingError(f"{rig.ctl.call.writer.path}: cannot write the call record (No space left on device)")

    monkeypatch.setattr(rig.ctl.call.writer, "write", full)
    rig.advance(4)
    assert rig.ctl.call is not None and "No space left" in rig.ctl.recorder.problem
    assert rig.store.call_path(rig.ctl.call.writer.id).read_text() == written  # nothing already written is lost
    rig.ctl.handle("end")
    assert len(rig.store.calls()) == 1  # the index could be written: the call is listed


def test_wall_clock_jumps_do_not_bend_the_record(rig):
    rig.ctl.handle("start")
    rig.advance(10)
    rig.clock.wall_shift = timedelta(seconds=-45)  # someone sets the clock back
    rig.advance(10)
    rig.ctl.handle("end")
    [call] = rig.store.calls()
    assert call.duration_s == pytest.approx(20, abs=0.6)
    times = [s.time for s in read_samples(rig.store.call_path(call.id))]
    assert times == sorted(times)


def test_sleep_during_a_call_ends_it_as_of_before_the_sleep(rig):
    rig.ctl.handle("start")
    rig.advance(12)
    rig.clock.wall_shift = timedelta(hours=2)  # suspended: wall time went on, monotonic did not
    rig.advance(1)
    assert rig.ctl.call is None and not rig.cam.is_open
    [call] = rig.store.calls()
    assert call.duration_s == pytest.approx(12, abs=0.6)


def test_frozen_process_with_a_monotonic_gap_is_treated_like_sleep(rig):
    rig.ctl.handle("start")
    rig.advance(12)
    rig.clock.t += 600  # Windows: the monotonic clock counts the sleep too
    rig.ctl.tick()
    assert rig.ctl.call is None
    assert rig.store.calls()[0].duration_s == pytest.approx(12, abs=0.6)


def test_an_installer_quit_request_ends_the_daemon_with_the_call_closed_out(rig, home):
    stale = home / "quit.request"  # TRAYAGENT_POLICY points into home in tests
    stale.write_text("")
    os.utime(stale, (rig.ctl.started_wall - 60, rig.ctl.started_wall - 60))
    rig.ctl.handle("start")
    rig.advance(8)
    assert not rig.ctl.stopped.is_set()  # a request from before this start is not for us
    os.utime(stale, None)
    rig.advance(1.5)
    assert rig.ctl.stopped.is_set()
    t = threading.Thread(target=rig.ctl.run)
    t.start()
    t.join(10)
    assert not rig.cam.is_open and len(rig.store.calls()) == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- truthful replies (issue 12, item 4) -------------------------------------------------------------
def test_a_busy_controller_withdraws_what_it_did_not_do(rig):
    reply = rig.ctl.ask("toggle", timeout_s=0.05)  # the loop is busy elsewhere (here: not running yet)
    assert reply["ok"] is False and "nothing was done" in reply["error"]
    rig.ctl.post("stop")
    t = threading.Thread(target=rig.ctl.run)
    t.start()
    t.join(10)
    assert rig.cam.opened == 0 and rig.store.calls() == []  # the toggle the asker was told failed never ran


def test_a_command_taken_late_answers_with_what_happened(rig, monkeypatch):
    import time

    from trayagent.core.requests import Command

    def slow_toggle(self) -> None:  # taken at once, but takes longer than the asker's patience
        time.sleep(0.5)  # the slow work itself (a sleep that stays): five times the asker's 0.1 s
        Controller.toggle(self)

    monkeypatch.setitem(Controller._METHODS, Command.TOGGLE, slow_toggle)
    t = threading.Thread(target=rig.ctl.run)
    t.start()
    try:
        reply = rig.ctl.ask("toggle", timeout_s=0.1)
        assert reply["ok"] is True and reply["state"] == "call"
    finally:
        rig.ctl.post("stop")
        t.join(10)


# ---- disk full mid-call (issue 12, item 13) ----------------------------------------------------------
@pytest.fixture
def disk(monkeypatch):
    """The disk fills and frees at the test's word: every write of a data file fails meanwhile."""
    import errno

    from trayagent.storage import rows

    state = {"full": False}
    real = rows.write_all

    def write_all(fd, data):
        if state["full"]:
            e = OSError(errno.ENOSPC, "No space left on device")
            e.written = 0
            raise e
        return real(fd, data)

    monkeypatch.setattr(rows, "write_all", write_all)
    return state


def test_disk_full_mid_call_shows_at_once_and_clears_when_writing_works(rig, disk):
    rig.ctl.handle("start")
    rig.advance(5)
    disk["full"] = True
    rig.advance(2)
    s = rig.ctl.status()
    assert s.in_call and s.look == "problem" and "recording stopped" in s.line and "No space left" in s.line
    rows = len(rig.store.call_path(rig.ctl.call.writer.id).read_text().splitlines())
    disk["full"] = False
    rig.advance(RECORDING_RETRY_S + 1)
    s = rig.ctl.status()
    assert s.look != "problem" and "recording stopped" not in s.line
    assert len(rig.store.call_path(rig.ctl.call.writer.id).read_text().splitlines()) > rows  # recording again
    rig.ctl.handle("end")
    assert [c.samples for c in rig.store.calls()] and rig.ctl.status().look == "idle"


def test_an_index_full_at_call_end_is_written_once_space_returns(rig, disk):
    rig.ctl.handle("start")
    rig.advance(6)
    disk["full"] = True
    rig.ctl.handle("end")
    [listed] = rig.store.calls()  # from its own file meanwhile: its row cannot be written yet
    assert rig.ctl.status().look == "problem"
    disk["full"] = False
    rig.advance(RECORDING_RETRY_S + 1)
    assert [c.id for c in rig.store.calls()] == [listed.id] and rig.ctl.status().look == "idle"
    assert len(rig.store.index_path.read_text().splitlines()) == 2  # written once


def _relaxed_face(publictest, perception) -> object:
    """A FER2013 publictest neutral face that the model reads as neutral most surely."""
    from trayagent.core.emotions import FER7, PRODUCT4

    images, labels = publictest
    neutral = images[labels == FER7.index("neutral")][:60]
    probs = perception.classifier.product(perception.classifier.predict(list(neutral)))
    return neutral[int(probs[:, PRODUCT4.index("neutral")].argmax())]


@pytest.fixture
def calibration_rig(tmp_path, home, publictest) -> Rig:
    from trayagent.perception.pipeline import Perception

    perception = Perception()  # its own: calibrating changes what it reads
    face = cv2.cvtColor(_relaxed_face(publictest, perception), cv2.COLOR_GRAY2BGR)
    return Rig.build(tmp_path, perception, videos.paste(videos.background(), face))


def test_calibrating_from_the_tray_opens_the_camera_about_ten_seconds_and_stores_numbers(calibration_rig, home):
    from trayagent import paths

    rig = calibration_rig
    assert rig.perception.calibration is None
    rig.ctl.handle("calibrate")
    assert rig.cam.is_open and rig.ctl.status().line.startswith("Calibrating")
    rig.advance(9.5)
    assert rig.cam.is_open  # still measuring
    rig.advance(1.0)
    assert not rig.cam.is_open and rig.cam.opened == rig.cam.closed == 1
    notes = rig.view.notes
    assert notes and notes[-1][0] == "Calibration" and notes[-1][1].startswith("Done"), notes
    stored = json.loads(paths.baseline_file().read_text())
    assert stored["faces"] >= 20  # about 3 a second for 10 s
    assert all(isinstance(v, (int, float, str, list)) for v in stored.values())
    assert rig.perception.calibration is not None  # applied from now on, without a restart


def test_no_calibration_during_a_call_and_a_call_cuts_one_short(calibration_rig, home):
    from trayagent import paths

    rig = calibration_rig
    rig.ctl.handle("start")
    rig.ctl.handle("calibrate")
    assert rig.ctl.calibrating is None and rig.view.notes[-1][1].startswith("End the call first")
    rig.ctl.handle("end")
    rig.ctl.handle("calibrate")
    rig.advance(3)
    rig.ctl.handle("start")  # the call takes the camera over; the calibration is dropped
    assert rig.ctl.calibrating is None and rig.ctl.call is not None and rig.cam.is_open
    rig.advance(10)
    assert not paths.baseline_file().exists()


# --- calls as they happened ------------------------------------------------------------------------

def _samples(store, call):
    return list(read_samples(store.call_path(call.id)))


def test_a_call_is_recorded_from_the_signals_rise_to_its_fall_and_the_camera_closes_at_the_fall(rig):
    rig.advance(2)
    rig.signal.on, rose = True, rig.clock.now()
    rig.advance(20)
    rig.signal.on, fell = False, rig.clock.now()
    rig.advance(1.0)  # the next poll sees it quiet
    assert rig.ctl.call is not None and not rig.cam.is_open  # not over yet (debounce), but the camera is closed
    rig.advance(5)
    [call] = rig.store.calls()
    assert abs((call.start - rose).total_seconds()) <= 0.5  # a poll a second: half a poll either way
    assert abs((call.end - fell).total_seconds()) <= 0.5
    rows = _samples(rig.store, call)
    assert rows and all(call.start <= s.time <= call.end for s in rows)  # the frames after it were taken back
    assert call.samples == len(rows) and call.final == pytest.approx(rows[-1].stress)


def test_two_calls_a_second_apart_are_two_records_each_with_its_own_index(rig):
    """Auto-answer: the softphone's first capture stream closes and a new one opens 1.1 s later."""
    rig.advance(0.5)
    rig.signal.on, rig.signal.stream = True, "source-output #7"
    rig.advance(20)
    rig.signal.on, hung_up = False, rig.clock.now()
    rig.advance(1.1)
    rig.signal.on, rig.signal.stream, rang = True, "source-output #8", rig.clock.now()
    rig.advance(20)
    rig.signal.on = False
    rig.advance(5)
    first, second = rig.store.calls()
    assert abs((first.end - hung_up).total_seconds()) <= 0.5 and abs((second.start - rang).total_seconds()) <= 0.5
    a, b = _samples(rig.store, first), _samples(rig.store, second)
    assert a[-1].stress != a[0].stress  # the index moved during the first call ...
    assert b[0].stress == pytest.approx(a[0].stress)  # ... and the second one's starts afresh
    assert rig.cam.opened == rig.cam.closed == 2


def test_a_signal_back_within_the_debounce_reopens_the_camera_in_the_same_call(rig):
    rig.signal.on = True
    rig.advance(10)
    rig.signal.on = False
    rig.advance(1.5)
    assert not rig.cam.is_open and rig.ctl.call is not None
    rig.signal.on = True
    rig.advance(1.5)
    assert rig.cam.is_open and rig.cam.opened == 2
    rig.advance(5)
    rig.signal.on = False
    rig.advance(5)
    [call] = rig.store.calls()
    assert call.duration_s == pytest.approx(18, abs=1)


def test_the_minimum_length_is_checked_against_the_dated_length_not_the_debounced_one(rig):
    # calls.min_call_s = 5 (the default)
    rig.advance(0.5)
    rig.signal.on = True
    rig.advance(4)  # a 4 s call: 2 s of start debounce + 3 s of end debounce would make it 5 s or more
    rig.signal.on = False
    rig.advance(5)
    assert rig.store.calls() == [] and not list(rig.store.dir.glob("*.csv"))
    rig.signal.on = True
    rig.advance(7)
    rig.signal.on = False
    rig.advance(5)
    [call] = rig.store.calls()
    assert call.duration_s == pytest.approx(7, abs=1)
