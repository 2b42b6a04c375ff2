"""The invitation to set one's relaxed-face baseline: once the agent has been free of calls for a
minute after the first start, never during a call, at most once a day (a restart does not ask again),
and again the next day while there is still no baseline; the menu marks the item meanwhile."""

from __future__ import annotations

from datetime import date, timedelta

from tests import videos
from tests.fakes import Rig
from trayagent.daemon.invitation import due
from trayagent.messages import Messages
from trayagent.ui.tray import MenuModel

FACE_FRAME = videos.paste(videos.background(), videos.astronaut())
INVITE = Messages("en")("calibrate_invite_title")


def _invitations(rig: Rig) -> int:
    return [title for title, _body in rig.view.notes].count(INVITE)


def test_the_first_start_invites_once_a_day_between_calls(tmp_path, perception):
    rig = Rig.build(tmp_path, perception, FACE_FRAME)
    rig.advance(30)
    assert _invitations(rig) == 0  # not the moment the desktop starts
    rig.ctl.handle("start")
    rig.advance(120)
    assert _invitations(rig) == 0  # never during a call
    rig.ctl.handle("end")
    rig.advance(50)
    assert _invitations(rig) == 0
    rig.advance(15)
    assert _invitations(rig) == 1
    status = rig.ctl.status()
    assert status.calibrated is False
    menu = MenuModel(Messages("en"), lambda *a, **k: None, lambda: "off")
    menu.status = status
    assert menu.calibrate_label == "Set my relaxed-face baseline (recommended)…" and menu.can_calibrate
    rig.advance(600)
    assert _invitations(rig) == 1  # at most once a day

    again = Rig.build(tmp_path, perception, FACE_FRAME)  # a restart the same day
    again.clock.t = rig.clock.t
    again.advance(120)
    assert _invitations(again) == 0
    again.clock.wall_shift = timedelta(days=1)  # the next day, still no baseline
    again.advance(1)
    assert _invitations(again) == 1


def test_when_an_invitation_is_due():
    today = date(2026, 11, 24)
    assert due(calibrated=False, busy=False, last=None, today=today)
    assert not due(calibrated=True, busy=False, last=None, today=today)
    assert not due(calibrated=False, busy=True, last=None, today=today)
    assert not due(calibrated=False, busy=False, last=today, today=today)
    assert due(calibrated=False, busy=False, last=today - timedelta(days=1), today=today)


def test_calibrating_says_it_starts_and_a_covered_camera_in_words(tmp_path, perception):
    import numpy as np

    rig = Rig.build(tmp_path, perception, np.zeros_like(FACE_FRAME))
    rig.ctl.handle("calibrate")
    assert rig.view.notes[-1] == ("Calibration", Messages("en")("calibrating"))
    assert rig.ctl.status().look == "calibrating"
    rig.advance(11)
    title, body = rig.view.notes[-1]
    assert title == "Calibration" and body == "Not calibrated: The camera sees only black: it may be covered"
    assert rig.ctl.status().look == "idle"
