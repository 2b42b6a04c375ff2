"""models.ensemble: the graph that reads a face zoomed about its centre and with its mirror image,
checked against the same steps done by hand in numpy on a small stand-in network."""

from __future__ import annotations

import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # the `train` extra
from onnx import helper, numpy_helper  # noqa: E402

from models.ensemble import ensemble, zoom_matrix  # noqa: E402
from trayagent.core.emotions import FER7  # noqa: E402
from trayagent.perception.classifier import EmotionClassifier  # noqa: E402


def bilinear_zoom(img: np.ndarray, zoom: float) -> np.ndarray:
    """Each output pixel sampled from the input by hand: (i - c) / zoom + c, edges repeated."""
    n = img.shape[0]
    c = (n - 1) / 2
    out = np.empty_like(img, dtype=np.float64)
    for i in range(n):
        for j in range(n):
            y = min(max((i - c) / zoom + c, 0), n - 1)
            x = min(max((j - c) / zoom + c, 0), n - 1)
            y0, x0 = int(y), int(x)
            y1, x1 = min(y0 + 1, n - 1), min(x0 + 1, n - 1)
            fy, fx = y - y0, x - x0
            out[i, j] = ((1 - fy) * ((1 - fx) * img[y0, x0] + fx * img[y0, x1])
                         + fy * ((1 - fx) * img[y1, x0] + fx * img[y1, x1]))
    return out


def test_the_zoom_matrices_resample_bilinearly_about_the_centre():
    img = np.random.default_rng(0).integers(0, 256, (48, 48)).astype(np.float64)
    for zoom in (1.1, 0.9, 1.25):
        z = zoom_matrix(48, zoom).astype(np.float64)
        assert np.abs(z @ img @ z.T - bilinear_zoom(img, zoom)).max() < 1e-3  # (float32 weights)
    assert np.array_equal(zoom_matrix(48, 1.0), np.eye(48, dtype=np.float32))


def _stand_in(path, weights: np.ndarray) -> None:
    """A network that depends on where each pixel is: softmax(flatten(face) @ W), 7 emotions."""
    nodes = [helper.make_node("Flatten", ["face"], ["flat"]),
             helper.make_node("MatMul", ["flat", "W"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=1)]
    graph = helper.make_graph(
        nodes, "stand-in", [helper.make_tensor_value_info("face", onnx.TensorProto.FLOAT, ["N", 1, 48, 48])],
        [helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, ["N", 7])],
        [numpy_helper.from_array(weights, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"labels": json.dumps(list(FER7)), "output": "probabilities",
            "preprocessing": json.dumps({"size": [48, 48], "color": "gray", "scale": 1.0, "mean": 0.0, "std": 1.0})}
    for k, v in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.save(model, str(path))


def _net(weights: np.ndarray):
    def net(face: np.ndarray) -> np.ndarray:
        logits = face.reshape(-1) @ weights.astype(np.float64)
        e = np.exp(logits - logits.max())
        return e / e.sum()
    return net


def test_a_zoomed_mirrored_model_reads_the_zoomed_face_and_its_mirror(tmp_path):
    rng = np.random.default_rng(1)
    weights = (rng.standard_normal((48 * 48, 7)) / 2000).astype(np.float32)
    _stand_in(tmp_path / "net.onnx", weights)
    ensemble([(tmp_path / "net.onnx", True)], tmp_path / "zoomed.onnx", zoom=1.1)

    faces = rng.integers(0, 256, (3, 48, 48)).astype(np.uint8)
    got = EmotionClassifier(tmp_path / "zoomed.onnx").predict(list(faces))
    net = _net(weights)

    zoomed = [bilinear_zoom(f.astype(np.float64), 1.1) for f in faces]
    expected = np.stack([(net(z) + net(z[:, ::-1])) / 2 for z in zoomed])
    assert np.abs(got - expected).max() < 1e-4
    # and not what the face unzoomed would give
    plain = np.stack([(net(f.astype(np.float64)) + net(f[:, ::-1].astype(np.float64))) / 2 for f in faces])
    assert np.abs(got - plain).max() > 1e-3
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "zoomed.onnx")).metadata_props}
    assert "zoomed 1.1x" in meta["test_time_augmentation"]


def _with_mirror_margin(path, margin: float) -> None:
    model = onnx.load(str(path))
    for p in model.metadata_props:
        if p.key == "mirror":
            p.value = json.dumps({"margin": margin})
    onnx.save(model, str(path))


def test_the_mirror_image_is_read_only_where_the_two_likeliest_classes_are_close(tmp_path):
    rng = np.random.default_rng(2)
    weights = (rng.standard_normal((48 * 48, 7)) / 300).astype(np.float32)
    _stand_in(tmp_path / "net.onnx", weights)
    ensemble([(tmp_path / "net.onnx", True)], tmp_path / "zoomed.onnx", zoom=1.1)
    faces = rng.integers(0, 256, (40, 48, 48)).astype(np.uint8)
    net = _net(weights)
    zoomed = [bilinear_zoom(f.astype(np.float64), 1.1) for f in faces]
    once = np.stack([net(z) for z in zoomed])
    twice = np.stack([(net(z) + net(z[:, ::-1])) / 2 for z in zoomed])
    clf = EmotionClassifier(tmp_path / "zoomed.onnx")
    top = np.sort(clf.product(once), axis=1)
    gap = top[:, -1] - top[:, -2]
    margin = float(np.median(gap))
    _with_mirror_margin(tmp_path / "zoomed.onnx", margin)

    got = EmotionClassifier(tmp_path / "zoomed.onnx").predict(list(faces))

    close = gap < margin
    assert 0 < close.sum() < len(faces)
    assert np.abs(got[close] - twice[close]).max() < 1e-4
    assert np.abs(got[~close] - once[~close]).max() < 1e-4
    assert np.abs(once[close] - twice[close]).max() > 1e-3  # the two readings do differ there


def test_ensembled_models_are_mirrored_all_or_none(tmp_path):
    weights = np.zeros((48 * 48, 7), np.float32)
    _stand_in(tmp_path / "a.onnx", weights)
    _stand_in(tmp_path / "b.onnx", weights)
    with pytest.raises(SystemExit, match="mirror all the models or none"):
        ensemble([(tmp_path / "a.onnx", True), (tmp_path / "b.onnx", False)], tmp_path / "out.onnx")
