"""A shift of calls on a fake clock with the real pipeline on a looping video: memory stays flat, and
no file handle or thread is left behind by the calls.

CI runs a short shift. The full eight hours: TRAYAGENT_SOAK_HOURS=8 pytest tests/test_soak.py -s
(figures in the README).
"""

from __future__ import annotations

import gc
import os
import threading

import psutil
import pytest

from tests import videos
from tests.fakes import Clock, FakeSignal
from trayagent import config
from trayagent.daemon.controller import Controller
from trayagent.perception.cv import cv2
from trayagent.perception.pipeline import Perception
from trayagent.storage.calls import CallStore

HOURS = float(os.environ.get("TRAYAGENT_SOAK_HOURS", "0.5"))
CALL_S, GAP_S = 240, 60  # a contact-centre rhythm: four-minute calls, a minute between


class LoopingVideoCamera:
    """Opens the recording with OpenCV at each call and decodes a new frame at each read."""

    def __init__(self, path) -> None:
        self.path, self.open_count = str(path), 0

    def __call__(self):
        cap = cv2.VideoCapture(self.path)
        assert cap.isOpened()
        self.open_count += 1
        seq = [0]

        class Reader:
            def latest(self):
                ok, frame = cap.read()
                if not ok:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, frame = cap.read()
                seq[0] += 1
                return seq[0], frame

            def close(self):
                cap.release()

        return Reader()


class LastStatusView:
    """Keeps only what a tray keeps: the current status (a list of every status would be the leak)."""

    def __init__(self) -> None:
        self.status = None
        self.notes = 0

    def show(self, status) -> None:
        self.status = status

    def notify(self, title: str, body: str) -> None:
        self.notes += 1


@pytest.mark.slow
def test_a_shift_of_calls_leaks_nothing(tmp_path, capsys):
    rec = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut()), (None, None),
                                               ("face", videos.astronaut())], frames_each=10)
    clock, view, signal = Clock(), LastStatusView(), FakeSignal()
    cfg = config.load(tmp_path / "p.toml", tmp_path / "u.toml")
    store = CallStore(tmp_path / "data")
    camera = LoopingVideoCamera(rec.path)
    perception = Perception()
    ctl = Controller(cfg, store, lambda: perception, camera, view, signal, clock=clock, now=clock.now)
    me = psutil.Process()

    def run_call() -> None:
        signal.on = True
        for _ in range(int(CALL_S / 0.5)):
            clock.t += 0.5
            ctl.tick()
        signal.on = False
        for _ in range(GAP_S):
            clock.t += 1
            ctl.tick()

    run_call()  # warm-up: first-call allocations are not a leak
    gc.collect()
    base = {"rss": me.memory_info().rss, "fds": me.num_fds(), "threads": threading.active_count()}
    calls = max(2, int(HOURS * 3600 / (CALL_S + GAP_S)))
    rss = []
    for _ in range(calls):
        run_call()
        gc.collect()
        rss.append(me.memory_info().rss)
    growth_mb = (rss[-1] - base["rss"]) / 2**20
    with capsys.disabled():
        print(f"\nsoak: {calls + 1} calls over {HOURS:g} simulated hours, {sum(c.samples for c in store.calls())} "
              f"frames; RSS {base['rss'] / 2**20:.1f} -> {rss[-1] / 2**20:.1f} MB (max {max(rss) / 2**20:.1f}); "
              f"fds {base['fds']} -> {me.num_fds()}; threads {base['threads']} -> {threading.active_count()}")
    assert len(store.calls()) == calls + 1 and camera.open_count == calls + 1
    assert me.num_fds() == base["fds"], "file handles leaked"
    assert threading.active_count() == base["threads"], "threads leaked"
    # Flat: the second half of the shift grows no more than allocator noise.
    half = rss[len(rss) // 2]
    assert (rss[-1] - half) / 2**20 < 8, f"memory grew {growth_mb:.1f} MB over the shift"
