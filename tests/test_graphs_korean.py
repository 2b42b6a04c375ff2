"""Every graph drawn in Korean: no glyph missing from the font, no English left on it; and the same
graphs in English. Also the call's sentence, and the figures' numbers against the recorded calls."""

from __future__ import annotations

import re
import warnings
from datetime import date, timedelta

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from tests.recorded import CALM, MIXED, TENSE, record_week
from trayagent import i18n, paths
from trayagent.commands import graph as graph_cmd
from trayagent.core.stress import Band, Thresholds
from trayagent.storage.calls import CallStore, read_samples
from trayagent.ui import day_graph, fonts, graphs, week_graph

LAST = date(2026, 3, 5)  # a Thursday
TH = Thresholds()


@pytest.fixture()
def store(home):
    record_week(paths.data_dir(), LAST)
    return CallStore(paths.data_dir())


def _figures(store: CallStore):
    calls = graph_cmd.with_samples(store, store.calls_on(LAST))
    tense = next((c, s) for c, s in calls if c.peak >= TH.alert_from)
    empty_day = date(2026, 3, 4)
    yield "call", graphs.call_figure(tense[1], graphs.call_title(tense[0], tense[1]), TH)
    yield "empty call", graphs.call_figure([], graphs.call_title(None, []), TH)
    yield "day", day_graph.day_figure(calls, LAST, TH)
    yield "empty day", day_graph.day_figure([], empty_day, TH)
    yield "week", week_graph.week_figure(graph_cmd.week(store, LAST, 7, TH), TH)
    yield "empty week", week_graph.week_figure(graph_cmd.week(store, date(2025, 1, 10), 7, TH), TH)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def _draw_strictly(fig) -> None:
    """Draw, turning matplotlib's "Glyph ... missing from font" warning into a failure."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        FigureCanvasAgg(fig).draw()


@pytest.fixture()
def korean():
    i18n.use("ko")
    yield
    i18n.use("auto")


@pytest.mark.slow
def test_every_graph_reads_korean_with_every_glyph_in_the_font(store, korean):
    assert fonts.hangul_font() is not None, "no Hangul font: install fonts-nanum (Debian) or Noto Sans CJK"
    for name, fig in _figures(store):
        _draw_strictly(fig)
        texts = _texts(fig)
        assert any(re.search(r"[\uac00-\ud7a3]", t) for t in texts), name
        for t in texts:
            english = set(re.findall(r"[A-Za-z]{2,}", t))
            assert not english, f"{name}: {t!r} is not translated"


def test_every_graph_reads_english_too(store):
    i18n.use("en")
    try:
        for name, fig in _figures(store):
            _draw_strictly(fig)
            assert not any(re.search(r"[\uac00-\ud7a3]", t) for t in _texts(fig)), name
    finally:
        i18n.use("auto")


def test_the_call_is_told_in_a_sentence(store, korean):
    calls = graph_cmd.with_samples(store, store.calls_on(LAST))
    by_phase = {c.samples: (c, s) for c, s in calls}
    tense = by_phase[sum(n for _, n in TENSE)]
    sentence = graphs.call_sentence(tense[1], TH)
    high_s = sum(1 for s in tense[1] if s.face and s.stress >= TH.alert_from) / 2  # measured moments only
    assert round(high_s) == 40  # the last moment stands for one step
    assert sentence == "스트레스가 40초 동안 높았습니다. 통화 시간의 84% 동안 얼굴이 카메라에 잘 보였습니다."
    i18n.use("en")
    assert graphs.call_sentence(tense[1], TH).startswith("Stress stayed high for ")
    calm = by_phase[sum(n for _, n in CALM)]
    assert graphs.call_sentence(calm[1], TH) == "Stress stayed low for the whole call."
    mixed = by_phase[sum(n for _, n in MIXED)]
    assert graphs.call_sentence(mixed[1], TH).startswith("Stress was somewhat raised for ")


def test_the_week_adds_up_to_the_recorded_calls(store):
    days = graph_cmd.week(store, LAST, 7, TH)
    assert [d.day for d in days][-1] == LAST and len(days) == 7
    assert [d.calls for d in days] == [1, 2, 1, 3, 1, 0, 3]
    for d in days:
        calls = store.calls_on(d.day)
        assert d.calls == len(calls)
        assert d.seconds == pytest.approx(sum(c.duration_s for c in calls))
        # every sample stands for half a second: the bands and the time not measured share the day's
        # time on calls (+ one step each); a moment without a face is not measured, never in a band
        assert sum(d.bands.values()) + d.unmeasured == pytest.approx(d.seconds + 0.5 * d.calls)
        if calls:
            assert d.peak == max(c.peak for c in calls)
            samples = [s for c in calls for s in read_samples(store.call_path(c.id))]
            assert d.mean == pytest.approx(sum(s.stress for s in samples) / len(samples), abs=1e-4)  # index: 4 places
            assert d.bands[Band.ALERT] == pytest.approx(sum(0.5 for s in samples if s.face and s.stress >= TH.alert_from))
            assert d.unmeasured == pytest.approx(sum(0.5 for s in samples if not s.face))
        else:
            assert d.peak is None and d.mean is None


@pytest.mark.parametrize("moments", [1, 2])
def test_a_call_under_a_second_long_has_no_repeated_time_labels(moments):
    from datetime import UTC, datetime

    from trayagent.core.records import Sample

    t0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    samples = [Sample(t0 + timedelta(seconds=i / 2), "neutral", 0.0, (0.1, 0.7, 0.1, 0.1)) for i in range(moments)]
    fig = graphs.call_figure(samples, "call", TH)
    FigureCanvasAgg(fig).draw()
    strip = fig.axes[1]
    labels = [t.get_text() for t in strip.get_xticklabels() if t.get_text()]
    assert labels and len(labels) == len(set(labels)), labels
    shown = sum(bars.get_datalim(strip.transData).width for bars in strip.collections)
    assert shown >= 0.5 * strip.get_xlim()[1], "the expression strip must show the moments, even a lone one"


def test_names_of_calls_a_minute_apart_never_overlap_on_the_day_graph(home, korean):
    """Seven calls a minute apart, one not measured (its name two lines): every name drawn along the
    top stays clear of the others; names with no room left are not drawn over them."""
    from datetime import datetime, time

    from tests.recorded import BLIND, record_call

    store = CallStore(paths.data_dir())
    start = datetime.combine(LAST, time(9, 0)).astimezone()
    for k in range(7):
        record_call(store, start + timedelta(minutes=k), BLIND if k == 2 else [("stress", 60), ("neutral", 40)])
    fig = day_graph.day_figure(graph_cmd.with_samples(store, store.calls_on(LAST)), LAST, TH)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    names = [t for t in ax.texts if re.search(r"\d:\d\d", t.get_text())]
    boxes = [t.get_window_extent(canvas.get_renderer()) for t in names]
    assert len(names) >= 4, [t.get_text() for t in names]
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[:i]):
            assert not a.overlaps(b), (names[i].get_text(), names[j].get_text())
