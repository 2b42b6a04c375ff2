"""Time when the face was not seen well is "not measured", never calm (core/measured.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trayagent.core.measured import SEEN_SHARE_MIN, call_measured, measure
from trayagent.core.records import CallSummary, Sample, Visibility
from trayagent.core.stress import Band, CallStats, Thresholds

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
LIT = Visibility(120.0, 40.0, 118.0, 30.0, 1.0)  # a face in even light
COVERED = Visibility(8.0, 1.5)  # no face, a dark flat frame
DARK_FACE = Visibility(30.0, 20.0, 25.0, 10.0, 1.1)  # a face found, too dark to read
BANDS = Thresholds()


def call(rows: list[tuple[Visibility | None, float]], face_when_unlit: bool = False) -> list[Sample]:
    """One sample every half second: (visibility, index after it)."""
    out = []
    for i, (v, index) in enumerate(rows):
        face = v is LIT or v is DARK_FACE or (v is None and face_when_unlit)
        out.append(Sample(T0 + timedelta(seconds=i / 2), "neutral" if face else None, index,
                          (0.1, 0.7, 0.1, 0.1) if face else None, v))
    return out


def test_a_covered_camera_is_unmeasured_not_calm():
    m = measure(call([(COVERED, 0.0)] * 76), BANDS)
    assert not m.measured and m.end is None
    assert m.bands == {b: 0.0 for b in Band}
    assert m.unmeasured_s == pytest.approx(38.0)


def test_a_call_seen_well_throughout_counts_every_second_in_its_bands():
    rows = [(LIT, 0.1)] * 20 + [(LIT, 0.3)] * 10 + [(LIT, 0.7)] * 10
    m = measure(call(rows), BANDS)
    assert m.measured and m.end is Band.ALERT and m.unmeasured_s == 0.0
    assert m.bands == {Band.CALM: pytest.approx(10.0), Band.ELEVATED: pytest.approx(5.0),
                       Band.ALERT: pytest.approx(5.0)}


def test_a_glance_away_in_a_measured_call_is_unmeasured_time_not_its_band():
    rows = [(LIT, 0.1)] * 30 + [(COVERED, 0.1)] * 10
    m = measure(call(rows), BANDS)
    assert m.measured and m.end is Band.CALM
    assert m.bands[Band.CALM] == pytest.approx(15.0) and m.unmeasured_s == pytest.approx(5.0)


def test_below_the_seen_share_the_whole_call_is_unmeasured():
    just_under = int(40 * SEEN_SHARE_MIN) - 1
    rows = [(LIT, 0.4)] * just_under + [(DARK_FACE, 0.4)] * (40 - just_under)
    m = measure(call(rows), BANDS)
    assert not m.measured and m.bands[Band.ELEVATED] == 0.0 and m.unmeasured_s == pytest.approx(20.0)
    at = [(LIT, 0.4)] * (just_under + 1) + [(DARK_FACE, 0.4)] * (40 - just_under - 1)
    assert measure(call(at), BANDS).measured


def test_records_from_before_visibility_was_recorded_go_by_whether_a_face_was_found():
    assert measure(call([(None, 0.2)] * 10, face_when_unlit=True), BANDS).bands[Band.CALM] == pytest.approx(5.0)
    assert not measure(call([(None, 0.0)] * 10), BANDS).measured


def test_the_summary_agrees_with_the_samples():
    for rows in ([(COVERED, 0.0)] * 20, [(LIT, 0.2)] * 20, [(LIT, 0.2)] * 9 + [(COVERED, 0.2)] * 11):
        samples = call(rows)
        stats = CallStats()
        for s in samples:
            stats.add(s.stress, s.face, s.visibility)
        summary = stats.summary("c", samples[0].time, samples[-1].time)
        assert call_measured(summary) == measure(samples, BANDS).measured


def test_an_old_summary_without_the_seen_share_goes_by_faces_found():
    old = CallSummary("c", T0, T0 + timedelta(seconds=30), samples=60, faces=0, peak=0, mean=0, final=0)
    assert not call_measured(old)
    assert call_measured(CallSummary("c", T0, T0, samples=60, faces=45, peak=0, mean=0, final=0))
