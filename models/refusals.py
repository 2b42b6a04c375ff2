"""How often calibration refuses a single photo as a held expression, per emotion, on jaffe-dev.

    python -m models.refusals [MODEL]

Each whole photo is taken alone as a calibration, through the product's own face finding and
checks (`perception.model_baseline.measure`, `core.calibration.refusal`, as `trayagent calibrate
--camera DIR` does with one photo): a relaxed face should pass, a smile or a frown should not.
Counts only the expression rules (happy, stress, surprise); for the model card's "Refusals".
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from models.card import JAFFE
from trayagent import config
from trayagent.core.calibration import MIN_FACES_PHOTOS, refusal
from trayagent.core.emotions import FER7
from trayagent.perception.cv import read_image
from trayagent.perception.model_baseline import measure, reference_for
from trayagent.perception.pipeline import Perception

EXPRESSION_RULES = ("happy", "stress", "surprise")


def count(model: Path | None) -> dict[str, list[int]]:
    """{emotion: [refused, photos]} over jaffe-dev's folder-per-emotion photos."""
    perception = Perception(model, calibration=None, settings=config.defaults())
    reference = reference_for(perception.classifier)
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for photo in sorted(p for p in JAFFE.rglob("*") if p.is_file()):
        emotion = photo.parent.name
        if emotion not in FER7:
            continue
        perception.detector.reset()
        baseline, frames = measure([read_image(photo)], perception, "photos")
        refused = refusal(baseline, reference, frames, MIN_FACES_PHOTOS)
        counts[emotion][0] += refused is not None and refused[0] in EXPRESSION_RULES
        counts[emotion][1] += 1
    return dict(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, nargs="?")
    counts = count(ap.parse_args().model)
    print(json.dumps(counts))
    print(", ".join(f"{e} {counts[e][0]} of {counts[e][1]}" for e in ("neutral", *[e for e in FER7 if e != "neutral"])
                    if e in counts) + " refused")


if __name__ == "__main__":
    main()
