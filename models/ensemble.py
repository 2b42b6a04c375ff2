"""Average two exported emotion models into one ONNX file: one session, one run per face.

    python -m models.ensemble models/runs/v2/emotion.onnx models/emotion-v1.onnx --out models/emotion.onnx

Both must take the same input (grey 48x48, 0..255, the same preprocessing metadata) and give
probabilities over the same labels. The first model's metadata is kept, with `members` naming both.
Averaging two networks trained differently (here: FER2013 labels alone, and FER+ votes with mixup)
corrects some of each one's mistakes; whether it pays for its time is decided on publictest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx
from onnx import helper

OUT = "probabilities"


def _meta(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def _prefixed(graph: onnx.GraphProto, prefix: str, keep: set[str]) -> tuple[list, list, str]:
    """The graph's nodes and initializers with every name but `keep` prefixed; and its output's new name."""
    def name(n: str) -> str:
        return n if (not n or n in keep) else prefix + n

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


def ensemble(first: Path, second: Path, out: Path) -> None:
    a, b = onnx.load(str(first)), onnx.load(str(second))
    ma, mb = _meta(a), _meta(b)
    if (ma["labels"], json.loads(ma["preprocessing"]), ma["output"]) != \
            (mb["labels"], json.loads(mb["preprocessing"]), mb["output"]) or ma["output"] != "probabilities":
        raise SystemExit("the two models differ in labels, preprocessing or output; they cannot be averaged")
    inp = a.graph.input[0].name
    if b.graph.input[0].name != inp:
        raise SystemExit("the two models name their input differently")
    na, ia, oa = _prefixed(a.graph, "a/", {inp})
    nb, ib, ob = _prefixed(b.graph, "b/", {inp})
    half = helper.make_tensor("ensemble/half", onnx.TensorProto.FLOAT, [], [0.5])
    nodes = na + nb + [helper.make_node("Add", [oa, ob], ["ensemble/sum"], name="ensemble/add"),
                       helper.make_node("Mul", ["ensemble/sum", "ensemble/half"], [OUT], name="ensemble/mean")]
    out_vi = onnx.ValueInfoProto()
    out_vi.CopyFrom(a.graph.output[0])
    out_vi.name = OUT
    graph = helper.make_graph(nodes, "ensemble", [a.graph.input[0]], [out_vi], ia + ib + [half])
    opset = max(a.opset_import[0].version, b.opset_import[0].version)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="models.ensemble")
    model.ir_version = max(a.ir_version, b.ir_version)
    model.doc_string = a.doc_string
    meta = {**ma, "members": json.dumps([
        {k: m.get(k, "") for k in ("architecture", "parameters", "training_data", "selection", "recipe",
                                   "test_time_augmentation")} for m in (ma, mb)]),
        "architecture": f"mean of two: {ma.get('architecture')} + {mb.get('architecture')}",
        "parameters": str(int(ma.get("parameters", 0)) + int(mb.get("parameters", 0)))}
    for key, value in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    ensemble(args.first, args.second, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
