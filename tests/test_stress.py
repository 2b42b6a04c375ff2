"""The paper's Table 3, row by row, and the tray's colour bands."""

import pytest

from trayagent.core.stress import Band, CallStats, Thresholds, next_index


@pytest.mark.parametrize("index, emotion, expected", [
    (0.5, "happy", 0.48),        # Happy, index > 0: -0.02
    (0.01, "happy", -0.01),      # the step may cross zero
    (0.0, "happy", -0.005),      # Happy, index <= 0: -0.005
    (-0.3, "happy", -0.305),     # Happy keeps lowering the index below zero
    (0.5, "neutral", 0.495),     # Neutral, index > 0: -0.005
    (0.0, "neutral", 0.0),       # Neutral at exactly 0: no change
    (-0.2, "neutral", -0.2),     # Neutral never lowers below zero
    (0.003, "neutral", -0.002),  # ...but a step from just above zero may cross it
    (0.0, "stress", 0.02),
    (-0.5, "stress", -0.48),
    (1.0, "stress", 1.02),
    (0.0, "surprise", 0.005),
    (-0.1, "surprise", -0.095),
    (0.4, None, 0.4),            # a frame without a face changes nothing
    (-0.4, None, -0.4),
])
def test_table_3(index, emotion, expected):
    assert next_index(index, emotion) == pytest.approx(expected, abs=1e-12)


def test_unknown_emotion_is_refused():
    with pytest.raises(ValueError, match="angry"):
        next_index(0.0, "angry")  # a FER2013 emotion must be grouped before it reaches the index


def test_a_stressful_call_rises_and_a_happy_one_falls_below_zero():
    index = 0.0
    for _ in range(50):
        index = next_index(index, "stress")
    assert index == pytest.approx(1.0)
    for _ in range(50):
        index = next_index(index, "happy")
    assert index == pytest.approx(0.0, abs=1e-9)
    for _ in range(100):  # at most one more -0.02 step (float residue above zero), then -0.005 each
        index = next_index(index, "happy")
    assert -0.52 <= index <= -0.5 + 1e-9


def test_bands_follow_thresholds():
    t = Thresholds(calm_below=0.25, alert_from=0.6)
    assert t.band(-1.0) is Band.CALM
    assert t.band(0.2499) is Band.CALM
    assert t.band(0.25) is Band.ELEVATED
    assert t.band(0.5999) is Band.ELEVATED
    assert t.band(0.6) is Band.ALERT


def test_call_stats_fold():
    st = CallStats()
    for index, face in [(-0.005, True), (-0.01, True), (-0.01, False), (0.01, True)]:
        st.add(index, face)
    assert (st.samples, st.faces) == (4, 3)
    assert st.peak == pytest.approx(0.01)
    assert st.mean == pytest.approx(-0.015 / 4)
    assert st.index == pytest.approx(0.01)


def test_peak_of_a_call_that_only_falls_is_its_highest_value():
    st = CallStats()
    for index in (-0.005, -0.01, -0.015):
        st.add(index, True)
    assert st.peak == pytest.approx(-0.005)
