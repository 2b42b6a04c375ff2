"""Issue 12, 17-18: a model's metadata and outputs are checked when it loads, never at a call's first face."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from tests.helpers import cli
from trayagent import paths


def _with_metadata(tmp_path, **props) -> str:
    import onnx

    model = onnx.load(str(paths.shipped_model()))
    existing = {p.key: p for p in model.metadata_props}
    for key, value in props.items():
        text = value if isinstance(value, str) else json.dumps(value)
        if key in existing:
            existing[key].value = text
        else:
            model.metadata_props.add(key=key, value=text)
    path = tmp_path / "bad.onnx"
    onnx.save(model, str(path))
    return str(path)


def _shipped(key: str):
    from trayagent.perception.classifier import EmotionClassifier

    return json.loads(EmotionClassifier().info.metadata[key])


BAD = [
    ({"preprocessing": ["size", 48]}, "'preprocessing' must be a JSON object"),
    ({"preprocessing": {"color": "gray"}}, "preprocessing 'size' must be [height, width]"),
    ({"preprocessing": {"size": [48, 48], "color": "gray", "scale": "x"}}, "preprocessing 'scale' must be a finite number, not 'x'"),
    ({"preprocessing": {"size": [48, 48], "color": "gray", "std": 0}}, "preprocessing std is 0"),
    ({"preprocessing": {"size": [48, 48], "color": "purple"}}, "preprocessing 'color' must be one of"),
    ({"labels": ["happy", "happy", "neutral", "sad", "fear", "surprise", "angry"]}, "names 'happy' more than once"),
    ({"labels": '"happy"'}, "'labels' must be a list of class names"),
    ({"output": "scores"}, "'output' must be \"probabilities\" or \"logits\""),
]


@pytest.mark.parametrize("props, message", BAD, ids=["pre-list", "no-size", "scale-x", "std-0", "color", "labels-repeat",
                                                      "labels-str", "output"])
def test_bad_metadata_is_refused_at_load(tmp_path, props, message):
    from trayagent.perception.classifier import EmotionClassifier, ModelError

    path = _with_metadata(tmp_path, **props)
    with pytest.raises(ModelError) as e:
        EmotionClassifier(path)
    assert str(path) in str(e.value) and message in str(e.value)


def _nan_model(tmp_path, nan_when_bright: bool):
    """A 7-class model over the FER labels whose outputs are NaN for every face, or only for bright
    ones (sqrt(150 - mean pixel): finite on the load-time probe, NaN on a white face)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 48, 48])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 7])
    zeros = helper.make_tensor("z", TensorProto.FLOAT, [7], [0.0] * 7)
    limit = helper.make_tensor("c", TensorProto.FLOAT, [1], [150.0 if nan_when_bright else float("nan")])
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[1, 2, 3], keepdims=0),  # (N,)
        helper.make_node("Unsqueeze", ["m", "ax"], ["m1"]),  # (N, 1)
        helper.make_node("Sub", ["c", "m1"], ["d"]),
        helper.make_node("Sqrt", ["d"], ["s"]),
        helper.make_node("Add", ["s", "z"], ["y"]),  # (N, 7), NaN where the face is brighter than 150
    ]
    axes = helper.make_tensor("ax", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[zeros, limit, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    model.metadata_props.add(key="labels", value=json.dumps(_shipped("labels")))
    model.metadata_props.add(key="preprocessing", value=json.dumps({"size": [48, 48], "color": "gray"}))
    model.metadata_props.add(key="output", value="logits")
    path = tmp_path / ("bright-nan.onnx" if nan_when_bright else "nan.onnx")
    onnx.save(model, str(path))
    return path


def test_a_model_whose_outputs_are_nan_is_refused(tmp_path):
    from trayagent.perception.classifier import EmotionClassifier, ModelError

    path = _nan_model(tmp_path, nan_when_bright=False)
    with pytest.raises(ModelError, match="NaN or infinite outputs on a test face"):
        EmotionClassifier(path)


def test_a_nan_reading_never_reaches_a_calls_csv(tmp_path):
    from trayagent.core.stress import CallStats
    from trayagent.perception.classifier import EmotionClassifier
    from trayagent.perception.face_box import Box
    from trayagent.perception.pipeline import Perception
    from trayagent.storage.calls import CallWriter

    clf = EmotionClassifier(_nan_model(tmp_path, nan_when_bright=True))  # passes the probe
    perception = Perception(classifier=clf, calibration=None)
    stats, start = CallStats(), datetime.now(UTC)
    writer = CallWriter(tmp_path / "call.csv", "call", start)
    for level in (100, 255):  # a dim face reads, a bright one gives NaN
        frame = np.full((120, 120, 3), level, np.uint8)
        gray = frame[:, :, 0].copy()
        obs = perception.classify(frame, gray, Box(10, 10, 100, 100))
        writer.write(obs.sample(start, stats.step(obs.emotion, obs.calibrated, obs.visibility)))
    writer.close()
    text = (tmp_path / "call.csv").read_text().lower()
    assert "nan" not in text and "inf" not in text
    rows = text.strip().splitlines()[1:]
    assert len(rows) == 2 and rows[0].split(",")[1] != "" and rows[1].split(",")[1] == ""


@pytest.mark.slow
def test_doctor_names_the_model_problem(tmp_path, home):
    path = _with_metadata(tmp_path, preprocessing={"size": [48, 48], "color": "gray", "scale": "x"})
    (home / "config.toml").write_text(f"[model]\npath = '{path}'\n")
    r = cli("doctor", "--no-camera")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "[FIX] model:" in r.stdout and "preprocessing 'scale' must be a finite number" in r.stdout
    assert "check failed" not in r.stdout and "<lambda>" not in r.stdout
    r = cli("analyze", "--model", path, str(tmp_path / "none.avi"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
