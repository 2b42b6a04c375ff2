"""Average two exported emotion models into one ONNX file: one session, one run per face.

    python -m models.ensemble models/runs/v2.onnx:mirror models/runs/emotion-v1.onnx:mirror --out models/emotion.onnx

All must take the same input (grey 48x48, 0..255, the same preprocessing metadata) and give
probabilities over the same labels. The first model's metadata is kept, with `members` naming both.
Averaging two networks trained differently (here: FER2013 labels alone, and FER+ votes with mixup)
corrects some of each one's mistakes; whether it pays for its time is decided on publictest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

OUT = "probabilities"


def _meta(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def _prefixed(graph: onnx.GraphProto, prefix: str, keep: set[str]) -> tuple[list, list, str]:
    """The graph's nodes and initializers with every name but `keep` prefixed; and its output's new
    name."""

    def name(n: str) -> str:
        return n if not n or n in keep else prefix + n

    nodes = []
    for node in graph.node:
        new = onnx.NodeProto()
        new.CopyFrom(node)
        new.name = name(node.name)
        new.input[:] = [name(i) for i in node.input]
        new.output[:] = [name(o) for o in node.output]
        nodes.append(new)
    inits = []
    for init in graph.initializer:
        new = onnx.TensorProto()
        new.CopyFrom(init)
        new.name = name(init.name)
        inits.append(new)
    return nodes, inits, name(graph.output[0].name)


def _mean(outputs: list[str], name: str) -> tuple[list, list]:
    """Nodes and constants that average `outputs` into `name`."""
    nodes, k = [], f"{name}/scale"
    acc = outputs[0]
    for i, o in enumerate(outputs[1:]):
        nodes.append(helper.make_node("Add", [acc, o], [f"{name}/sum{i}"], name=f"{name}/add{i}"))
        acc = f"{name}/sum{i}"
    nodes.append(helper.make_node("Mul", [acc, k], [name], name=f"{name}/mean"))
    return nodes, [helper.make_tensor(k, onnx.TensorProto.FLOAT, [], [1.0 / len(outputs)])]


def zoom_matrix(size: int, zoom: float) -> np.ndarray:
    """A (size, size) matrix Z such that Z @ img @ Z.T is img enlarged `zoom` times about its centre,
    bilinear, edges repeated: what cv2.warpAffine does with cv2.getRotationMatrix2D(centre, 0, zoom)
    and BORDER_REPLICATE, as two small constant products inside the graph."""
    centre = (size - 1) / 2
    src = np.clip((np.arange(size) - centre) / zoom + centre, 0, size - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, size - 1)
    frac = src - lo
    z = np.zeros((size, size), np.float32)
    z[np.arange(size), lo] += 1 - frac
    z[np.arange(size), hi] += frac
    return z


def ensemble(members: list[tuple[Path, bool]], out: Path, zoom: float = 1.0) -> None:
    """One model averaging `members`, each (path, mirror). With `zoom`, every member reads the face
    enlarged that much about its centre (framed tighter). Mirrored members (all or none) are read
    once by the graph; the product reads the mirror image too, through the same graph, where the
    `mirror` metadata says (models/mirror.py chooses its margin; until then, every face): one
    output, and a second pass only where it pays."""
    models = [onnx.load(str(path)) for path, _ in members]
    metas = [_meta(m) for m in models]
    first = metas[0]
    for meta in metas[1:]:
        if (meta["labels"], json.loads(meta["preprocessing"]), meta["output"]) != \
                (first["labels"], json.loads(first["preprocessing"]), first["output"]):
            raise SystemExit("the models differ in labels, preprocessing or output; they cannot be averaged")
    if first["output"] != "probabilities":
        raise SystemExit("only models that output probabilities can be averaged")
    mirror = {m for _, m in members}
    if len(mirror) > 1:
        raise SystemExit("mirror all the models or none: the mirror image is read through the whole ensemble")
    inp = models[0].graph.input[0].name
    if any(m.graph.input[0].name != inp for m in models):
        raise SystemExit("the models name their input differently")
    nodes, inits, member_outs = [], [], []
    face = inp
    if zoom != 1.0:
        size = json.loads(first["preprocessing"])["size"]
        if size[0] != size[1]:
            raise SystemExit("--zoom needs a square input")
        z = zoom_matrix(size[0], zoom)
        inits += [numpy_helper.from_array(z, "ensemble/zoom_rows"), numpy_helper.from_array(z.T.copy(), "ensemble/zoom_cols")]
        nodes += [helper.make_node("MatMul", ["ensemble/zoom_rows", inp], ["ensemble/face_rows"], name="ensemble/zoom_rows"),
                  helper.make_node("MatMul", ["ensemble/face_rows", "ensemble/zoom_cols"], ["ensemble/face_zoomed"],
                                   name="ensemble/zoom_cols")]
        face = "ensemble/face_zoomed"
    for i, model in enumerate(models):
        n, w, o = _prefixed(model.graph, f"m{i}/", {inp})
        for node in n:
            node.input[:] = [face if x == inp else x for x in node.input]
        nodes += n
        inits += w
        member_outs.append(o)
    mean_nodes, mean_inits = _mean(member_outs, OUT)
    nodes += mean_nodes
    inits += mean_inits
    out_vi = onnx.ValueInfoProto()
    out_vi.CopyFrom(models[0].graph.output[0])
    out_vi.name = OUT
    graph = helper.make_graph(nodes, "ensemble", [models[0].graph.input[0]], [out_vi], inits)
    opset = max(m.opset_import[0].version for m in models)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="models.ensemble")
    model.ir_version = max(m.ir_version for m in models)
    model.doc_string = models[0].doc_string
    keep = ("architecture", "parameters", "training_data", "selection", "recipe", "test_time_augmentation")
    meta = {**first,
            "members": json.dumps([{k: m.get(k, "") for k in keep} for m in metas]),
            "architecture": "mean of " + " + ".join(m.get("architecture", "?") for m in metas),
            "parameters": str(sum(int(m.get("parameters", 0)) for m in metas)),
            "test_time_augmentation": "members averaged" + (f", the face zoomed {zoom:g}x" if zoom != 1.0 else "")
            + (", the mirror image too where the mirror metadata says" if True in mirror else "")}
    meta.pop("neutral_reference", None)  # measured per model: models.reference measures the ensemble
    meta.pop("mirror", None)
    if True in mirror:  # every face until models.mirror measures where the mirror image pays
        meta["mirror"] = json.dumps({"margin": 1.0})
    for key, value in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="MODEL.onnx, or MODEL.onnx:mirror to also read the mirrored face")
    ap.add_argument("--zoom", type=float, default=1.0,
                    help="read every face enlarged this much about its centre (1.1: framed 10%% tighter)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    members = [(Path(m.removesuffix(":mirror")), m.endswith(":mirror")) for m in args.models]
    ensemble(members, args.out, args.zoom)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
