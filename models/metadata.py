"""Change the preprocessing an exported model declares, without retraining or re-exporting it.

    python -m models.metadata models/emotion.onnx --equalize hist
    python -m models.metadata models/emotion.onnx --equalize none --out /tmp/raw.onnx

The product reads everything it feeds a model from the model's `preprocessing` metadata (see
trayagent/perception/classifier.py). Models trained on this FER2013 copy have seen only histogram-
equalised faces; `"equalize": "hist"` has the product equalise each face the same way. It did not
help the shipped model (models/README.md, "Histogram equalisation"), which leaves it out; this
turns it on or off on an exported model to measure it (`models.export --equalize hist` at export).
After changing it, re-measure the neutral reference: `python -m models.reference MODEL`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx


def set_preprocessing(path: Path, out: Path | None = None, **changes) -> dict:
    """Set (or, with None, remove) keys of the model's preprocessing JSON; returns the new value."""
    model = onnx.load(str(path))
    props = {p.key: p for p in model.metadata_props}
    if "preprocessing" not in props:
        raise SystemExit(f"{path}: no preprocessing metadata to change")
    pre = json.loads(props["preprocessing"].value)
    for key, value in changes.items():
        if value is None:
            pre.pop(key, None)
        else:
            pre[key] = value
    props["preprocessing"].value = json.dumps(pre)
    onnx.save(model, str(out or path))
    return pre


def set_entry(path: Path, key: str, value: object, out: Path | None = None) -> None:
    """Write one metadata entry as JSON, replacing any entry of that key (out: a copy instead)."""
    model = onnx.load(str(path))
    props = {p.key: p for p in model.metadata_props}
    if key in props:
        props[key].value = json.dumps(value)
    else:
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=json.dumps(value)))
    onnx.save(model, str(out or path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--equalize", choices=["hist", "none"], required=True)
    ap.add_argument("--out", type=Path, help="write a copy here instead of changing the model in place")
    args = ap.parse_args()
    pre = set_preprocessing(args.model, args.out, equalize=None if args.equalize == "none" else args.equalize)
    print(f"{args.out or args.model}: preprocessing {json.dumps(pre)}")


if __name__ == "__main__":
    main()
