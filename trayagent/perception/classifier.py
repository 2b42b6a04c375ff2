"""The emotion CNN on onnxruntime. Everything needed to feed the model comes from the model file's
metadata, so a model and its preprocessing cannot drift apart, and a user can bring another model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np

from trayagent import os_errors, paths
from trayagent.core.emotions import FER7, PRODUCT4, UnknownLabel, grouping_matrix
from trayagent.i18n import _
from trayagent.perception.cv import cv2
from trayagent.perception.model_metadata import (
    ModelError,
    Preprocessing,
    labels_of,
    mirror_margin,
    preprocessing_of,
    short,
)

Adjust = Callable[[np.ndarray], np.ndarray]  # 4-class probabilities in, 4-class probabilities out
Mirror = Literal["where close", "every face", "none"]


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    labels: tuple[str, ...]
    preprocessing: Preprocessing
    outputs_probabilities: bool
    metadata: dict[str, str]
    # The face's mirror image is read too, and the two readings averaged, when the two likeliest
    # product classes are closer than this (1: every face; None: the model is read as it is).
    mirror_margin: float | None = None

    @property
    def has_fer7(self) -> bool:
        return tuple(self.labels) == FER7


MAX_MODEL_BYTES = 1 << 30  # an emotion CNN is a few MB; the biggest sensible one far below this


def _onnxruntime() -> ModuleType:
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
            raise ModelError(_("{path}: model file not found").format(path=path))
        if not path.is_file():
            raise ModelError(_("{path}: model path is not a file").format(path=path))
        try:  # read by Python and handed over as bytes: no native library ever opens a user's path
            with path.open("rb") as f:
                data = f.read(MAX_MODEL_BYTES + 1)
        except OSError as e:
            raise ModelError(_("{path}: cannot read the model ({reason})").format(
                path=path, reason=os_errors.reason(e))) from None
        if len(data) > MAX_MODEL_BYTES:
            raise ModelError(_("{path}: larger than {size} GB; not an emotion model").format(
                path=path, size=MAX_MODEL_BYTES >> 30))
        ort = _onnxruntime()

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises several unrelated types for a bad file
            first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise ModelError(_("{path}: not a usable ONNX model ({error})").format(path=path, error=first)) from None
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        labels = labels_of(meta, path)
        try:
            self._group = grouping_matrix(labels)
        except UnknownLabel as e:
            raise ModelError(_("{path}: label {label} is neither a FER2013 emotion nor a product class").format(
                path=path, label=repr(e.label))) from None
        pre = preprocessing_of(meta, path)
        output = meta.get("output", "probabilities")
        if output not in ("probabilities", "logits"):
            raise ModelError(_("{path}: model metadata {key} must be {one} or {other}, not {value}").format(
                path=path, key="'output'", one='"probabilities"', other='"logits"', value=short(output)))
        inp = self._session.get_inputs()
        if len(inp) != 1 or len(inp[0].shape) != 4:
            raise ModelError(_("{path}: expected one 4-D image input (N, C, H, W), found {inputs}").format(
                path=path, inputs=[tuple(i.shape) for i in inp]))
        _batch, c, h, w = inp[0].shape
        channels = 1 if pre.color == "gray" else 3
        if c != channels or h != pre.size[0] or w != pre.size[1]:
            raise ModelError(_("{path}: input shape {shape} does not match its metadata ({channels} channels, "
                               "{size})").format(path=path, shape=tuple(inp[0].shape), channels=channels,
                                                 size=f"{pre.size[0]}x{pre.size[1]}"))
        out = self._session.get_outputs()[0]
        if out.shape[-1] != len(labels):
            raise ModelError(_("{path}: output has {n} classes but metadata names {labels}").format(
                path=path, n=out.shape[-1], labels=len(labels)))
        self._input = inp[0].name
        self.info = ModelInfo(path, labels, pre, output == "probabilities", meta, mirror_margin(meta, path))
        self._probe()

    def _probe(self) -> None:
        """Refuse a model that does not give a finite probability for every class of a plain face
        (a grey ramp and mid-grey): such a model reads every face as its first class and fills the
        calls with NaN."""
        h, w = self.info.preprocessing.size
        ramp = np.tile(np.linspace(0, 255, w, dtype=np.float32), (h, 1)).astype(np.uint8)
        try:
            probs = self.predict([ramp, np.full((h, w), 128, np.uint8)])
        except Exception as e:  # onnxruntime's own error types
            first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise ModelError(_("{path}: the model fails on a test face ({error})").format(
                path=self.info.path, error=first)) from None
        if probs.shape != (2, len(self.info.labels)) or not np.isfinite(probs).all():
            raise ModelError(_("{path}: the model gives NaN or infinite outputs on a test face").format(
                path=self.info.path))

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

    def predict(self, faces: list[np.ndarray], through: Adjust | None = None,
                mirror: Mirror = "where close") -> np.ndarray:
        """Probabilities over the model's labels, one row per face crop (see `predict_prepared`)."""
        if not faces:
            return np.zeros((0, len(self.info.labels)), np.float32)
        return self.predict_prepared(np.stack([self.prepare(f) for f in faces]), through, mirror)

    def predict_prepared(self, batch: np.ndarray, through: Adjust | None = None,
                         mirror: Mirror = "where close") -> np.ndarray:
        """`predict` for faces already `prepare`d, stacked (N, C, H, W).

        A model with `mirror` metadata also reads the face's mirror image, and the two readings are
        averaged, where the two likeliest product classes are closer than its margin (`mirror_where`):
        the second pass costs as much as the first and changes little where one class clearly
        leads, which is most faces (models/README.md, "Mirror"). `through` is what the caller does
        next to the 4-class probabilities (a person's calibration): the tie is judged on what will
        be reported. mirror="every face": a calibration's baseline, which sets every later reading;
        "none": the plain pass alone."""
        probs = self._run(batch)
        if mirror == "none" or self.info.mirror_margin is None:
            return probs
        close = np.full(len(probs), True) if mirror == "every face" else self.mirror_where(self.product(probs), through)
        if close.any():
            probs[close] = (probs[close] + self._run(np.ascontiguousarray(batch[close][..., ::-1]))) / 2
        return probs

    def mirror_where(self, probs4: np.ndarray, through: Adjust | None = None) -> np.ndarray:
        """Which faces, read once as `probs4` (4-class), the mirror image is read for: those whose two
        likeliest classes, after `through`, are closer than the model's margin (NaN counts as close;
        a margin of 1, every face; no margin, none)."""
        margin = self.info.mirror_margin
        if margin is None:
            return np.full(len(probs4), False)
        if margin >= 1:
            return np.full(len(probs4), True)
        top = np.sort(through(probs4) if through is not None else probs4, axis=1)
        return ~(top[:, -1] - top[:, -2] >= margin)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        out = self._session.run(None, {self._input: batch})[0]
        if not self.info.outputs_probabilities:
            with np.errstate(invalid="ignore", over="ignore"):
                e = np.exp(out - out.max(axis=1, keepdims=True))
                out = e / e.sum(axis=1, keepdims=True)
        return out

    @staticmethod
    def readable(probs: np.ndarray) -> np.ndarray:
        """Which rows of `predict` are readings (all finite): a model can still give NaN or inf for
        some face, which must count as no reading, never reach a call's CSV."""
        return np.isfinite(probs).all(axis=1)

    def product(self, probs: np.ndarray) -> np.ndarray:
        """Probabilities over PRODUCT4: each product class is the sum of its member emotions."""
        return probs @ self._group

    @staticmethod
    def product_label(probs4: np.ndarray) -> str:
        return PRODUCT4[int(np.argmax(probs4))]
