""""I can't see you": lighting and covered-camera feedback, on videos of real faces through the real
pipeline (darkened, backlit, the lens covered for a stretch, nobody at the desk), the tray's line and
icon, the call's graph and record, and records from before visibility was measured."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from tests import lighting
from trayagent import config
from trayagent.commands.analyze import analyze
from trayagent.core.records import Sample, Visibility
from trayagent.core.stress import Thresholds
from trayagent.core.visibility import Seen, VisibilityThresholds, Watch, classify
from trayagent.daemon.status import CallFacts, tray_status
from trayagent.messages import Messages
from trayagent.storage.calls import CallStore, read_samples

TH = VisibilityThresholds()
T0 = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=9)))


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, publictest, perception) -> dict[str, list[Sample]]:
    """Each lighting video, 12 s of faces (the covered and empty-desk ones with 14 s more in the
    middle), analysed as a call at 5 frames a second: the samples as recorded in its CSV."""
    folder = tmp_path_factory.mktemp("lighting")
    recs = lighting.recordings(folder, lighting.clear_faces(*publictest), seconds=12, gap_s=14)
    out = {}
    for name in ("normal", "dim", "window", "dark", "backlit", "covered", "away"):
        a = analyze(recs[name].path, folder / "out", 5, perception, progress=False)
        out[name] = list(read_samples(a.csv))
    return out


def shown(samples: list[Sample]) -> list[tuple[Seen, float]]:
    """What the tray would have said over the call: (state, from second), as the controller watches."""
    watch, out = Watch(TH), []
    for s in samples:
        state = watch.add(s.time, s.visibility)
        if not out or out[-1][0] is not state:
            out.append((state, (s.time - samples[0].time).total_seconds()))
    return out


def seen_share(samples: list[Sample]) -> float:
    return sum(classify(s.visibility, TH) is Seen.SEEN for s in samples) / len(samples)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["normal", "dim", "window"])
def test_a_readable_face_is_never_reported(analysed, name):
    """Normal light, a dimmer room and a bright wall behind: the face is read, and the tray never
    says otherwise."""
    samples = analysed[name]
    assert all(s.face for s in samples)
    assert shown(samples) == [(Seen.SEEN, 0.0)]
    assert seen_share(samples) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("name,state", [("dark", Seen.DARK), ("backlit", Seen.BACKLIT)])
def test_a_dark_or_backlit_face_is_said_once_the_stretch_lasts(analysed, name, state):
    samples = analysed[name]
    said = shown(samples)
    assert said[0] == (Seen.SEEN, 0.0)  # nothing is said before a whole window was watched
    assert said[1][0] is state and TH.window_s <= said[1][1] <= TH.window_s + 1
    assert said[-1][0] is state  # and it stays said while it lasts
    assert seen_share(samples) <= 0.1


@pytest.mark.slow
@pytest.mark.parametrize("name,state", [("covered", Seen.COVERED), ("away", Seen.UNSEEN)])
def test_a_stretch_without_a_face_is_said_while_it_lasts_and_only_then(analysed, name, state):
    """6 s of faces, 14 s with the lens covered (or nobody there), 6 s of faces: the tray says so
    within the window after the stretch starts and takes it back once the face is seen again."""
    samples = analysed[name]
    said = shown(samples)
    assert [s for s, _t in said] == [Seen.SEEN, state, Seen.SEEN]
    start, end = 6.0, 20.0  # the stretch, in seconds of the call
    assert start < said[1][1] <= start + TH.window_s * TH.unseen_share + 0.5
    assert end < said[2][1] <= end + TH.window_s / 4 + 0.5  # back soon after the face is
    assert 0.35 <= seen_share(samples) <= 0.6  # 12 s of 26 seen


@pytest.mark.slow
def test_the_share_seen_reaches_the_calls_index(analysed, tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(analysed["covered"][0].time)
    for s in analysed["covered"]:
        w.write(s)
    store.add_to_index(w.close())
    (call,) = store.calls()
    assert call.seen == pytest.approx(seen_share(analysed["covered"]), abs=1e-4)
    with store.index_path.open(newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert float(row["seen"]) == pytest.approx(call.seen, abs=1e-4)


def test_the_rule_judges_one_sample_by_the_thresholds():
    face = Visibility(150, 50, 130, 60, 1.2)
    assert classify(face, TH) is Seen.SEEN
    assert classify(Visibility(30, 12, 28, 15, 1.2), TH) is Seen.DARK
    assert classify(Visibility(180, 88, 45, 25, 4.0), TH) is Seen.BACKLIT
    assert classify(Visibility(6, 2), TH) is Seen.COVERED
    assert classify(Visibility(30, 12), TH) is Seen.DARK  # a dark room with no face found in it
    assert classify(Visibility(165, 48), TH) is Seen.UNSEEN
    assert classify(None, TH) is Seen.UNSEEN  # no frame at all
    stricter = VisibilityThresholds(dark_face=140)
    assert classify(face, stricter) is Seen.DARK  # the settings decide


def test_a_glance_away_is_not_reported():
    watch = Watch(TH)
    face, away = Visibility(150, 50, 130, 60, 1.2), Visibility(165, 48)
    states = [watch.add(T0 + timedelta(seconds=i / 2), away if 30 <= i < 36 else face) for i in range(80)]
    assert set(states) == {Seen.SEEN}  # 3 s away in a 10 s window


@pytest.mark.parametrize("language,words,line", [
    ("en", "it may be covered", "On call 01:35: stress not measured"),
    ("ko", "가려져 있을 수 있습니다", "통화 중 01:35: 스트레스 측정 안 됨"),
])
def test_the_tray_line_says_not_measured_with_the_hint_apart_and_a_calm_icon(language, words, line):
    text = Messages(language)
    status = tray_status(text, Thresholds(), (), call=CallFacts(95.0, 0.3, seen=Seen.COVERED))
    assert status.look == "unseen" and status.in_call and status.index == 0.3
    assert status.line == line and "0.3" not in status.line  # no number that reads as calm
    assert words in status.hint
    hints = {tray_status(text, Thresholds(), (), call=CallFacts(95.0, 0.3, seen=state)).hint
             for state in (Seen.UNSEEN, Seen.DARK, Seen.BACKLIT, Seen.COVERED)}
    assert len(hints) == 4
    seen = tray_status(text, Thresholds(), (), call=CallFacts(95.0, 0.3))
    assert seen.look == "elevated" and seen.hint == ""
    camera = tray_status(text, Thresholds(), (), call=CallFacts(95.0, 0.3, camera_problem="gone", seen=Seen.UNSEEN))
    assert camera.look == "problem"  # a camera that fails is a problem, said as such


def test_the_unseen_icon_is_its_own_and_not_alarming():
    from trayagent.ui import icons

    img = np.asarray(icons.icon("unseen").convert("RGB"), dtype=np.int32)
    centre = img[10, 32]  # on the face's rim, inside the outline
    r, g, b = (int(c) for c in centre)
    assert b > r + 40 and b > g  # blue, far from the alert red
    for look in icons.LOOKS:
        if look != "unseen":
            assert np.abs(np.asarray(icons.icon(look).convert("RGB"), dtype=np.int32) - img).sum() > 0


@pytest.mark.slow
def test_the_graph_marks_poorly_lit_stretches_and_says_the_share_seen(analysed):
    from dataclasses import replace

    from matplotlib.patches import Patch

    from trayagent.ui import graphs

    both = analysed["normal"][:30] + analysed["dark"][:30]  # 6 s lit, then 6 s dark
    samples = [replace(s, time=T0 + timedelta(seconds=i / 5)) for i, s in enumerate(both)]
    fig = graphs.call_figure(samples, "call")
    labels = {h.get_label() for ax in fig.axes if ax.get_legend() for h in ax.get_legend().legend_handles
              if isinstance(h, Patch)}
    assert "too dark" in labels and "light from behind" not in labels
    assert graphs.call_sentence(samples, Thresholds()).endswith(
        " The camera saw your face well for 50% of the call.")
    assert "camera" not in graphs.call_sentence(analysed["normal"], Thresholds())


def test_records_from_before_visibility_still_read(tmp_path):
    """A call CSV and an index written before these columns existed read as before: no numbers,
    no share seen; the next call rewrites the index with today's header and keeps the old row."""
    store = CallStore(tmp_path)
    store.dir.mkdir(parents=True)
    old = store.call_path("20261124-093000")
    old.write_text("time,emotion,stress,p_happy,p_neutral,p_stress,p_surprise,face\n"
                   "2026-11-24T09:30:00.000+09:00,stress,0.02,0.1,0.1,0.7,0.1,1\n"
                   "2026-11-24T09:30:00.500+09:00,,0.02,,,,,0\n")
    store.index_path.write_text(
        "id,start,end,duration_s,samples,faces,peak,mean,final,calibrated\n"
        "20261124-093000,2026-11-24T09:30:00.000+09:00,2026-11-24T09:30:00.500+09:00,0.5,2,1,0.02,0.02,0.02,0\n")
    samples = list(read_samples(old))
    assert [s.emotion for s in samples] == ["stress", None]
    assert all(s.visibility is None for s in samples)
    (call,) = store.calls()
    assert call.seen is None and call.samples == 2
    new = store.new_call(T0 + timedelta(hours=1))
    new.write(Sample(T0 + timedelta(hours=1), "happy", -0.005, (0.9, 0.05, 0.03, 0.02), Visibility(150, 50, 130, 60, 1.2)))
    store.add_to_index(new.close())
    calls = store.calls()
    assert [c.seen for c in calls] == [None, 1.0]
    assert store.index_path.read_text().splitlines()[0].endswith(",calibrated,seen")


def test_the_settings_table_holds_the_thresholds(tmp_path):
    user = tmp_path / "settings.toml"
    user.write_text("[visibility]\nbacklit = 3.5\nwindow_s = 20\n")
    cfg = config.load(tmp_path / "policy.toml", user)
    assert cfg.visibility == VisibilityThresholds(window_s=20.0, backlit=3.5)
    user.write_text("[visibility]\nbacklit = 0.5\n")
    cfg = config.load(tmp_path / "policy.toml", user)
    assert cfg.visibility.backlit == TH.backlit and "visibility.backlit" in (cfg.problem or "")
