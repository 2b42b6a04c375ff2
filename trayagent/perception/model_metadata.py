"""What a model file's metadata must say (labels, preprocessing, the mirror rule), read and checked
with a line naming the problem: the one place that decodes it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayagent.core.errors import TrayagentError
from trayagent.i18n import _

COLORS = ("gray", "rgb", "bgr")


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


def _metadata_json(meta: dict[str, str], key: str, path: Path) -> Any:
    if key not in meta:
        raise ModelError(_("{path}: model has no {key} metadata (see {readme} for what a model must carry)").format(
            path=path, key=repr(key), readme="models/README.md"))
    try:
        return json.loads(meta[key])
    except (json.JSONDecodeError, RecursionError):
        raise ModelError(_("{path}: model metadata {key} is not valid JSON").format(path=path, key=repr(key))) from None


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + f"... ({len(text)} characters)"


def labels_of(meta: dict[str, str], path: Path) -> tuple[str, ...]:
    labels = _metadata_json(meta, "labels", path)
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise ModelError(_("{path}: model metadata {key} must be a list of class names, not {value}").format(
            path=path, key="'labels'", value=short(labels)))
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    if repeated:
        raise ModelError(_("{path}: model metadata {key} names {names} more than once").format(
            path=path, key="'labels'", names=", ".join(map(repr, repeated))))
    return tuple(labels)


def _number(pre: dict, key: str, default: float, path: Path) -> float:
    value = pre.get(key, default)
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ModelError(_("{path}: preprocessing {key} must be a finite number, not {value}").format(
            path=path, key=repr(key), value=short(value)))
    return float(value)


def preprocessing_of(meta: dict[str, str], path: Path) -> Preprocessing:
    """The model's `preprocessing` metadata, every field checked: a model that declares nonsense is
    refused when it loads, never at the first face of a call."""
    pre = _metadata_json(meta, "preprocessing", path)
    if not isinstance(pre, dict):
        raise ModelError(_("{path}: model metadata {key} must be a JSON object, not {value}").format(
            path=path, key="'preprocessing'", value=short(pre)))
    size = pre.get("size")
    if (not isinstance(size, list) or len(size) != 2
            or not all(type(v) is int and 8 <= v <= 1024 for v in size)):
        raise ModelError(_("{path}: preprocessing {key} must be [height, width] in pixels ({lo} to {hi}), "
                           "not {value}").format(path=path, key="'size'", lo=8, hi=1024, value=short(size)))
    color = pre.get("color")
    if color not in COLORS:
        raise ModelError(_("{path}: preprocessing {key} must be one of {choices}, not {value}").format(
            path=path, key="'color'", choices=", ".join(map(repr, COLORS)), value=short(color)))
    equalize = pre.get("equalize")
    if equalize not in (None, "hist"):
        raise ModelError(_("{path}: unknown preprocessing {key} {value} (known: {known})").format(
            path=path, key="equalize", value=short(equalize), known='"hist"'))
    if equalize and color != "gray":
        raise ModelError(_("{path}: preprocessing {key} {value} needs a gray model").format(
            path=path, key="equalize", value='"hist"'))
    scale, mean, std = (_number(pre, "scale", 1.0, path), _number(pre, "mean", 0.0, path),
                        _number(pre, "std", 1.0, path))
    if scale == 0 or std == 0:
        raise ModelError(_("{path}: preprocessing {key} is 0: every face would look the same to the model").format(
            path=path, key="scale" if scale == 0 else "std"))
    return Preprocessing((size[0], size[1]), color, scale, mean, std, equalize)


def mirror_margin(meta: dict[str, str], path: Path) -> float | None:
    """The model's `mirror` metadata (models/ensemble.py, models/mirror.py): {"margin": m}."""
    if "mirror" not in meta:
        return None
    mirror = _metadata_json(meta, "mirror", path)
    margin: Any = mirror.get("margin") if isinstance(mirror, dict) else None
    if type(margin) not in (int, float) or not 0 <= margin <= 1:
        raise ModelError(_("{path}: model metadata {key} must name a margin from 0 to 1, not {value}").format(
            path=path, key="'mirror'", value=short(mirror)))
    return float(margin)
