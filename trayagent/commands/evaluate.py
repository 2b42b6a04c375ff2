"""`trayagent evaluate DIR`: how well a model reads the expressions in a folder-per-class image set.

Users and IT check the model on their own people and lighting, and compare models to pick the one
that works best for them (the paper's authors' suggestion).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trayagent.core.emotions import FER7, PRODUCT4
from trayagent.perception import labelled
from trayagent.perception.calibration import user_calibration
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.cv import MAX_IMAGE_PIXELS
from trayagent.perception.evaluate import evaluate, per_person, read_images


def _matrix_text(matrix: list[list[int]], rows: list[str], cols: list[str]) -> list[str]:
    width = max(7, *(len(c) for c in cols))
    lines = [" " * 10 + "".join(f"{c:>{width + 1}}" for c in cols) + "   <- predicted"]
    for name, row in zip(rows, matrix):
        lines.append(f"{name:>10}" + "".join(f"{v:>{width + 1}}" for v in row))
    return lines


def text_report(r: dict) -> str:
    lines = [f"model: {r['model']}", f"images: {r['images']}, faces found: {r['faces_found_rate']:.1%}",
             f"4 classes: accuracy {r['accuracy_4']:.1%}, macro-F1 {r['macro_f1_4']:.3f}",
             "  recall: " + ", ".join(f"{k} {v:.1%}" for k, v in r["recall_4"].items())]
    lines += _matrix_text(r["confusion_4"], list(PRODUCT4), r["labels_4"])
    if r["accuracy_7"] is not None:
        lines += [f"7 emotions: accuracy {r['accuracy_7']:.1%}, macro-F1 {r['macro_f1_7']:.3f}",
                  "  recall: " + ", ".join(f"{k} {v:.1%}" for k, v in r["recall_7"].items())]
        lines += _matrix_text(r["confusion_7"], list(FER7), r["labels_7"])
    if r.get("calibration"):
        lines.insert(2, f"4-class figures read through {r['calibration']} (--no-calibration to compare)")
    if "per_person" in r:
        lines += _per_person_text(r)
    return "\n".join(lines)


def _per_person_text(r: dict) -> list[str]:
    lines = [f"calibrated on each person's own neutral pictures, one at a time, that one left out "
             f"(strength {r['calibration_strength']:g}, clip {r['calibration_clip']:g}; reference: {r['reference']}):",
             f"4 classes: accuracy {r['accuracy_4']:.1%} -> {r['accuracy_4_calibrated']:.1%}, "
             f"macro-F1 {r['macro_f1_4']:.3f} -> {r['macro_f1_4_calibrated']:.3f}",
             "  recall calibrated: " + ", ".join(f"{k} {v:.1%}" for k, v in r["recall_4_calibrated"].items())]
    rows = [[f"{v:.1f}" for v in row] for row in r["confusion_4_calibrated"]]
    width = max(7, *(len(c) for c in r["labels_4"]))
    lines.append(" " * 10 + "".join(f"{c:>{width + 1}}" for c in r["labels_4"]) + "   <- predicted (mean over choices)")
    lines += [f"{name:>10}" + "".join(f"{v:>{width + 1}}" for v in row) for name, row in zip(PRODUCT4, rows)]
    for name, p in r["per_person"].items():
        lines.append(f"  {name}: {p['images']} pictures, {p['neutral_choices']} neutral choices: accuracy "
                     f"{p['accuracy_4']:.1%} -> {p['accuracy_4_calibrated']:.1%}, neutral recall "
                     f"{p['recall_4'].get('neutral', float('nan')):.1%} -> "
                     f"{p['recall_4_calibrated'].get('neutral', float('nan')):.1%}")
    return lines


def _report_unreadable(data) -> None:
    for path in data.unreadable[:5]:
        print(f"skipped unreadable image {path} (not an image OpenCV decodes, or over "
              f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels)", file=sys.stderr)
    if len(data.unreadable) > 5:
        print(f"... and {len(data.unreadable) - 5} more unreadable images", file=sys.stderr)


def command(args) -> int:
    from trayagent import config as config_mod

    found = labelled.scan(Path(args.dir))
    progress = not args.json
    for name in found.skipped_folders:
        print(f"skipped folder {name!r}: not an emotion trayagent knows", file=sys.stderr)
    if found.skipped_files:
        print(f"skipped {len(found.skipped_files)} files that are not images (e.g. {found.skipped_files[0]})",
              file=sys.stderr)
    cfg = config_mod.load_or_defaults()
    models = args.model or [cfg["model.path"] or None]
    classifiers = [EmotionClassifier(m) for m in models]  # every model checked before the long part
    data = read_images(found)  # decoded one at a time as each model reads them
    results = []
    for n, clf in enumerate(classifiers):
        if args.per_person:  # other people's pictures: each calibrated on their own, never on yours
            r = per_person(clf, data, args.detect_faces, args.per_person, cfg["calibration.strength"],
                           cfg["calibration.clip"], progress)
        else:
            calibration = None if args.no_calibration else user_calibration(clf, cfg)
            r = evaluate(clf, data, args.detect_faces, progress, calibration)
        if n == 0:  # the first model's pass has found every picture that cannot be read
            _report_unreadable(data)
        r["skipped_folders"] = found.skipped_folders
        r["unreadable"] = [str(p) for p in data.unreadable]
        results.append(r)
    best = max(results, key=lambda r: (r["macro_f1_4"], r["accuracy_4"]))
    if args.json:
        out = results[0] if len(results) == 1 else {"models": results, "best": best["model"]}
        print(json.dumps(out, indent=2))
    else:
        print("\n\n".join(text_report(r) for r in results))
        if len(results) > 1:
            print(f"\nbest on these pictures (4-class macro-F1): {best['model']}")
    return 0
