"""Sign-out and shutdown close out an open call then (issue 11 item 9).

The end-of-session messages are handed to the handler directly, as Windows' window procedure would
(WM_QUERYENDSESSION, then WM_ENDSESSION); the controller, pipeline and recording are real. Under
wine (with an X display) `wineboot --end-session` delivers the same messages to the hidden window:
checked by hand (see the report of issue 11); real sign-out needs real Windows.
"""

from __future__ import annotations

import threading
import time

from tests import videos
from tests.helpers import call_rows, wait_for
from trayagent import config
from trayagent.core.requests import Command
from trayagent.daemon.controller import Controller
from trayagent.platform import session_end
from trayagent.platform.session_end import (
    CTRL_LOGOFF_EVENT,
    CTRL_SHUTDOWN_EVENT,
    ENDSESSION_LOGOFF,
    WM_ENDSESSION,
    WM_QUERYENDSESSION,
    SessionEnd,
)
from trayagent.storage.calls import CallStore

FACE = videos.paste(videos.background(), videos.astronaut())


class Recorder:
    def __init__(self, stops_after: int | None = 0) -> None:
        self.posted = 0
        self.waited: list[float] = []
        self.stops_after = stops_after

    def close_out(self) -> None:
        self.posted += 1

    def wait(self, seconds: float) -> bool:
        self.waited.append(seconds)
        return self.stops_after is not None


def test_only_a_session_that_does_end_is_closed_out():
    r = Recorder()
    s = SessionEnd(r.close_out, r.wait, grace_s=3)
    assert s.on_message(WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF) == 1  # agree, never block sign-out
    assert r.posted == 0 and s.ended is None  # asked, not told: another app may still cancel it
    assert s.on_message(WM_ENDSESSION, 0, ENDSESSION_LOGOFF) == 0  # cancelled: the session goes on
    assert r.posted == 0 and s.ended is None
    assert s.on_message(0x0001, 0, 0) is None  # anything else goes to DefWindowProc
    assert s.on_message(WM_ENDSESSION, 1, ENDSESSION_LOGOFF) == 0
    assert r.posted == 1 and r.waited == [3] and s.ended == "sign-out"
    s.on_message(WM_ENDSESSION, 1, 0)  # sent again (a second window, a console event): posted once
    assert r.posted == 1 and len(r.waited) == 2


def test_shutdown_and_console_events():
    r = Recorder(stops_after=None)  # the daemon does not stop in time: logged, not raised
    s = SessionEnd(r.close_out, r.wait, grace_s=0.1)
    s.on_message(WM_ENDSESSION, 1, 0)
    assert s.ended == "shutdown" and r.posted == 1
    r2 = Recorder()
    c = SessionEnd(r2.close_out, r2.wait)
    assert c.on_console_event(0) is False and r2.posted == 0  # Ctrl+C: Python's own
    assert c.on_console_event(CTRL_LOGOFF_EVENT) is True and c.ended == "sign-out" and r2.posted == 1
    assert c.on_console_event(CTRL_SHUTDOWN_EVENT) is True and r2.posted == 1


def test_start_is_a_no_op_off_windows():
    assert session_end.start(SessionEnd(lambda: None, lambda _s: True)) is None


class Camera:
    def open(self):
        seq = [0]

        class Reader:
            def latest(self):
                seq[0] += 1
                time.sleep(0.02)  # a frame's worth of camera time (a sleep that stays: the camera's pace)
                return seq[0], FACE

            def close(self):
                pass

        return Reader()


class View:
    def show(self, status) -> None:
        pass

    def notify(self, title: str, body: str) -> None:
        pass


def test_a_call_open_at_sign_out_is_recorded_and_indexed_before_the_handler_returns(tmp_path, perception):
    (tmp_path / "config.toml").write_text("[calls]\nmin_call_s = 0\n")
    cfg = config.load(tmp_path / "none.toml", tmp_path / "config.toml")
    store = CallStore(tmp_path / "data")
    ctl = Controller(cfg, store, lambda: perception, Camera().open, View(), None)
    worker = threading.Thread(target=ctl.run, daemon=True)
    worker.start()
    try:
        started = ctl.ask(Command.START)
        assert started["ok"]
        assert wait_for(lambda: call_rows(tmp_path / "data", started["call_id"]) >= 2, timeout=30)
        assert store.calls() == []  # open: not in the index yet

        def stopped_within(seconds: float) -> bool:
            worker.join(seconds)
            return not worker.is_alive()

        s = SessionEnd(lambda: ctl.post(Command.STOP), stopped_within, grace_s=10)
        s.on_message(WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF)
        assert worker.is_alive()
        s.on_message(WM_ENDSESSION, 1, ENDSESSION_LOGOFF)
        # the handler has returned: Windows may end the process now, and the call is already closed out
        assert not worker.is_alive()
        [call] = store.calls()
        assert call.samples >= 1 and call.faces >= 1
    finally:
        ctl.post(Command.STOP)
        worker.join(10)
