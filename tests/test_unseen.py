"""A call the camera cannot see: said once a call in a notification, shown as "not measured" on the
tray's status line and in today's calls, never as calm (issue 20). Real pipeline, fake camera and clock."""

from __future__ import annotations

import numpy as np

from tests import videos
from tests.fakes import Rig
from trayagent.messages import Messages
from trayagent.ui.tray import MenuModel

FACE_FRAME = videos.paste(videos.background(), videos.astronaut())
COVERED_FRAME = np.zeros_like(FACE_FRAME)


def test_a_covered_camera_is_said_once_a_call_and_its_call_is_not_measured(tmp_path, perception):
    rig = Rig.build(tmp_path, perception, FACE_FRAME)
    cam, view, advance = rig.cam, rig.view, rig.advance
    unseen = Messages(rig.ctl.cfg["ui.language"])("unseen_title")
    rig.ctl.handle("start")
    advance(12)
    assert view.shown[-1].look != "unseen" and not view.notes
    cam.frame = COVERED_FRAME
    advance(20)
    status = view.shown[-1]
    assert status.look == "unseen" and status.hint and status.line.endswith("not measured")
    assert [title for title, _body in view.notes] == [unseen]
    assert view.look_at_notes == ["unseen"]  # the icon had changed when it was said
    cam.frame = FACE_FRAME
    advance(30)
    assert view.shown[-1].look != "unseen"
    cam.frame = COVERED_FRAME
    advance(12)
    assert view.shown[-1].look == "unseen"
    assert [title for title, _body in view.notes] == [unseen]  # not again in the same call
    rig.ctl.handle("end")

    rig.ctl.handle("start")  # a new call, covered throughout: said again, once
    advance(40)
    rig.ctl.handle("end")
    assert [title for title, _body in view.notes].count(unseen) == 2

    menu = MenuModel(Messages("ko"), lambda *a, **k: None, lambda: "off")
    menu.status = view.shown[-1]
    labels = [label for label, _id in menu.call_items()]
    assert len(labels) == 2
    assert labels[0].endswith("측정 안 됨")  # newest first: the covered call
    assert labels[1].endswith("낮음")  # seen for 42 s of 74: measured, its band in words
