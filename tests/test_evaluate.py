"""`trayagent evaluate` on folder-per-class image sets."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import videos
from tests.helpers import cli as run_cli
from tests.videos import make_set
from trayagent.core.emotions import FER7, PRODUCT4, to_product
from trayagent.perception import labelled

MODELS = Path(__file__).resolve().parents[1] / "models"


def test_scan_accepts_aliases_and_reports_what_it_skips(tmp_path):
    for folder in ("Anger", "happiness", "sadness", "neutral", "contempt"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.png").write_bytes(b"x")
    (tmp_path / "neutral" / "notes.txt").write_text("hello")
    (tmp_path / "neutral" / "sub").mkdir()
    (tmp_path / "neutral" / "sub" / "b.JPG").write_bytes(b"x")
    found = labelled.scan(tmp_path)
    assert sorted(label for _, label in found.items) == ["angry", "happy", "neutral", "neutral", "sad"]
    assert found.skipped_folders == ["contempt"]
    assert [p.name for p in found.skipped_files] == ["notes.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing", "no such folder"),
    (lambda d: (d / "f.txt").write_text("x") and d / "f.txt", "not a folder"),
    (lambda d: d, "no images found in emotion folders"),
    (lambda d: (d / "contempt").mkdir() or d, "no images found"),
])
def test_bad_folders_get_one_line_errors(tmp_path, setup, message):
    target = setup(tmp_path)
    result = run_cli("evaluate", str(target))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert message in result.stderr and str(target) in result.stderr


@pytest.mark.slow
def test_unreadable_images_are_skipped_and_named(tmp_path):
    make_set(tmp_path, {"happy": [videos.astronaut()]})
    (tmp_path / "happy" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    result = run_cli("evaluate", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert "broken.png" in result.stderr
    r = json.loads(result.stdout)
    assert r["images"] == 1 and r["unreadable"][0].endswith("broken.png")


@pytest.mark.slow
def test_only_unreadable_images_is_an_error(tmp_path):
    (tmp_path / "sad").mkdir()
    (tmp_path / "sad" / "x.jpg").write_bytes(b"nope")
    result = run_cli("evaluate", str(tmp_path))
    assert result.returncode == 1 and "could be read" in result.stderr


@pytest.mark.slow
def test_evaluate_matches_a_confusion_matrix_computed_by_hand(tmp_path, publictest, perception):
    images, labels = publictest
    rng = np.random.default_rng(0)
    chosen = {name: [images[i] for i in rng.choice(np.nonzero(labels == k)[0], 6, replace=False)]
              for k, name in enumerate(FER7) if name != "disgust"}  # a set without one emotion
    root = make_set(tmp_path / "set", chosen)
    (root / "contempt").mkdir()
    cv2.imwrite(str(root / "contempt" / "x.png"), images[0])
    result = run_cli("evaluate", str(root), "--json")
    assert result.returncode == 0, result.stderr
    assert "contempt" in result.stderr
    r = json.loads(result.stdout)

    clf = perception.classifier
    cm7, cm4 = np.zeros((7, 7), int), np.zeros((4, 4), int)
    for name, faces in chosen.items():
        for face in faces:
            p = clf.predict([face])[0]
            cm7[FER7.index(name), int(p.argmax())] += 1
            cm4[PRODUCT4.index(to_product(name)), int(clf.product(p).argmax())] += 1
    assert r["images"] == 36 and r["skipped_folders"] == ["contempt"]
    assert r["confusion_7"] == cm7.tolist()
    assert r["confusion_4"] == cm4.tolist()
    assert r["accuracy_7"] == pytest.approx(np.trace(cm7) / 36, abs=1e-4)
    assert r["accuracy_4"] == pytest.approx(np.trace(cm4) / 36, abs=1e-4)
    assert "disgust" not in r["recall_7"] and r["emotions_present"] == [n for n in FER7 if n != "disgust"]
    assert r["recall_7"]["happy"] == pytest.approx(cm7[3, 3] / 6, abs=1e-4)


@pytest.mark.slow
def test_detect_faces_counts_a_missed_face_as_wrong(tmp_path):
    scene = videos.background()
    face = videos.paste(scene, videos.astronaut())
    root = make_set(tmp_path, {"happy": [face, scene]})  # the second picture shows no face
    r = json.loads(run_cli("evaluate", str(root), "--detect-faces", "--json").stdout)
    assert r["faces_found_rate"] == 0.5
    assert r["labels_4"][-1] == "no face"
    assert r["confusion_4"][0][-1] == 1  # one happy picture predicted "no face"
    assert r["accuracy_4"] <= 0.5


@pytest.mark.slow
def test_comparing_models_names_the_better_one(tmp_path, publictest):
    images, labels = publictest
    root = make_set(tmp_path, {FER7[k]: [img for img, y in zip(images[:300], labels[:300]) if y == k][:5]
                               for k in range(7)})
    shipped = MODELS / "emotion.onnx"
    result = run_cli("evaluate", str(root), "--model", str(shipped), "--model", str(shipped), "--json")
    out = json.loads(result.stdout)
    assert len(out["models"]) == 2 and out["best"] == str(shipped)
    assert out["models"][0]["confusion_7"] == out["models"][1]["confusion_7"]
