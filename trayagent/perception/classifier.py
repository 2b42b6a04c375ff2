"""The emotion CNN on onnxruntime. Everything needed to feed the model comes from the model file's
metadata, so a model and its preprocessing cannot drift apart, and a user can bring another model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.perception.cv import cv2
from trayagent.core.emotions import FER7, PRODUCT4, grouping_matrix
from trayagent.core.errors import TrayagentError


class ModelError(TrayagentError):
    pass


@dataclass(frozen=True)
class Preprocessing:
    """x = (pixels * scale - mean) / std, pixels in 0..255, in `color` order, resized to size.

    `equalize: "hist"` (grey models only): cv2.equalizeHist on the face after it is resized, as
    FER2013's copy here was made (its README: the original 48x48 pixels, equalised, are within a
    median of 3.3 grey levels of it). A model trained on those faces has never seen a raw one.
    """

    size: tuple[int, int]  # (height, width)
    color: str  # "gray", "rgb" or "bgr"
    scale: float = 1.0
    mean: float = 0.0
    std: float = 1.0
    equalize: str | None = None  # None or "hist"


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    labels: tuple[str, ...]
    preprocessing: Preprocessing
    outputs_probabilities: bool
    metadata: dict[str, str]

    @property
    def has_fer7(self) -> bool:
        return tuple(self.labels) == FER7


def _metadata_json(meta: dict[str, str], key: str, path: Path):
    if key not in meta:
        raise ModelError(f"{path}: model has no {key!r} metadata (see models/README.md for what a model must carry)")
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError:
        raise ModelError(f"{path}: model metadata {key!r} is not valid JSON") from None


def _onnxruntime():
    """onnxruntime, with its telemetry off. Since 1.2x its wheels carry Microsoft's 1DS telemetry,
    which keeps an event store in ~/.cache/Microsoft and is built to upload it: the product promises
    no network traffic and no files outside the user's data folder. The switch must be set before
    the library loads; the call covers Windows' ETW events."""
    import os

    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import onnxruntime as ort  # heavy: only loaded when a model is really needed

    ort.disable_telemetry_events()
    return ort


class EmotionClassifier:
    def __init__(self, path: Path | str | None = None, threads: int = 1) -> None:
        path = Path(path) if path else paths.shipped_model()
        if not path.exists():
            raise ModelError(f"{path}: model file not found")
        if not path.is_file():
            raise ModelError(f"{path}: model path is not a file")
        ort = _onnxruntime()

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises several unrelated types for a bad file
            first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise ModelError(f"{path}: not a usable ONNX model ({first})") from None
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        labels = tuple(_metadata_json(meta, "labels", path))
        try:
            self._group = grouping_matrix(labels)
        except ValueError as e:
            raise ModelError(f"{path}: {e}") from None
        pre = _metadata_json(meta, "preprocessing", path)
        inp = self._session.get_inputs()
        if len(inp) != 1 or len(inp[0].shape) != 4:
            raise ModelError(f"{path}: expected one 4-D image input (N, C, H, W), found "
                             f"{[tuple(i.shape) for i in inp]}")
        _, c, h, w = inp[0].shape
        channels = 1 if pre.get("color") == "gray" else 3
        if c != channels or h != pre["size"][0] or w != pre["size"][1]:
            raise ModelError(f"{path}: input shape {tuple(inp[0].shape)} does not match its metadata "
                             f"({channels} channels, {pre['size'][0]}x{pre['size'][1]})")
        equalize = pre.get("equalize")
        if equalize not in (None, "hist"):
            raise ModelError(f"{path}: unknown preprocessing equalize {equalize!r} (known: \"hist\")")
        if equalize and channels != 1:
            raise ModelError(f"{path}: preprocessing equalize \"hist\" needs a gray model")
        out = self._session.get_outputs()[0]
        if out.shape[-1] != len(labels):
            raise ModelError(f"{path}: output has {out.shape[-1]} classes but metadata names {len(labels)}")
        self._input = inp[0].name
        self.info = ModelInfo(path, labels, Preprocessing(tuple(pre["size"]), pre["color"],
                                                          pre.get("scale", 1.0), pre.get("mean", 0.0),
                                                          pre.get("std", 1.0), equalize),
                              meta.get("output", "probabilities") == "probabilities", meta)

    def prepare(self, face_bgr_or_gray: np.ndarray) -> np.ndarray:
        """One face crop (BGR or grey, any size) as the model's (C, H, W) float32 input."""
        p = self.info.preprocessing
        img = face_bgr_or_gray
        if p.color == "gray":
            if img.ndim == 3:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        else:
            if img.ndim == 2:
                img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
            if p.color == "rgb":
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        h, w = p.size
        interp = cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_LINEAR
        img = cv2.resize(img, (w, h), interpolation=interp)
        if p.equalize == "hist":
            img = cv2.equalizeHist(img)
        img = img.astype(np.float32)
        x = (img * p.scale - p.mean) / p.std
        return x[None] if x.ndim == 2 else x.transpose(2, 0, 1)

    def predict(self, faces: list[np.ndarray]) -> np.ndarray:
        """Probabilities over the model's labels, one row per face crop."""
        if not faces:
            return np.zeros((0, len(self.info.labels)), np.float32)
        batch = np.stack([self.prepare(f) for f in faces])
        out = self._session.run(None, {self._input: batch})[0]
        if not self.info.outputs_probabilities:
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        return out

    def product(self, probs: np.ndarray) -> np.ndarray:
        """Probabilities over PRODUCT4: each product class is the sum of its member emotions."""
        return probs @ self._group

    @staticmethod
    def product_label(probs4: np.ndarray) -> str:
        return PRODUCT4[int(np.argmax(probs4))]
