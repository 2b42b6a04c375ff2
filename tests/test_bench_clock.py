"""`trayagent bench` on a clock that steps like Windows' CPU time (issue 11 item 11): stages are timed
with the fine performance counter per frame, and CPU time is summed over enough frames to mean
something. The coarse clock is faked at its boundary (time.process_time); the pipeline is real."""

from __future__ import annotations

import math
import time

import pytest

from trayagent.commands import bench

TICK = 0.015625  # Windows' default timer: 64 ticks a second


def coarse(real=time.process_time):
    return lambda: math.floor(real() / TICK) * TICK


def test_clock_step_finds_the_tick_of_a_coarse_clock():
    assert bench.clock_step(coarse()) == TICK
    assert bench.clock_step() < 0.001  # this machine's own CPU clock is fine-grained


@pytest.mark.slow
def test_a_coarse_cpu_clock_still_gives_per_stage_figures(monkeypatch):
    monkeypatch.setattr(bench.time, "process_time", coarse())
    frames = bench.synthetic_frames(8)
    p = bench.pipeline(frames, None)
    assert p["cpu_clock_step_ms"] == TICK * 1000
    # gone through again until the CPU time spans enough ticks (or the cap on passes)
    cpu_total_s = p["cpu_ms_per_frame"]["total"] * p["frames"] / 1000
    assert p["passes"] > 1 and (cpu_total_s >= bench.MIN_CPU_STEPS * TICK - 1e-9 or p["passes"] == bench.MAX_PASSES)
    assert p["frames"] == p["passes"] * len(frames) - 3
    for stage in bench.STAGES:  # a 16 ms clock read per frame would give 0 for most of these
        wall = p["wall_ms_per_frame"][stage]
        assert 0 < wall["median"] <= wall["p95"], (stage, wall)
    assert p["wall_ms_per_frame"]["total"]["mean"] > 0 and p["cpu_ms_per_frame"]["total"] > 0
    assert p["faces_found"] > 0.9 * p["frames"]  # the face is in every synthetic frame
