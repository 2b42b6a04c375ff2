"""Personal calibration: the arithmetic, the refusals, storage, and that the daemon's perception,
`analyze` and `evaluate` apply it (and `--per-person` against a hand-computed example)."""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import videos
from tests.helpers import cli as run_cli
from tests.korean import HANGUL, english_left
from trayagent import config, paths
from trayagent.core.calibration import Baseline, Calibration, CalibrationError, Reference, apply, log_probs
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.core.records import CallSummary
from trayagent.storage import baseline as store
from trayagent.storage.calls import INDEX_COLUMNS, CallStore


def _baseline(logp, sha="0" * 64, faces=20) -> Baseline:
    return Baseline(tuple(float(v) for v in logp), faces, sha, "2025-01-01T09:00:00+00:00", 120.0, 50.0, "camera")


# --- the arithmetic (pure) ---------------------------------------------------------------------

def test_the_relaxed_face_maps_onto_the_reference_and_other_faces_move_alike():
    reference = Reference(tuple(np.log([0.05, 0.5, 0.3, 0.15])), (2.0,) * 4, "test")
    relaxed = np.array([0.02, 0.28, 0.6, 0.1])  # this person's calm face reads as stressed
    b = _baseline(log_probs(relaxed))
    np.testing.assert_allclose(apply(relaxed, b, reference, 1.0, 10.0), np.exp(reference.logp), atol=1e-6)
    # a face of theirs that reads more stressed than their calm face still reads more stressed
    tense = np.array([0.01, 0.1, 0.85, 0.04])
    out = apply(np.stack([relaxed, tense]), b, reference, 1.0, 10.0)
    assert out[1, 2] > out[0, 2] and np.allclose(out.sum(1), 1)
    assert PRODUCT4[int(out[0].argmax())] == "neutral"
    # strength 0 changes nothing; clip bounds every class's shift
    np.testing.assert_allclose(apply(tense, b, reference, 0.0, 10.0), tense, atol=1e-6)
    shift = Calibration(b, reference, 1.0, 0.5).shift
    assert np.abs(shift).max() == pytest.approx(0.5)


def test_a_damaged_or_foreign_baseline_file_is_refused_with_a_message(tmp_path):
    p = tmp_path / "calibration.json"
    p.write_text("{not json")
    with pytest.raises(CalibrationError, match="damaged"):
        store.load(p)
    d = _baseline([-3, -1, -2, -2]).as_dict()
    d["classes"] = ["a", "b", "c", "d"]
    p.write_text(json.dumps(d))
    with pytest.raises(CalibrationError, match="calibrate"):
        store.load(p)
    assert store.load(tmp_path / "none.json") is None


# --- the product's path: faces in frames ---------------------------------------------------------

@pytest.fixture(scope="module")
def model_faces(publictest):
    """publictest faces a stock Haar finds in a scene, with the shipped model's 4-class reading."""
    from trayagent.perception.classifier import EmotionClassifier

    cascade = cv2.CascadeClassifier(str(paths.cascade_file()))
    clf = EmotionClassifier()
    images, labels = publictest
    out = {"neutral": [], "happy": []}
    for img, y in zip(images[:1500], labels[:1500]):
        name = FER7[y]
        if name not in out or len(out[name]) >= 40:
            continue
        frame = cv2.cvtColor(videos.paste(videos.background(), img), cv2.COLOR_BGR2GRAY)
        if len(cascade.detectMultiScale(frame, 1.05, 6, minSize=(120, 120))) == 1:
            out[name].append((img, clf.product(clf.predict([img]))[0]))
    return out


def _photos(folder: Path, faces: list[np.ndarray], dim: float = 1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, face in enumerate(faces):
        frame = videos.paste(videos.background(i), face).astype(np.float32) * dim
        cv2.imwrite(str(folder / f"{i}.png"), frame.clip(0, 255).astype(np.uint8))
    return folder


def _typical_neutral(model_faces, n=5):
    """Neutral faces the model reads as neutral: a plausible relaxed face."""
    faces = [f for f, p in model_faces["neutral"] if PRODUCT4[int(p.argmax())] == "neutral"]
    assert len(faces) >= n
    return faces[:n]


@pytest.mark.slow
def test_calibrate_from_photos_stores_numbers_only_for_the_user_alone(tmp_path, model_faces, home):
    folder = _photos(tmp_path / "me", _typical_neutral(model_faces))
    r = run_cli("calibrate", "--camera", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    path = paths.baseline_file()
    assert path.parent == paths.data_dir() and path.exists()
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0
    stored = json.loads(path.read_text())

    def leaves(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from leaves(v)
        elif isinstance(x, list):
            assert len(x) <= len(PRODUCT4)  # never a picture's worth of numbers
            for v in x:
                yield from leaves(v)
        else:
            yield x

    texts = {v for v in leaves(stored) if isinstance(v, str)}
    assert all(isinstance(v, (int, float, str)) for v in leaves(stored))
    assert texts <= {stored["model_sha256"], stored["created"], stored["source"], *PRODUCT4}
    assert re.fullmatch(r"[0-9a-f]{64}", stored["model_sha256"]) and stored["faces"] == 5
    assert path.stat().st_size < 1000
    shown = run_cli("calibrate", "--show")
    assert shown.returncode == 0 and "applies to the model in use" in shown.stdout
    assert run_cli("calibrate", "--reset").returncode == 0 and not path.exists()


def test_every_refusal_says_what_to_do_in_korean(tmp_path):
    """Each rule of core.calibration.refusal, as a Korean reader is told it (the tray's notification,
    `trayagent calibrate`), and a damaged or foreign baseline file likewise."""
    from trayagent import i18n
    from trayagent.perception.model_baseline import validate

    reference = Reference(tuple(np.log([0.05, 0.5, 0.3, 0.15])), (0.5,) * 4, "test")
    good = _baseline(reference.logp)
    cases = {"faces": (replace(good, faces=1), 0), "in view": (good, 100),
             "dark": (replace(good, brightness=10.0), 20), "contrast": (replace(good, contrast=5.0), 20),
             **{c: (_baseline(np.add(reference.logp, np.eye(4)[PRODUCT4.index(c)])), 20)
                for c in ("happy", "stress", "surprise")}}
    (tmp_path / "damaged.json").write_text("{not json")
    foreign = good.as_dict() | {"classes": ["a", "b", "c", "d"]}
    (tmp_path / "foreign.json").write_text(json.dumps(foreign))
    i18n.use("ko")
    try:
        told = []
        for baseline, frames in cases.values():
            with pytest.raises(CalibrationError) as e:
                validate(baseline, reference, frames, min_faces=10)
            told.append(str(e.value))
        for name in ("damaged.json", "foreign.json"):
            with pytest.raises(CalibrationError) as e:
                store.load(tmp_path / name)
            told.append(str(e.value).replace(str(tmp_path), ""))
    finally:
        i18n.use("auto")
    assert len(set(told)) == len(told) == len(cases) + 2  # one rule each, none the same
    for text in told:
        assert HANGUL.search(text) and not english_left(text, tmp_path), text
    validate(good, reference, 20, min_faces=10)  # and a relaxed face in good light passes


@pytest.mark.slow
def test_bad_calibrations_are_refused_and_keep_the_stored_one(tmp_path, model_faces):
    from trayagent.perception.model_baseline import calibrate_from_frames
    from trayagent.perception.pipeline import Perception

    perception = Perception(calibration=None)
    relaxed = _typical_neutral(model_faces)
    store.save(_baseline([-3, -1, -2, -2]))
    before = paths.baseline_file().read_bytes()

    # too few faces: a video in which the face shows only briefly
    rec = videos.record(tmp_path / "away.avi", [(None, None), ("neutral", relaxed[0]), (None, None)], frames_each=10)
    r = run_cli("calibrate", "--camera", str(rec.path), "--seconds", "30")
    assert r.returncode == 1 and "at least 10 needed" in r.stderr and "sit facing the camera" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and paths.baseline_file().read_bytes() == before
    frames = [videos.paste(videos.background(), relaxed[0])] + [videos.background()] * 3
    with pytest.raises(CalibrationError, match="at least 10 needed"):
        calibrate_from_frames(frames, perception, "video")

    # poor light: the same relaxed faces, dimmed
    dark = _photos(tmp_path / "dark", relaxed, dim=0.2)
    r = run_cli("calibrate", "--camera", str(dark))
    assert r.returncode == 1 and ("too dark" in r.stderr or "contrast" in r.stderr), r.stderr

    # a smile held on purpose: the faces the model reads as most happy
    smiles = [f for f, p in sorted(model_faces["happy"], key=lambda fp: -fp[1][0])[:3]]
    r = run_cli("calibrate", "--camera", str(_photos(tmp_path / "smile", smiles)))
    assert r.returncode == 1 and "smiling" in r.stderr and "relax your face" in r.stderr
    assert paths.baseline_file().read_bytes() == before

    # and the same relaxed faces in good light are accepted
    assert calibrate_from_frames([cv2.imread(str(p)) for p in sorted((_photos(tmp_path / "ok", relaxed)).iterdir())],
                                 perception, "photos").faces == len(relaxed)


def test_a_baseline_from_another_model_is_never_applied(model_faces, caplog):
    from trayagent.commands.doctor import _calibration
    from trayagent.perception.pipeline import Perception

    store.save(_baseline([-5, -2, -0.5, -3], sha="f" * 64))
    with caplog.at_level(logging.WARNING):
        p = Perception.for_user(None, store.stored(), config.defaults())
    assert p.calibration is None and "another model" in caplog.text
    frame = videos.paste(videos.background(), _typical_neutral(model_faces)[0])
    obs = p.observe(frame)
    assert not obs.calibrated
    check = _calibration(None)
    assert not check.ok and "another model" in check.detail


def _stored_for_shipped_model(logp) -> Calibration:
    from trayagent.perception.classifier import EmotionClassifier
    from trayagent.perception.model_baseline import model_identity, reference_for

    clf = EmotionClassifier()
    b = _baseline(logp, sha=model_identity(clf.info.path))
    store.save(b)
    return Calibration(b, reference_for(clf), 1.0, 1.5)


def test_the_daemons_perception_applies_the_users_calibration(model_faces):
    from trayagent.core.stress import CallStats
    from trayagent.perception.pipeline import Perception

    # a person whose relaxed face the model reads as stressed
    cal = _stored_for_shipped_model(np.log([0.02, 0.2, 0.7, 0.08]))
    face = _typical_neutral(model_faces)[0]
    frame = videos.paste(videos.background(), face)
    plain = Perception(calibration=None).observe(frame)
    mine = Perception.for_user(None, store.stored(), config.defaults()).observe(frame)  # as the daemon builds it
    assert mine.calibrated and not plain.calibrated
    np.testing.assert_allclose(mine.probs4, cal.apply(plain.probs4), atol=1e-5)
    assert mine.probs4[PRODUCT4.index("stress")] < plain.probs4[PRODUCT4.index("stress")]
    stats = CallStats()
    stats.step(mine.emotion, mine.calibrated, mine.visibility)
    assert stats.summary("c", datetime.now(UTC), datetime.now(UTC)).calibrated


@pytest.mark.slow
def test_analyze_applies_it_and_says_so(tmp_path, model_faces):
    rec = videos.record(tmp_path / "call.avi", [("neutral", f) for f in _typical_neutral(model_faces, 3)], frames_each=4)
    plain = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "a"), "--json")
    assert plain.returncode == 0 and json.loads(plain.stdout)["calibrated"] is False
    _stored_for_shipped_model(np.log([0.01, 0.05, 0.9, 0.04]))  # calm reads as very stressed for this person
    mine = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "b"), "--json")
    off = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "c"), "--json", "--no-calibration")
    a, b, c = (json.loads(x.stdout) for x in (plain, mine, off))
    assert b["calibrated"] is True and c["calibrated"] is False and c["emotions"] == a["emotions"]
    from trayagent.storage.calls import read_samples, summarize

    kept = [summarize("call", read_samples(tmp_path / d / "call.csv")).calibrated for d in "bc"]
    assert kept == [True, False]  # the record says so too: an index row rebuilt from it keeps it
    assert b["emotions"]["stress"] <= a["emotions"]["stress"] and b["emotions"] != a["emotions"]

    def probs(d: dict) -> list[str]:
        return [r["p_stress"] for r in _rows(Path(d["csv"])) if r["face"] == "1"]

    assert all(float(x) < float(y) for x, y in zip(probs(b), probs(a)))


def _rows(path: Path) -> list[dict]:
    import csv

    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_calls_index_says_whether_a_call_was_calibrated_and_reads_old_indexes(tmp_path):
    t = datetime(2025, 1, 1, 9, tzinfo=UTC)
    old = tmp_path / "calls.csv"
    old.write_text("id,start,end,duration_s,samples,faces,peak,mean,final\n"
                   f"20250101-090000,{t.isoformat()},{t.isoformat()},0.0,1,1,0.1,0.1,0.1\n")
    s = CallStore(tmp_path)
    s.add_to_index(CallSummary("20250101-090000-2", t, t, 2, 2, 0.2, 0.1, 0.2, calibrated=True))
    calls = s.calls()
    assert [(c.id, c.calibrated) for c in calls] == [("20250101-090000", False), ("20250101-090000-2", True)]
    assert old.read_text().splitlines()[0].split(",") == list(INDEX_COLUMNS)


# --- evaluate ---------------------------------------------------------------------------------

def _labelled(root: Path, items: list[tuple[str, str, np.ndarray]]) -> Path:
    for folder, name, img in items:
        (root / folder).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / folder / name), img)
    return root


@pytest.mark.slow
def test_evaluate_applies_the_users_calibration_unless_asked_not_to(tmp_path, model_faces):
    faces = _typical_neutral(model_faces, 4)
    root = _labelled(tmp_path / "set", [("neutral", f"{i}.png", f) for i, f in enumerate(faces)])
    cal = _stored_for_shipped_model(np.log([0.01, 0.02, 0.95, 0.02]))
    mine = json.loads(run_cli("evaluate", str(root), "--json").stdout)
    off = json.loads(run_cli("evaluate", str(root), "--json", "--no-calibration").stdout)
    assert mine["calibration"] and off["calibration"] is None
    from trayagent.perception.classifier import EmotionClassifier

    clf = EmotionClassifier()
    plain = clf.product(clf.predict(faces))
    expected = np.bincount(cal.apply(plain).argmax(1), minlength=4)
    assert np.array(mine["confusion_4"])[PRODUCT4.index("neutral")].tolist() == expected.tolist()
    assert np.array(off["confusion_4"])[PRODUCT4.index("neutral")].tolist() == \
        np.bincount(plain.argmax(1), minlength=4).tolist()


@pytest.mark.slow
def test_per_person_matches_a_hand_computed_example(tmp_path, publictest):
    """Two people, A and B: each has two neutral pictures and three others. By hand: every neutral
    picture of a person in turn is their baseline, their other four pictures are read calibrated,
    and the four-picture confusion matrices are averaged per person, then summed. With a smile:
    their happy picture is the smile too, and only the other three are read."""
    from trayagent.perception.classifier import EmotionClassifier
    from trayagent.perception.model_baseline import reference_for

    images, labels = publictest
    pick = {name: [img for img, y in zip(images, labels) if FER7[y] == name][:4] for name in
            ("neutral", "happy", "sad", "surprise")}
    people = {"A": [("neutral", pick["neutral"][0]), ("neutral", pick["neutral"][1]), ("happy", pick["happy"][0]),
                    ("sad", pick["sad"][0]), ("surprise", pick["surprise"][0])],
              "B": [("neutral", pick["neutral"][2]), ("neutral", pick["neutral"][3]), ("happy", pick["happy"][1]),
                    ("sad", pick["sad"][1]), ("sad", pick["sad"][2])]}
    items = [(label, f"{who}.{label}{i}.png", img) for who, pics in people.items() for i, (label, img) in enumerate(pics)]
    root = _labelled(tmp_path / "set", items)
    r = run_cli("evaluate", str(root), "--per-person", r"^([A-Z])\.", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)

    clf = EmotionClassifier()
    ref = reference_for(clf)
    total, total_smile = np.zeros((4, 4)), np.zeros((4, 4))
    per = {}
    for who, pics in people.items():
        p4 = clf.product(clf.predict([img for _, img in pics]))
        truth = [PRODUCT4.index(to_product(label)) for label, _ in pics]
        mats, mats_smile = [], []
        for k in (0, 1):  # each neutral picture as the baseline
            b = _baseline(np.log(np.clip(p4[k], 1e-4, 1)), faces=1)
            smiling = replace(b, smile_logp=tuple(np.log(np.clip(p4[2], 1e-4, 1))), smile_faces=1)
            m, ms = np.zeros((4, 4)), np.zeros((4, 4))
            for j in range(len(pics)):
                if j != k:
                    m[truth[j], int(apply(p4[j], b, ref, 1.0, 1.5).argmax())] += 1
                if j not in (k, 2):
                    ms[truth[j], int(apply(p4[j], smiling, ref, 1.0, 1.5).argmax())] += 1
            mats.append(m)
            mats_smile.append(ms)
        mean = (mats[0] + mats[1]) / 2
        total += mean
        total_smile += (mats_smile[0] + mats_smile[1]) / 2
        per[who] = np.trace(mean) / mean.sum()
    np.testing.assert_allclose(got["confusion_4_calibrated"], total, atol=1e-4)
    np.testing.assert_allclose(got["confusion_4_calibrated_smile"], total_smile, atol=1e-4)
    assert got["per_person"]["A"]["smile_choices"] == 1
    assert got["accuracy_4_calibrated"] == pytest.approx(np.trace(total) / total.sum(), abs=1e-4)
    for who in people:
        assert got["per_person"][who]["accuracy_4_calibrated"] == pytest.approx(per[who], abs=1e-4)
        assert got["per_person"][who]["neutral_choices"] == 2
    assert got["calibration_strength"] == 1.0 and got["calibration_clip"] == 1.5
    bad = run_cli("evaluate", str(root), "--per-person", r"^(Z)\.")
    assert bad.returncode == 1 and "name no person" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_per_person_on_jaffe_dev_reports_every_person():
    jaffe = videos.SHARED / "datasets" / "jaffe-dev" / "images"
    if not jaffe.exists():
        pytest.skip(f"jaffe-dev not found at {jaffe}")
    r = run_cli("evaluate", str(jaffe), "--detect-faces", "--per-person", r"^([A-Z]{2})\.", "--json")
    got = json.loads(r.stdout)
    assert sorted(got["per_person"]) == ["KA", "KL", "KM", "KR"]
    assert all(p["neutral_choices"] == 3 for p in got["per_person"].values())
    cm = np.array(got["confusion_4_calibrated"])
    assert cm.sum() == pytest.approx(87 - 4, abs=0.01)  # each person's pictures less the one left out


# --- the greeting smile --------------------------------------------------------------------------

# The shipped model's reference (models.reference: publictest's neutral and happy faces) and
# jaffe-dev readings through the product's face finding (models.calibration_study's cache): KR,
# whose smile and frown the model barely sees, and KL, whose smile it reads fully.
SHIPPED_REFERENCE = Reference((-3.6378, -1.0312, -1.5449, -2.4135), (2.9458, 0.9431, 1.2259, 1.4917), "test",
                              (-0.4596, -3.4412, -3.1524, -3.328))
KR = {"relaxed": [0.017, 0.718, 0.083, 0.182], "smile": [0.107, 0.715, 0.057, 0.121],
      "angry": [0.008, 0.686, 0.166, 0.140], "sad": [0.006, 0.428, 0.272, 0.293]}
KL = {"relaxed": [0.014, 0.641, 0.203, 0.143], "smile": [0.846, 0.107, 0.028, 0.019]}


def _with_smile(person: dict) -> Baseline:
    return replace(_baseline(log_probs(np.array(person["relaxed"]))),
                   smile_logp=tuple(float(v) for v in log_probs(np.array(person["smile"]))), smile_faces=15)


def test_a_faint_smile_turns_up_the_persons_expressions_and_a_full_one_changes_nothing():
    from trayagent.core.calibration import GAIN_MAX, gain, smile_reach

    kr = _with_smile(KR)
    reach = float(smile_reach(np.array(kr.logp), np.array(kr.smile_logp), np.array(SHIPPED_REFERENCE.logp),
                              np.array(SHIPPED_REFERENCE.happy)))
    assert 0.3 < reach < 0.5  # her smile moves the model less than half as far as a typical one
    assert gain(kr, SHIPPED_REFERENCE) == GAIN_MAX
    # her relaxed face still maps exactly onto the reference ...
    np.testing.assert_allclose(apply(np.array(KR["relaxed"]), kr, SHIPPED_REFERENCE, 1.0, 1.5),
                               np.exp(SHIPPED_REFERENCE.logp) / np.exp(SHIPPED_REFERENCE.logp).sum(), atol=1e-5)
    # ... and her angry and sad faces read more stressed than with the shift alone
    shift_only = _baseline(kr.logp)
    stress = PRODUCT4.index("stress")
    for face in (KR["angry"], KR["sad"]):
        before = apply(np.array(face), shift_only, SHIPPED_REFERENCE, 1.0, 1.5)
        after = apply(np.array(face), kr, SHIPPED_REFERENCE, 1.0, 1.5)
        assert PRODUCT4[int(after.argmax())] == "stress" and after[stress] > before[stress] + 0.15
    # KL's smile reads fully (reach above 1): her gain is 1 and she is calibrated exactly as without it
    kl = _with_smile(KL)
    assert gain(kl, SHIPPED_REFERENCE) == 1.0
    faces = np.array([KR["angry"], KR["sad"], KL["smile"]])
    np.testing.assert_allclose(apply(faces, kl, SHIPPED_REFERENCE, 1.0, 1.5),
                               apply(faces, _baseline(kl.logp), SHIPPED_REFERENCE, 1.0, 1.5), atol=1e-6)


def test_a_smile_that_barely_reads_as_one_is_refused_and_never_sets_the_gain():
    from trayagent.core.calibration import MIN_SMILE, gain, smile_refusal

    relaxed = _baseline(log_probs(np.array(KR["relaxed"])))
    # a "smile" that is the relaxed face again, slightly happier: reach under MIN_SMILE
    faint = log_probs(np.array(KR["relaxed"])) + np.array([0.1, 0, 0, 0])
    b = replace(relaxed, smile_logp=tuple(faint), smile_faces=15)
    rule, numbers = smile_refusal(b, SHIPPED_REFERENCE, 15, 5)
    assert rule == "no smile" and numbers["reach"] < MIN_SMILE
    assert gain(b, SHIPPED_REFERENCE) == 1.0
    assert smile_refusal(_with_smile(KR), SHIPPED_REFERENCE, 15, 5) is None
    assert smile_refusal(replace(_with_smile(KR), smile_faces=2), SHIPPED_REFERENCE, 15, 5)[0] == "smile faces"
    assert smile_refusal(_with_smile(KR), replace(SHIPPED_REFERENCE, happy=None), 15, 5)[0] == "smile unusable"
    assert smile_refusal(relaxed, SHIPPED_REFERENCE, 15, 5) is None  # no smile given: nothing to refuse


def test_a_stored_smile_round_trips_and_a_calibration_stored_before_it_still_applies(tmp_path):
    kr = _with_smile(KR)
    store.save(kr, tmp_path / "new.json")
    loaded = store.load(tmp_path / "new.json")
    np.testing.assert_allclose(loaded.smile_logp, kr.smile_logp, atol=1e-5)
    assert loaded.smile_faces == 15 and loaded.format == 2
    # a format-1 file, as trayagent wrote it before the smile: read, no gain, the same shift as ever
    old = {k: v for k, v in _baseline(kr.logp).as_dict().items() if k not in ("smile_logp", "smile_faces")}
    (tmp_path / "old.json").write_text(json.dumps(old | {"format": 1}))
    before = store.load(tmp_path / "old.json")
    assert before.smile_logp is None
    face = np.array(KR["angry"])
    shift = np.asarray(before.logp) - np.asarray(SHIPPED_REFERENCE.logp)
    by_hand = np.exp(log_probs(face) - shift)
    np.testing.assert_allclose(apply(face, before, SHIPPED_REFERENCE, 1.0, 1.5), by_hand / by_hand.sum(), atol=1e-6)
    damaged = kr.as_dict() | {"smile_logp": [0.0, "x", 0.0, 0.0]}
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    with pytest.raises(CalibrationError, match="calibrate"):
        store.load(tmp_path / "damaged.json")


@pytest.mark.slow
def test_calibrate_with_a_smile_stores_it_and_refuses_a_smile_that_is_not_one(tmp_path, model_faces, home):
    relaxed = _photos(tmp_path / "me", _typical_neutral(model_faces))
    smiles = [f for f, p in sorted(model_faces["happy"], key=lambda fp: -fp[1][0])[:3]]
    r = run_cli("calibrate", "--camera", str(relaxed), "--smile", str(_photos(tmp_path / "smile", smiles)), "--json")
    assert r.returncode == 0, r.stderr
    stored = json.loads(paths.baseline_file().read_text())
    assert stored["smile_faces"] == 3 and len(stored["smile_logp"]) == len(PRODUCT4)
    assert "smile: from 3 faces" in run_cli("calibrate", "--show").stdout
    before = paths.baseline_file().read_bytes()
    # the relaxed faces again as the "smile": refused, with what to do, and the stored one kept
    r = run_cli("calibrate", "--camera", str(relaxed), "--smile", str(relaxed))
    assert r.returncode == 1 and "greet a customer" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert paths.baseline_file().read_bytes() == before
    # without --smile, photos calibrate on the relaxed face alone
    assert run_cli("calibrate", "--camera", str(relaxed)).returncode == 0
    assert "smile_logp" not in json.loads(paths.baseline_file().read_text())


@pytest.mark.slow
def test_calibrate_from_videos_reads_5_s_of_the_smile_and_photos_of_it_after_a_video(tmp_path, model_faces, home):
    relaxed = videos.record(tmp_path / "relaxed.avi", [("neutral", f) for f in _typical_neutral(model_faces)],
                            frames_each=20)  # 10 s at 10 fps
    smiles = [f for f, p in sorted(model_faces["happy"], key=lambda fp: -fp[1][0])[:3]]
    smiling = videos.record(tmp_path / "smile.avi", [("happy", f) for f in smiles] * 2, frames_each=20)  # 12 s
    r = run_cli("calibrate", "--camera", str(relaxed.path), "--smile", str(smiling.path), "--json")
    assert r.returncode == 0, r.stderr
    stored = json.loads(paths.baseline_file().read_text())
    assert stored["source"] == "video" and 10 <= stored["faces"] <= 31
    assert 10 <= stored["smile_faces"] <= 16  # 5 s of it at about 3 frames a second, not all 12 s
    # a video of the relaxed face, then three photos of the smile: photos' rule (at least one face)
    r = run_cli("calibrate", "--camera", str(relaxed.path), "--smile", str(_photos(tmp_path / "smile", smiles)),
                "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(paths.baseline_file().read_text())["smile_faces"] == 3


def test_every_smile_refusal_says_what_to_do_in_korean(tmp_path):
    from trayagent import i18n
    from trayagent.core.calibration import smile_refusal
    from trayagent.perception.model_baseline import _refuse

    kr = _with_smile(KR)
    cases = [(replace(kr, smile_faces=2), SHIPPED_REFERENCE, 15), (kr, SHIPPED_REFERENCE, 40),
             (replace(kr, smile_logp=kr.logp), SHIPPED_REFERENCE, 15), (kr, replace(SHIPPED_REFERENCE, happy=None), 15)]
    i18n.use("ko")
    try:
        told = []
        for baseline, reference, frames in cases:
            refused = smile_refusal(baseline, reference, frames, 5)
            assert refused is not None
            with pytest.raises(CalibrationError) as e:
                _refuse(*refused)
            told.append(str(e.value))
    finally:
        i18n.use("auto")
    assert len(set(told)) == len(cases)
    for text in told:
        assert HANGUL.search(text) and not english_left(text, tmp_path), text
