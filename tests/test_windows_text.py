"""Windows as Korean agents have it: Hangul in every path, consoles whose code page cannot show Hangul."""

from __future__ import annotations

import os

import pytest

from tests.helpers import cli


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_korean_text_on_a_console_that_cannot_show_it_does_not_crash(tmp_path, home, encoding):
    """Issue 11, 4: a Korean message printed to a cp1252 console or an ASCII pipe raised UnicodeEncodeError."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    missing = tmp_path / "통화 녹화.avi"
    r = cli("analyze", str(missing), env=env, encoding=encoding)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr
    assert r.stderr.startswith("trayagent: error:") and "avi" in r.stderr
    (home / "config.toml").write_text("[ui]\nlanguage = 'ko'\n[model]\npath = '모델.onnx'\n", encoding="utf-8")
    r = cli("doctor", "--no-camera", env=env, encoding=encoding)
    assert "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr, r.stderr
    fix = "[조치]".encode(encoding, "backslashreplace").decode(encoding)  # doctor's "to fix" mark, escaped
    assert fix in r.stdout and ".onnx" in r.stdout, r.stdout


@pytest.fixture
def no_native_paths(monkeypatch):
    """OpenCV's imread/imwrite/CascadeClassifier(path) and onnxruntime given a path, as on Windows
    where they fail for Hangul ones: every product path must reach them as bytes instead."""
    import cv2

    from trayagent.perception import classifier

    handed: list[str] = []

    def refuse(name):
        def call(*args, **_kw):
            handed.append(f"{name}{args[:1]!r}")
            raise AssertionError(f"{name} was handed a path: {args[:1]!r}")
        return call

    real_cascade = cv2.CascadeClassifier

    def cascade(*args):
        if args:
            return refuse("CascadeClassifier")(*args)
        return real_cascade()

    monkeypatch.setattr(cv2, "imread", refuse("imread"))
    monkeypatch.setattr(cv2, "imwrite", refuse("imwrite"))
    monkeypatch.setattr(cv2, "CascadeClassifier", cascade)
    ort = classifier._onnxruntime()
    real_session = ort.InferenceSession

    def session(model, *args, **kw):
        if not isinstance(model, bytes):
            return refuse("InferenceSession")(model)
        return real_session(model, *args, **kw)

    monkeypatch.setattr(ort, "InferenceSession", session)
    return handed


def test_hangul_paths_reach_no_native_file_api(tmp_path, monkeypatch, no_native_paths, capsys):
    """Issue 11, 2: a runtime installed under C:\\Users\\김민수 and pictures in Hangul folders."""
    import argparse
    import shutil

    from trayagent import paths
    from trayagent.commands import bench, calibrate
    from trayagent.commands import evaluate as evaluate_cmd
    from trayagent.perception.classifier import EmotionClassifier
    from trayagent.perception.cv import read_image, write_image
    from trayagent.perception.faces import face_detector, find_face

    profile = tmp_path / "Users" / "김민수"
    data = profile / "AppData" / "trayagent" / "data"
    shutil.copytree(paths.package_data(), data)
    model = profile / "모델" / "감정.onnx"
    model.parent.mkdir(parents=True)
    shutil.copy(paths.shipped_model(), model)
    monkeypatch.setattr(paths, "package_data", lambda: data)
    monkeypatch.setattr(bench, "FACE", data / paths.bench_face().name)

    detector = face_detector(video=False)  # Haar and YuNet, from the Hangul folder
    frame = bench.synthetic_frames(1)[0]  # the bench face, read from there
    _, box = find_face(detector, frame)
    assert box is not None
    clf = EmotionClassifier(model)
    assert clf.info.path == model and clf.readable(clf.predict([frame])).all()

    photos = profile / "사진"
    for folder in ("happy", "neutral"):
        (photos / folder).mkdir(parents=True)
        assert write_image(photos / folder / "웃는 얼굴.png", frame)
    assert read_image(photos / "happy" / "웃는 얼굴.png").shape == frame.shape
    assert len(list(calibrate.photo_frames(photos / "neutral"))) == 1
    rc = evaluate_cmd.command(argparse.Namespace(dir=str(photos), detect_faces=True, model=[str(model)],
                                                 no_calibration=True, per_person=None, json=True))
    out = capsys.readouterr()
    assert rc == 0 and '"images": 2' in out.out and '"faces_found_rate": 1.0' in out.out, out
    assert no_native_paths == []
