"""`trayagent evaluate DIR`: how well a model reads the expressions in a folder-per-class image set.

Users and IT check the model on their own people and lighting, and compare models to pick the one
that works best for them (the paper's authors' suggestion).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trayagent import wording
from trayagent.core.emotions import FER7, PRODUCT4
from trayagent.i18n import N_, _
from trayagent.perception import labelled
from trayagent.perception.classifier import EmotionClassifier
from trayagent.perception.cv import MAX_IMAGE_PIXELS
from trayagent.perception.evaluate import NO_FACE, Images, evaluate, per_person, read_images
from trayagent.perception.model_baseline import user_calibration
from trayagent.storage import baseline

# The classes' names as the report shows them: the English is the name itself (as in the JSON).
LABELS = {"angry": N_("angry"), "disgust": N_("disgust"), "fear": N_("fear"), "happy": N_("happy"),
          "sad": N_("sad"), "surprise": N_("surprise"), "neutral": N_("neutral"), "stress": N_("stress"),
          NO_FACE: N_("no face")}


def _label(name: str) -> str:
    return _(LABELS[name]) if name in LABELS else name


def _recall(values: dict) -> str:
    return ", ".join(f"{_label(k)} {v:.1%}" for k, v in values.items())


def _matrix_text(matrix: list, rows: list[str], cols: list[str], fmt: str = "d",
                 arrow: str | None = None) -> list[str]:
    """A confusion matrix, right-aligned in terminal columns (a Hangul name takes two per syllable)."""
    rows, cols = [_label(r) for r in rows], [_label(c) for c in cols]
    width = max(7, *(wording.width(c) for c in cols))
    lines = [" " * 10 + "".join(wording.pad(c, width + 1, right=True) for c in cols) + "   "
             + (arrow or _("<- predicted"))]
    for name, row in zip(rows, matrix):
        lines.append(wording.pad(name, 10, right=True) + "".join(f"{v:>{width + 1}{fmt}}" for v in row))
    return lines


def text_report(r: dict) -> str:
    lines = [_("model: {model}").format(model=r["model"]),
             _("images: {images}, faces found: {rate}").format(images=r["images"], rate=f"{r['faces_found_rate']:.1%}"),
             _("4 classes: accuracy {accuracy}, macro-F1 {f1}").format(accuracy=f"{r['accuracy_4']:.1%}",
                                                                       f1=f"{r['macro_f1_4']:.3f}"),
             "  " + _("recall: {values}").format(values=_recall(r["recall_4"]))]
    lines += _matrix_text(r["confusion_4"], list(PRODUCT4), r["labels_4"])
    if r["accuracy_7"] is not None:
        lines += [_("7 emotions: accuracy {accuracy}, macro-F1 {f1}").format(accuracy=f"{r['accuracy_7']:.1%}",
                                                                            f1=f"{r['macro_f1_7']:.3f}"),
                  "  " + _("recall: {values}").format(values=_recall(r["recall_7"]))]
        lines += _matrix_text(r["confusion_7"], list(FER7), r["labels_7"])
    if r.get("calibration"):
        created = r["calibration"].removeprefix("your baseline of ")  # perception.evaluate names it so in the JSON
        lines.insert(2, _("4-class figures read through your baseline of {created} (--no-calibration to compare)")
                     .format(created=created))
    if "per_person" in r:
        lines += _per_person_text(r)
    return "\n".join(lines)


def _per_person_text(r: dict) -> list[str]:
    lines = [_("calibrated on each person's own neutral pictures, one at a time, that one left out "
               "(strength {strength}, clip {clip}; reference: {reference}):").format(
                 strength=f"{r['calibration_strength']:g}", clip=f"{r['calibration_clip']:g}",
                 reference=r["reference"]),
             _("4 classes: accuracy {before} -> {after}, macro-F1 {f1_before} -> {f1_after}").format(
                 before=f"{r['accuracy_4']:.1%}", after=f"{r['accuracy_4_calibrated']:.1%}",
                 f1_before=f"{r['macro_f1_4']:.3f}", f1_after=f"{r['macro_f1_4_calibrated']:.3f}"),
             "  " + _("recall calibrated: {values}").format(values=_recall(r["recall_4_calibrated"]))]
    lines += _matrix_text(r["confusion_4_calibrated"], list(PRODUCT4), r["labels_4"], ".1f",
                          _("<- predicted (mean over choices)"))
    for name, p in r["per_person"].items():
        lines.append("  " + _("{name}: {images} pictures, {choices} neutral choices: accuracy {before} -> {after}, "
                              "neutral recall {recall_before} -> {recall_after}").format(
            name=name, images=p["images"], choices=p["neutral_choices"],
            before=f"{p['accuracy_4']:.1%}", after=f"{p['accuracy_4_calibrated']:.1%}",
            recall_before=f"{p['recall_4'].get('neutral', float('nan')):.1%}",
            recall_after=f"{p['recall_4_calibrated'].get('neutral', float('nan')):.1%}"))
    if "accuracy_4_calibrated_smile" in r:
        lines.append(_("with a smile as well (one happy picture of theirs, left out too): accuracy {after}").format(
            after=f"{r['accuracy_4_calibrated_smile']:.1%}"))
        lines.append("  " + _("recall calibrated: {values}").format(values=_recall(r["recall_4_calibrated_smile"])))
        for name, p in r["per_person"].items():
            lines.append("  " + _("{name}: {choices} smiles: accuracy {after}, neutral recall {recall}").format(
                name=name, choices=p["smile_choices"], after=f"{p['accuracy_4_calibrated_smile']:.1%}",
                recall=f"{p['recall_4_calibrated_smile'].get('neutral', float('nan')):.1%}"))
    return lines


def _report_unreadable(data: Images) -> None:
    for path in data.unreadable[:5]:
        print(_("skipped unreadable image {path} (not an image OpenCV decodes, or over {megapixels} megapixels)")
              .format(path=path, megapixels=MAX_IMAGE_PIXELS // 1_000_000), file=sys.stderr)
    if len(data.unreadable) > 5:
        print(_("... and {n} more unreadable images").format(n=len(data.unreadable) - 5), file=sys.stderr)


def command(args: argparse.Namespace) -> int:
    from trayagent import config as config_mod

    found = labelled.scan(Path(args.dir))
    progress = not args.json
    for name in found.skipped_folders:
        print(_("skipped folder {name!r}: not an emotion trayagent knows").format(name=name), file=sys.stderr)
    if found.skipped_files:
        print(_("skipped {n} files that are not images (e.g. {example})").format(
            n=len(found.skipped_files), example=found.skipped_files[0]), file=sys.stderr)
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
            calibration = None if args.no_calibration else user_calibration(clf, baseline.stored(), cfg)
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
            print("\n" + _("best on these pictures (4-class macro-F1): {model}").format(model=best["model"]))
    return 0
