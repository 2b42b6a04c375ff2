"""The daemon's controller, headless: fake camera, fake clock, real pipeline, real recording."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests import videos
from tests.fakes import Clock, FakeCamera, FakeSignal, FakeView
from trayagent import config
from trayagent.daemon.controller import Controller
from trayagent.daemon.recorder import RECORDING_RETRY_S
from trayagent.perception.cv import cv2
from trayagent.storage.calls import CallStore, RecordingError, read_samples

FACE_FRAME = videos.paste(videos.background(), videos.astronaut())
EMPTY_FRAME = videos.background()


@pytest.fixture
def rig(tmp_path, perception):
    clock, cam, view, signal = Clock(), FakeCamera(FACE_FRAME), FakeView(), FakeSignal()
    cfg = config.load(tmp_path / "policy.toml", tmp_path / "user.toml")  # none unless a test writes them first
    store = CallStore(tmp_path / "data")
    ctl = Controller(cfg, store, lambda: perception, cam.open, view, signal, clock=clock, now=clock.now)

    def advance(seconds: float, step: float = 0.25) -> None:
        end = clock.t + seconds
        while clock.t < end:
            clock.t = min(end, clock.t + step)
            ctl.tick()
            assert ctl.call is not None or ctl.calibrating is not None or not cam.is_open, \
                "camera open outside a call or a calibration"

    ctl.advance = advance
    return ctl, clock, cam, view, signal, store


def test_camera_is_open_only_during_a_call(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.advance(30)
    assert cam.opened == 0
    ctl.handle("start")
    assert cam.is_open
    for _ in range(40):
        ctl.advance(0.25)
        assert cam.is_open
    ctl.handle("end")
    assert not cam.is_open and cam.opened == cam.closed == 1
    ctl.advance(30)
    assert cam.opened == 1
    [call] = store.calls()
    assert call.samples == pytest.approx(20, abs=1)  # 2 frames a second for 10 s
    assert call.faces == call.samples


def test_automatic_signal_starts_and_ends_a_call_after_debounce(rig):
    ctl, clock, cam, view, signal, store = rig
    signal.on = True
    ctl.advance(1.5)
    assert ctl.call is None  # not yet confirmed (2 s)
    ctl.advance(1.5)
    assert ctl.call is not None
    ctl.advance(20)
    signal.on = False
    ctl.advance(2)
    assert ctl.call is not None  # a short silence is not the end
    ctl.advance(2)
    assert ctl.call is None and not cam.is_open
    assert len(store.calls()) == 1


def test_the_index_and_icon_follow_the_faces(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(5)
    status = ctl.status()
    assert status.in_call and status.index == pytest.approx(ctl.call.stats.index)
    assert status.look in ("calm", "elevated", "alert")
    assert "On call 00:05" in status.line


def test_a_frame_without_a_face_is_recorded_as_such(rig):
    ctl, clock, cam, view, signal, store = rig
    cam.frame = EMPTY_FRAME
    ctl.handle("start")
    ctl.advance(6)
    ctl.handle("end")
    samples = list(read_samples(store.call_path(store.calls()[0].id)))
    assert samples and all(s.emotion is None and s.stress == 0.0 for s in samples)


def test_missing_camera_records_no_face_samples_and_retries_with_backoff(rig):
    ctl, clock, cam, view, signal, store = rig
    cam.fail_open = "camera 0: cannot open (unplugged, or in use by another app)"
    ctl.handle("start")
    assert ctl.status().look == "problem" and "camera unavailable" in ctl.status().line
    ctl.advance(10)
    assert cam.opened == 0
    cam.fail_open = None
    ctl.advance(20)  # retried: 1, 2, 4, 8 s apart, so within 16 s of the problem
    assert cam.is_open and ctl.status().look != "problem"
    ctl.handle("end")
    call = store.calls()[0]
    assert call.samples > call.faces > 0


def test_camera_unplugged_mid_call_is_survived(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(5)
    cam.fail_read = "camera 0: stopped delivering frames"
    ctl.advance(1)
    assert not cam.is_open and ctl.call is not None
    assert ctl.status().look == "problem"
    cam.fail_read = None
    ctl.advance(5)
    assert cam.is_open
    ctl.handle("end")
    assert store.calls()[0].faces < store.calls()[0].samples


def test_pause_ends_the_call_and_ignores_signals_until_it_runs_out(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(10)
    ctl.handle("pause", minutes=30)
    assert ctl.call is None and not cam.is_open
    assert ctl.status().look == "paused" and "Paused until 10:30" in ctl.status().line
    signal.on = True
    ctl.advance(29 * 60, step=1)
    assert ctl.call is None
    ctl.advance(2 * 60, step=1)
    assert ctl.call is not None  # pause over: the busy softphone starts a call


def test_short_calls_are_dropped(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(3)
    ctl.handle("end")
    assert store.calls() == [] and not list(store.dir.glob("*.csv"))


@pytest.fixture
def low_bands(tmp_path):
    """The user's settings put the alert band below any index: written before `rig` reads them."""
    _write(tmp_path / "user.toml", "[stress]\ncalm_below = -2\nalert_from = -1\n")


def test_a_call_ending_in_the_alert_band_suggests_a_break(low_bands, rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(10)
    ctl.handle("end")
    assert len(view.notes) == 1 and "break" in view.notes[0][0].lower()


def test_stop_closes_the_open_call(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(8)
    ctl.post("stop")
    t = threading.Thread(target=ctl.run)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert not cam.is_open and len(store.calls()) == 1


def test_disk_full_stops_recording_but_not_the_daemon(rig, monkeypatch):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(6)
    written = store.call_path(ctl.call.writer.id).read_text()

    def full(_sample):
        raise RecordingError(f"{ctl.call.writer.path}: cannot write the call record (No space left on device)")

    monkeypatch.setattr(ctl.call.writer, "write", full)
    ctl.advance(4)
    assert ctl.call is not None and "No space left" in ctl.recording_problem
    assert store.call_path(ctl.call.writer.id).read_text() == written  # nothing already written is lost
    ctl.handle("end")
    assert len(store.calls()) == 1  # the index could be written: the call is listed


def test_wall_clock_jumps_do_not_bend_the_record(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(10)
    clock.wall_shift = timedelta(seconds=-45)  # someone sets the clock back
    ctl.advance(10)
    ctl.handle("end")
    [call] = store.calls()
    assert call.duration_s == pytest.approx(20, abs=0.6)
    times = [s.time for s in read_samples(store.call_path(call.id))]
    assert times == sorted(times)


def test_sleep_during_a_call_ends_it_as_of_before_the_sleep(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(12)
    clock.wall_shift = timedelta(hours=2)  # suspended: wall time went on, monotonic did not
    ctl.advance(1)
    assert ctl.call is None and not cam.is_open
    [call] = store.calls()
    assert call.duration_s == pytest.approx(12, abs=0.6)


def test_frozen_process_with_a_monotonic_gap_is_treated_like_sleep(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(12)
    clock.t += 600  # Windows: the monotonic clock counts the sleep too
    ctl.tick()
    assert ctl.call is None
    assert store.calls()[0].duration_s == pytest.approx(12, abs=0.6)


def test_an_installer_quit_request_ends_the_daemon_with_the_call_closed_out(rig, home):
    ctl, clock, cam, view, signal, store = rig
    stale = home / "quit.request"  # TRAYAGENT_POLICY points into home in tests
    stale.write_text("")
    os.utime(stale, (ctl.started_wall - 60, ctl.started_wall - 60))
    ctl.handle("start")
    ctl.advance(8)
    assert not ctl.stopped.is_set()  # a request from before this start is not for us
    os.utime(stale, None)
    ctl.advance(1.5)
    assert ctl.stopped.is_set()
    t = threading.Thread(target=ctl.run)
    t.start()
    t.join(10)
    assert not cam.is_open and len(store.calls()) == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- truthful replies (issue 12, item 4) -------------------------------------------------------------
def test_a_busy_controller_withdraws_what_it_did_not_do(rig):
    ctl, clock, cam, view, signal, store = rig
    reply = ctl.ask("toggle", timeout_s=0.05)  # the loop is busy elsewhere (here: not running yet)
    assert reply["ok"] is False and "nothing was done" in reply["error"]
    ctl.post("stop")
    t = threading.Thread(target=ctl.run)
    t.start()
    t.join(10)
    assert cam.opened == 0 and store.calls() == []  # the toggle the asker was told failed never ran


def test_a_command_taken_late_answers_with_what_happened(rig, monkeypatch):
    import time

    from trayagent.core.requests import Command

    ctl, clock, cam, view, signal, store = rig

    def slow_toggle(self) -> None:  # taken at once, but takes longer than the asker's patience
        time.sleep(0.5)
        Controller.toggle(self)

    monkeypatch.setitem(Controller._METHODS, Command.TOGGLE, slow_toggle)
    t = threading.Thread(target=ctl.run)
    t.start()
    try:
        reply = ctl.ask("toggle", timeout_s=0.1)
        assert reply["ok"] is True and reply["state"] == "call"
    finally:
        ctl.post("stop")
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
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(5)
    disk["full"] = True
    ctl.advance(2)
    s = ctl.status()
    assert s.in_call and s.look == "problem" and "recording stopped" in s.line and "No space left" in s.line
    rows = len(store.call_path(ctl.call.writer.id).read_text().splitlines())
    disk["full"] = False
    ctl.advance(RECORDING_RETRY_S + 1)
    s = ctl.status()
    assert s.look != "problem" and "recording stopped" not in s.line
    assert len(store.call_path(ctl.call.writer.id).read_text().splitlines()) > rows  # recording again
    ctl.handle("end")
    assert [c.samples for c in store.calls()] and ctl.status().look == "idle"


def test_an_index_full_at_call_end_is_written_once_space_returns(rig, disk):
    ctl, clock, cam, view, signal, store = rig
    ctl.handle("start")
    ctl.advance(6)
    disk["full"] = True
    ctl.handle("end")
    assert store.calls() == [] and ctl.status().look == "problem"
    disk["full"] = False
    ctl.advance(RECORDING_RETRY_S + 1)
    assert len(store.calls()) == 1 and ctl.status().look == "idle"


def _relaxed_face(publictest, perception) -> object:
    """A FER2013 publictest neutral face that the model reads as neutral most surely."""
    from trayagent.core.emotions import FER7, PRODUCT4

    images, labels = publictest
    neutral = images[labels == FER7.index("neutral")][:60]
    probs = perception.classifier.product(perception.classifier.predict(list(neutral)))
    return neutral[int(probs[:, PRODUCT4.index("neutral")].argmax())]


@pytest.fixture
def calibration_rig(tmp_path, home, publictest):
    from trayagent.perception.pipeline import Perception

    perception = Perception()  # its own: calibrating changes what it reads
    clock, cam, view = Clock(), FakeCamera(FACE_FRAME), FakeView()
    face = cv2.cvtColor(_relaxed_face(publictest, perception), cv2.COLOR_GRAY2BGR)
    cam.frame = videos.paste(videos.background(), face)
    cfg = config.load(tmp_path / "policy.toml", tmp_path / "user.toml")  # none unless a test writes them first
    ctl = Controller(cfg, CallStore(tmp_path / "data"), lambda: perception, cam.open, view, None, clock=clock,
                     now=clock.now)

    def advance(seconds: float, step: float = 0.25) -> None:
        end = clock.t + seconds
        while clock.t < end:
            clock.t = min(end, clock.t + step)
            ctl.tick()

    return ctl, advance, cam, view, perception


def test_calibrating_from_the_tray_opens_the_camera_about_ten_seconds_and_stores_numbers(calibration_rig, home):
    from trayagent import paths

    ctl, advance, cam, view, perception = calibration_rig
    assert perception.calibration is None
    ctl.handle("calibrate")
    assert cam.is_open and ctl.status().line.startswith("Calibrating")
    advance(9.5)
    assert cam.is_open  # still measuring
    advance(1.0)
    assert not cam.is_open and cam.opened == cam.closed == 1
    assert view.notes and view.notes[-1][0] == "Calibration" and view.notes[-1][1].startswith("Done"), view.notes
    stored = json.loads(paths.baseline_file().read_text())
    assert stored["faces"] >= 20  # about 3 a second for 10 s
    assert all(isinstance(v, (int, float, str, list)) for v in stored.values())
    assert perception.calibration is not None  # applied from now on, without a restart


def test_no_calibration_during_a_call_and_a_call_cuts_one_short(calibration_rig, home):
    from trayagent import paths

    ctl, advance, cam, view, _ = calibration_rig
    ctl.handle("start")
    ctl.handle("calibrate")
    assert ctl.calibrating is None and view.notes[-1][1].startswith("End the call first")
    ctl.handle("end")
    ctl.handle("calibrate")
    advance(3)
    ctl.handle("start")  # the call takes the camera over; the calibration is dropped
    assert ctl.calibrating is None and ctl.call is not None and cam.is_open
    advance(10)
    assert not paths.baseline_file().exists()


# --- calls as they happened ------------------------------------------------------------------------

def _samples(store, call):
    return list(read_samples(store.call_path(call.id)))


def test_a_call_is_recorded_from_the_signals_rise_to_its_fall_and_the_camera_closes_at_the_fall(rig):
    ctl, clock, cam, view, signal, store = rig
    ctl.advance(2)
    signal.on, rose = True, clock.now()
    ctl.advance(20)
    signal.on, fell = False, clock.now()
    ctl.advance(1.0)  # the next poll sees it quiet
    assert ctl.call is not None and not cam.is_open  # not over yet (debounce), but the camera is closed
    ctl.advance(5)
    [call] = store.calls()
    assert abs((call.start - rose).total_seconds()) <= 0.5  # a poll a second: half a poll either way
    assert abs((call.end - fell).total_seconds()) <= 0.5
    rows = _samples(store, call)
    assert rows and all(call.start <= s.time <= call.end for s in rows)  # the frames after it were taken back
    assert call.samples == len(rows) and call.final == pytest.approx(rows[-1].stress)


def test_two_calls_a_second_apart_are_two_records_each_with_its_own_index(rig):
    """Auto-answer: the softphone's first capture stream closes and a new one opens 1.1 s later."""
    ctl, clock, cam, view, signal, store = rig
    ctl.advance(0.5)
    signal.on, signal.stream = True, "source-output #7"
    ctl.advance(20)
    signal.on, hung_up = False, clock.now()
    ctl.advance(1.1)
    signal.on, signal.stream, rang = True, "source-output #8", clock.now()
    ctl.advance(20)
    signal.on = False
    ctl.advance(5)
    first, second = store.calls()
    assert abs((first.end - hung_up).total_seconds()) <= 0.5 and abs((second.start - rang).total_seconds()) <= 0.5
    a, b = _samples(store, first), _samples(store, second)
    assert a[-1].stress != a[0].stress  # the index moved during the first call ...
    assert b[0].stress == pytest.approx(a[0].stress)  # ... and the second one's starts afresh
    assert cam.opened == cam.closed == 2


def test_a_signal_back_within_the_debounce_reopens_the_camera_in_the_same_call(rig):
    ctl, clock, cam, view, signal, store = rig
    signal.on = True
    ctl.advance(10)
    signal.on = False
    ctl.advance(1.5)
    assert not cam.is_open and ctl.call is not None
    signal.on = True
    ctl.advance(1.5)
    assert cam.is_open and cam.opened == 2
    ctl.advance(5)
    signal.on = False
    ctl.advance(5)
    [call] = store.calls()
    assert call.duration_s == pytest.approx(18, abs=1)


def test_the_minimum_length_is_checked_against_the_dated_length_not_the_debounced_one(rig):
    ctl, clock, cam, view, signal, store = rig  # calls.min_call_s = 5
    ctl.advance(0.5)
    signal.on = True
    ctl.advance(4)  # a 4 s call: 2 s of start debounce + 3 s of end debounce would make it 5 s or more
    signal.on = False
    ctl.advance(5)
    assert store.calls() == [] and not list(store.dir.glob("*.csv"))
    signal.on = True
    ctl.advance(7)
    signal.on = False
    ctl.advance(5)
    [call] = store.calls()
    assert call.duration_s == pytest.approx(7, abs=1)
