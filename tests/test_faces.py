"""Face finding: Haar first, YuNet when Haar finds nothing (rate-limited in video), levelling of a
tilted face, and the classifier's histogram equalisation as the model's metadata asks."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import videos
from tests.helpers import cli as run_cli
from tests.videos import make_set
from trayagent import paths
from trayagent.perception.faces import FaceDetector, crop, face_detector, find_face, level_matrix
from trayagent.perception.yunet import YuNet

ROOT = Path(__file__).resolve().parents[1]


def tilted(frame: np.ndarray, angle: float, centre: tuple[int, int] = (300, 220)) -> np.ndarray:
    m = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(frame, m, (videos.W, videos.H), borderMode=cv2.BORDER_REFLECT)


@pytest.fixture(scope="module")
def tilted_astronaut() -> np.ndarray:
    """The public-domain astronaut, head turned 30 degrees in the image plane: Haar misses her."""
    return tilted(videos.paste(videos.background(), videos.astronaut()), 30)


def inside(box, centre=(300, 220), half=100) -> bool:
    return abs(box.x + box.w / 2 - centre[0]) < half and abs(box.y + box.h / 2 - centre[1]) < half


def test_yunet_finds_a_tilted_face_that_haar_misses(tilted_astronaut):
    assert find_face(FaceDetector(), tilted_astronaut)[1] is None
    gray, box = find_face(face_detector(video=False), tilted_astronaut)
    assert box is not None and inside(box) and 40 <= box.w <= 200
    assert gray.shape == tilted_astronaut.shape[:2]


def test_fallback_finds_nothing_in_a_face_free_scene():
    assert find_face(face_detector(video=False), videos.background())[1] is None


def test_haar_stays_first_yunet_runs_only_when_it_misses():
    upright = videos.paste(videos.background(), videos.astronaut())
    det = face_detector(video=False)
    box = find_face(det, upright)[1]
    assert box is not None and box.eyes is None  # Haar's box: no landmarks
    assert det.fallback_runs == 0


def test_full_yunet_search_is_rate_limited_while_haar_keeps_missing():
    """In video, YuNet searches a whole frame on the first of every FALLBACK_EVERY frames in a run
    of Haar misses; a frame where Haar finds the face starts the count again."""
    det = face_detector(video=True)
    every = det.fallback_every
    assert every > 1
    empty = videos.background()
    for i in range(2 * every + 1):
        assert find_face(det, empty)[1] is None
        assert det.fallback_runs == i // every + 1
    upright = videos.paste(empty, videos.astronaut())
    assert find_face(det, upright)[1] is not None and det.fallback_runs == 3  # Haar found it
    assert find_face(det, empty)[1] is None and det.fallback_runs == 4  # counting anew
    assert find_face(det, empty)[1] is None and det.fallback_runs == 4


def test_a_face_only_yunet_sees_is_followed_in_every_frame_without_full_searches(tilted_astronaut):
    det = face_detector(video=True)
    det.level = True  # YuNet's boxes then carry eyes, Haar's never do
    boxes = [find_face(det, tilted_astronaut)[1] for _ in range(2 * det.fallback_every + 1)]
    assert all(b is not None and inside(b) and b.eyes is not None for b in boxes)
    assert det.fallback_runs == 1  # one whole-frame search found her; the rest looked around her
    upright = videos.paste(videos.background(), videos.astronaut())
    box = find_face(det, upright)[1]  # she sits up: Haar, still first, has her again
    assert box is not None and box.eyes is None


def test_the_daemon_and_evaluate_share_one_detector_configuration():
    from trayagent.perception.pipeline import Perception

    live, still = Perception().detector, face_detector(video=False)
    assert live.track and not still.track and still.fallback_every == 1
    for d in (live, still):
        assert isinstance(d.fallback, YuNet)
        assert (d.work_width, d.min_face, d.level) == (still.work_width, still.min_face, still.level)


@pytest.mark.slow
def test_evaluate_finds_the_tilted_face(tmp_path, tilted_astronaut):
    root = make_set(tmp_path / "set", {"happy": [tilted_astronaut]})
    r = json.loads(run_cli("evaluate", str(root), "--detect-faces", "--json").stdout)
    assert r["faces_found_rate"] == 1.0


@pytest.fixture(scope="module")
def rolled_face(publictest):
    """A FER2013 face tilted 30 degrees in a scene, found by YuNet with its eyes clearly sloping."""
    images, _ = publictest
    yunet = YuNet()
    for img in images[:200]:
        frame = tilted(videos.paste(videos.background(), img, height=180), 30)
        box = yunet.find(frame)
        if box is not None and inside(box) and abs(box.roll) > 5:
            return frame, box
    pytest.fail("YuNet found no clearly rolled face among 200 tilted publictest faces")


def test_levelling_keeps_the_eyes_when_on(tilted_astronaut):
    det = face_detector(video=False)
    det.level = True
    box = find_face(det, tilted_astronaut)[1]
    assert box is not None and box.eyes is not None


def test_levelling_puts_the_eyes_level_and_the_face_upright(rolled_face):
    frame, box = rolled_face
    m = level_matrix(box)
    eyes = np.array([[*xy, 1.0] for xy in box.eyes]) @ m.T
    assert abs(eyes[0, 1] - eyes[1, 1]) < 0.5 and eyes[1, 0] > eyes[0, 0]  # level, left to right
    face = crop(frame, box)
    assert face.shape[:2] == (box.h, box.w)
    whole = cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    same = whole[box.y:box.y + box.h, box.x:box.x + box.w]  # the crop is the levelled frame's box
    assert np.abs(face.astype(int) - same.astype(int)).mean() < 2
    again = YuNet().find(whole)  # the detector itself now sees a face closer to upright
    assert again is not None and abs(again.roll) < abs(box.roll) - 2


def test_levelling_is_off_in_the_product_and_the_crop_stays_axis_aligned(tilted_astronaut):
    det = face_detector(video=False)
    assert not det.level  # it did not measurably help (models/README.md, "Finding faces")
    box = find_face(det, tilted_astronaut)[1]
    assert box is not None and box.eyes is None and box.roll == 0.0
    assert np.array_equal(crop(tilted_astronaut, box), tilted_astronaut[box.y:box.y + box.h, box.x:box.x + box.w])


def test_a_hangul_path_loads_both_detectors(tmp_path):
    folder = tmp_path / "상담원 얼굴"
    folder.mkdir()
    cascade = shutil.copy(paths.cascade_file(), folder / "haar.xml")
    model = shutil.copy(paths.yunet_file(), folder / "yunet.onnx")
    det = FaceDetector(Path(cascade), fallback=YuNet(Path(model)))
    assert det.detect(cv2.cvtColor(videos.paste(videos.background(), videos.astronaut()), cv2.COLOR_BGR2GRAY))


@pytest.mark.slow
def test_yunet_ships_with_its_licence_and_notice_in_the_wheel():
    model = paths.yunet_file()
    assert model.is_file() and model.stat().st_size > 100_000
    assert "Apache License" in (model.parent / "yunet.LICENSE").read_text()
    assert "yunet_n_320_320.onnx" in (model.parent / "yunet.NOTICE").read_text()
    # The wheel holds every file of the trayagent package that git does not ignore.
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "trayagent" in wheel["packages"] and model.is_relative_to(ROOT / "trayagent")
    if shutil.which("git") and (ROOT / ".git").exists():
        for f in (model, model.parent / "yunet.LICENSE", model.parent / "yunet.NOTICE"):
            ignored = subprocess.run(["git", "check-ignore", "-q", str(f)], cwd=ROOT).returncode == 0
            assert not ignored, f"{f} is git-ignored, so hatch would leave it out of the wheel"


# Histogram equalisation as the model's metadata says


@pytest.fixture(scope="module")
def models_with_and_without(tmp_path_factory):
    from models.metadata import set_preprocessing

    tmp = tmp_path_factory.mktemp("models")
    with_eq, without = tmp / "eq.onnx", tmp / "raw.onnx"
    set_preprocessing(paths.shipped_model(), with_eq, equalize="hist")
    set_preprocessing(paths.shipped_model(), without, equalize=None)
    return with_eq, without


def dim_face() -> np.ndarray:
    """A raw-looking face: the astronaut's face region, grey, squeezed into dark low contrast."""
    face = cv2.cvtColor(videos.astronaut(), cv2.COLOR_BGR2GRAY)[20:160, 40:180]
    return (40 + face.astype(np.float32) * 0.3).astype(np.uint8)


def test_equalisation_only_when_the_metadata_asks(models_with_and_without):
    from trayagent.perception.classifier import EmotionClassifier

    with_eq, without = (EmotionClassifier(p) for p in models_with_and_without)
    assert with_eq.info.preprocessing.equalize == "hist" and without.info.preprocessing.equalize is None
    face = dim_face()
    small = cv2.resize(face, (48, 48), interpolation=cv2.INTER_AREA)
    assert np.array_equal(with_eq.prepare(face)[0], cv2.equalizeHist(small).astype(np.float32))
    assert np.array_equal(without.prepare(face)[0], small.astype(np.float32))
    assert not np.allclose(with_eq.predict([face]), without.predict([face]), atol=1e-3)


def test_an_unknown_equalisation_is_refused(tmp_path):
    from models.metadata import set_preprocessing
    from trayagent.perception.classifier import EmotionClassifier, ModelError

    bad = tmp_path / "bad.onnx"
    set_preprocessing(paths.shipped_model(), bad, equalize="clahe")
    with pytest.raises(ModelError, match="unknown preprocessing equalize 'clahe'"):
        EmotionClassifier(bad)
