"""`trayagent analyze` on generated 640x480 recordings with real faces, end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import cli as run_cli
from trayagent.core.stress import next_index
from trayagent.storage.calls import SAMPLE_COLUMNS

pytestmark = pytest.mark.slow  # every case runs trayagent as a process of its own


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def assert_table_3(table: list[dict[str, str]]) -> None:
    index = 0.0
    for r in table:
        index = next_index(index, r["emotion"] or None)
        assert float(r["stress"]) == pytest.approx(index, abs=1e-5)


@pytest.fixture
def fer_recording(tmp_path, clear_faces) -> videos.Recording:
    segments = [(None, None), ("happy", clear_faces["happy"][0]), (None, None), ("sad", clear_faces["sad"][0]),
                ("angry", clear_faces["angry"][0]), ("surprise", clear_faces["surprise"][0]), (None, None),
                ("neutral", clear_faces["neutral"][0]), ("happy", clear_faces["happy"][1])]
    return videos.record(tmp_path / "call.avi", segments, frames_each=6)


def test_analyze_finds_faces_exactly_where_shown_and_follows_table_3(tmp_path, fer_recording):
    out = tmp_path / "out"
    before = set(tmp_path.rglob("*"))
    result = run_cli("analyze", str(fer_recording.path), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    table = rows(out / "call.csv")
    assert list(table[0].keys()) == list(SAMPLE_COLUMNS)
    assert len(table) == len(fer_recording.truth)  # every frame, none lost or invented
    found = [r["face"] == "1" for r in table]
    assert found == [label is not None for label in fer_recording.truth]
    assert all((r["emotion"] == "") == (r["face"] == "0") for r in table)
    assert_table_3(table)
    for r in table:
        if r["face"] == "1":
            assert sum(float(r[c]) for c in ("p_happy", "p_neutral", "p_stress", "p_surprise")) == pytest.approx(1, abs=1e-3)
    assert summary["samples"] == len(table)
    assert summary["faces"] == sum(found)
    assert summary["final"] == pytest.approx(float(table[-1]["stress"]), abs=1e-4)
    assert summary["peak"] == pytest.approx(max(float(r["stress"]) for r in table), abs=1e-4)
    # the only picture written is the graph of numbers
    written = set(tmp_path.rglob("*")) - before
    assert {p.name for p in written if p.is_file()} == {"call.csv", "call.png"}


def test_times_are_iso_8601_with_offset_and_follow_the_video_clock(tmp_path, fer_recording):
    from datetime import datetime

    assert run_cli("analyze", str(fer_recording.path), "--out", str(tmp_path)).returncode == 0
    times = [datetime.fromisoformat(r["time"]) for r in rows(tmp_path / "call.csv")]
    assert all(t.tzinfo is not None for t in times)
    steps = {round((b - a).total_seconds(), 3) for a, b in zip(times, times[1:])}
    assert steps == {round(1 / fer_recording.fps, 3)}


def test_fps_subsamples_the_recording(tmp_path, fer_recording):
    assert run_cli("analyze", str(fer_recording.path), "--out", str(tmp_path), "--fps", "2").returncode == 0
    table = rows(tmp_path / "call.csv")
    duration = len(fer_recording.truth) / fer_recording.fps
    assert len(table) == pytest.approx(duration * 2, abs=1)
    assert_table_3(table)


def test_public_domain_face_is_found_without_shared_data(tmp_path):
    rec = videos.record(tmp_path / "astro.avi", [(None, None), ("face", videos.astronaut()), (None, None)],
                        frames_each=5)
    result = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "o"), "--json")
    assert result.returncode == 0, result.stderr
    table = rows(tmp_path / "o" / "astro.csv")
    assert [r["face"] == "1" for r in table] == [t is not None for t in rec.truth]


def test_truncated_recording_yields_the_frames_it_holds(tmp_path):
    rec = videos.record(tmp_path / "full.avi", [("face", videos.astronaut())], frames_each=40)
    data = rec.path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    result = run_cli("analyze", str(cut), "--out", str(tmp_path / "o"), "--json")
    assert result.returncode == 0, result.stderr
    n = len(rows(tmp_path / "o" / "cut.csv"))
    assert 5 <= n < 40


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.avi", "no such file"),
    (lambda d: d, "not a file"),
    (lambda d: (d / "notes.avi").write_text("not a video at all\n" * 50) and d / "notes.avi", "not a video"),
    (lambda d: (d / "empty.avi").write_bytes(b"") or d / "empty.avi", "video"),
])
def test_bad_video_gives_one_line_error(tmp_path, make, message):
    target = make(tmp_path)
    result = run_cli("analyze", str(target), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(target) in lines[0], result.stderr


@pytest.mark.parametrize("content, message", [
    (b"", "not a usable ONNX model"),
    (b"\x08\x07garbage" * 100, "not a usable ONNX model"),
])
def test_corrupt_model_gives_one_line_error(tmp_path, content, message):
    rec = videos.record(tmp_path / "a.avi", [("face", videos.astronaut())], frames_each=2)
    model = tmp_path / "bad.onnx"
    model.write_bytes(content)
    result = run_cli("analyze", str(rec.path), "--model", str(model), "--out", str(tmp_path / "o"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert message in result.stderr and str(model) in result.stderr


def test_missing_model_named(tmp_path):
    rec = videos.record(tmp_path / "a.avi", [("face", videos.astronaut())], frames_each=2)
    result = run_cli("analyze", str(rec.path), "--model", str(tmp_path / "nope.onnx"))
    assert result.returncode == 1 and "nope.onnx: model file not found" in result.stderr


def test_wrong_shaped_model_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 64, 64])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]))
    model.metadata_props.add(key="labels", value=json.dumps(["happy", "neutral", "stress", "surprise"]))
    model.metadata_props.add(key="preprocessing", value=json.dumps({"size": [48, 48], "color": "gray"}))
    path = tmp_path / "wrong.onnx"
    onnx.save(model, str(path))
    rec = videos.record(tmp_path / "a.avi", [("face", videos.astronaut())], frames_each=2)
    result = run_cli("analyze", str(rec.path), "--model", str(path))
    assert result.returncode == 1 and "does not match its metadata" in result.stderr


def test_broken_config_is_named_and_only_that_value_falls_back(tmp_path, home):
    (home / "config.toml").write_text("[camera]\nfps = 'fast'\n[stress]\nalert_from = 0.9\n")
    rec = videos.record(tmp_path / "a.avi", [("face", videos.astronaut())], frames_each=2)
    result = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "o"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "config.toml: camera.fps = 'fast' is not allowed" in result.stderr


def test_a_recording_with_no_face_is_not_measured_never_calm(tmp_path):
    rec = videos.record(tmp_path / "empty.avi", [(None, None)], frames_each=30)
    result = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "o"), "--json")
    assert result.returncode == 0, result.stderr
    call = json.loads(result.stdout)
    assert call["measured"] is False and (call["peak"], call["mean"], call["final"]) == (None, None, None)
    text = run_cli("analyze", str(rec.path), "--out", str(tmp_path / "o"))
    assert "not measured" in text.stdout and "peak" not in text.stdout
