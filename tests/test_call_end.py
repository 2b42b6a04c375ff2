"""`trayagent call end` confirms what it kept: the call's record with its length and band, a call
not measured as such, or that a call too short to keep was not kept."""

from __future__ import annotations

import numpy as np

from tests import videos
from tests.fakes import Rig
from trayagent import i18n
from trayagent.commands.control import ended_line

FACE_FRAME = videos.paste(videos.background(), videos.astronaut())


def test_ending_a_call_says_what_was_kept(tmp_path, perception):
    rig = Rig.build(tmp_path, perception, FACE_FRAME)
    rig.ctl.handle("start")
    rig.advance(8)
    ended = rig.ctl.handle("end")["ended"]
    [call] = rig.store.calls()
    assert ended["kept"] and ended["id"] == call.id and ended["band"] == "calm"
    assert abs(ended["duration_s"] - call.duration_s) < 0.2

    rig.cam.frame = np.zeros_like(FACE_FRAME)  # covered throughout: kept, but not measured
    rig.ctl.handle("start")
    rig.advance(8)
    ended = rig.ctl.handle("end")["ended"]
    assert ended["kept"] and ended["band"] is None

    rig.ctl.handle("start")
    rig.advance(2)
    ended = rig.ctl.handle("end")["ended"]
    assert not ended["kept"] and ended["id"] is None and len(rig.store.calls()) == 2
    assert "ended" not in rig.ctl.handle("end")  # no call was open: nothing to confirm


def test_the_confirmation_reads_in_korean():
    kept = {"id": "20261124-100000", "kept": True, "start": "2026-11-24T10:00:00+09:00", "duration_s": 32.4,
            "min_call_s": 5.0, "band": None}
    short = dict(kept, id=None, kept=False, duration_s=2.0)
    i18n.use("ko")
    try:
        assert ended_line(kept).endswith("32초 · 측정 안 됨") and "오전" in ended_line(kept)
        assert "2초" in ended_line(short) and "5초" in ended_line(short)
    finally:
        i18n.use("auto")
