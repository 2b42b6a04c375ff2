"""Which personal calibration carries over to people it was not tuned on: leave-one-person-out on
jaffe-dev, checked on FER2013 publictest.

    python -m models.calibration_study [--model PATH] [--json OUT]

jaffe-dev's whole photos are read once through the product's own face finding and classifier
(exactly `trayagent evaluate --detect-faces`: perception.evaluate.read_faces) and publictest's
crops through the same classifier; the 4-class probabilities are cached in .cache/ under the
model's sha256, so a new models/emotion.onnx is simply read again.

A calibration may use only what an agent gives in 10-20 s: their relaxed face, and (for the
variants with a smile step) one smile as they would greet a customer. So for each woman, each
trial takes ONE of her neutral photos (and one of her happy photos) as the calibration and scores
her OTHER photos; every trial uses the same split, with or without the smile, so all variants are
scored on the same pictures. A face not found counts as wrong, as in `evaluate --detect-faces`.

Every hyper-parameter is chosen on three women (the mean of their per-person accuracies; ties go
to the higher mean of neutral and stress recall, then to the simpler setting) and scored on the
fourth, for each woman: a family of variants is worth what its held-out figures say, never its
best pooled figure on the four.

The variants, all on the 4-class log-probabilities z (floored at 1e-4), baseline b = the relaxed
face's z, publictest's neutral reference r and happy reference r_h (mean z of its neutral / happy
faces), a smile s_p = the person's smile's z:

    z' = g * (z - b) + b - strength * clip(d, -clip, clip) * moved + bias * [stress]
    d  = b - lam * r            (centred over the classes when lam < 1)

- lam = 1, g = 1, bias 0: the shipped calibration (the relaxed face maps onto r at strength 1);
  lam = 0: "a plain shift by part of the relaxed face's centred log-probabilities" (issue #18).
- moved: which classes the shift may move (all; all but happy; neutral and stress; stress only).
- g, the person's gain: 1; from the smile (how far a typical smile moves the model, r_h - r,
  against how far theirs does, s_p - b: least squares along their smile, clipped to [lo, hi]);
  or a temperature from the relaxed face alone (|centred r| / |centred b|, clipped).
- bias: a constant added to stress for everyone (learned on the other three: a domain prior,
  not a personal one).

Also printed: each family's setting chosen on all four women (what would ship), checked on
publictest by calibrating on random publictest faces (one neutral face, or the mean of 30 as a
10 s video gives, plus one happy face for the smile step) and reading all the others; and how the
baseline is averaged (mean log-probability or log of the mean probability) with two neutral photos
per calibration. privatetest is never read.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.card import JAFFE, JAFFE_PERSON
from models.data import CACHE, FER_DATA, load_fer_split
from trayagent import paths
from trayagent.core.calibration import GAIN_MAX, GAIN_MIN, MIN_SMILE, log_probs, smile_gain, smile_reach
from trayagent.core.emotions import FER7, PRODUCT4, to_product

HAPPY, NEUTRAL, STRESS, SURPRISE = (PRODUCT4.index(c) for c in ("happy", "neutral", "stress", "surprise"))
MOVED = {"all": (1, 1, 1, 1), "no happy": (0, 1, 1, 1), "neutral+stress": (0, 1, 1, 0), "stress": (0, 0, 1, 0)}
NOT_FOUND = len(PRODUCT4)  # the confusion matrices' fifth column


# --- readings -------------------------------------------------------------------------------------

def readings(model: Path, fresh: bool = False) -> dict:
    """jaffe-dev's and publictest's 4-class probabilities through the product, cached by model sha256."""
    from trayagent.perception.model_baseline import model_identity

    sha = model_identity(model)
    cached = CACHE / f"calibration_study-{sha[:16]}.npz"
    if cached.exists() and not fresh:
        d = np.load(cached)
        return {k: d[k] for k in d.files} | {"sha": sha}
    from trayagent.perception import labelled
    from trayagent.perception.classifier import EmotionClassifier
    from trayagent.perception.evaluate import people, read_faces, read_images

    clf = EmotionClassifier(model)
    data = read_images(labelled.scan(JAFFE))
    preds, probs4 = read_faces(clf, data, detect_faces=True, progress=False)
    x, y = load_fer_split(FER_DATA, "publictest")
    pub = np.concatenate([clf.product(clf.predict(list(x[i:i + 256]))) for i in range(0, len(x), 256)])
    out = {"jaffe_probs4": probs4, "jaffe_found": preds >= 0,
           "jaffe_y4": np.array([PRODUCT4.index(to_product(FER7[v])) for v in data.labels]),
           "jaffe_y7": np.array(data.labels), "jaffe_person": np.array(people(data, JAFFE_PERSON)),
           "jaffe_file": np.array([p.name for p in data.paths]),
           "pub_probs4": pub, "pub_y4": np.array([PRODUCT4.index(to_product(FER7[v])) for v in y])}
    CACHE.mkdir(exist_ok=True)
    np.savez(cached, **out)
    return out | {"sha": sha}


# --- the variants ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    lam: float = 1.0  # how much of publictest's neutral reference the relaxed face is mapped onto
    strength: float = 1.0
    clip: float = 1.5
    moved: str = "all"
    gain: str = "none"  # "none", "smile" or "relaxed"
    gain_lo: float = 1.0
    gain_hi: float = 1.0
    bias: float = 0.0  # added to stress

    def label(self) -> str:
        parts = [f"lam {self.lam:g}", f"strength {self.strength:g}", f"clip {self.clip:g}", f"moves {self.moved}"]
        if self.gain != "none":
            parts.append(f"gain from {self.gain} in [{self.gain_lo:g}, {self.gain_hi:g}]")
        if self.bias:
            parts.append(f"stress bias {self.bias:+g}")
        return ", ".join(parts)


UNCALIBRATED = Variant(strength=0.0)
SHIPPED = Variant()
WITH_SMILE = Variant(gain="smile", gain_lo=GAIN_MIN, gain_hi=GAIN_MAX)  # what the product does with a smile


def _centre(v: np.ndarray) -> np.ndarray:
    return v - v.mean(-1, keepdims=True)


def transform(v: Variant, refs: dict, b: np.ndarray, smile: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The calibrated log-probabilities of faces z (..., 4), for T calibrations at once: b and smile
    are (T, 4); z is (T, N, 4) or (N, 4)."""
    d = b - v.lam * refs["neutral"]
    if v.lam != 1:
        d = _centre(d)
    shift = v.strength * np.clip(d, -v.clip, v.clip) * np.asarray(MOVED[v.moved], np.float64)
    if v.gain == "smile":  # the product's own (a smile under MIN_SMILE gives 1: the product refuses it)
        g = smile_gain(b, smile, refs["neutral"], refs["happy"], v.gain_lo, v.gain_hi)
    elif v.gain == "relaxed":
        g = np.linalg.norm(_centre(refs["neutral"])) / np.maximum(np.linalg.norm(_centre(b), axis=-1), 1e-6)
        g = np.clip(g, v.gain_lo, v.gain_hi)
    else:
        g = np.ones(len(b))
    g = np.asarray(g)[:, None, None]
    bias = np.zeros(len(PRODUCT4))
    bias[STRESS] = v.bias
    return lambda z: g * (z - b[:, None]) + (b - shift)[:, None] + bias


def grid() -> list[Variant]:
    """Every variant tried, simplest settings first (ties go to the earlier)."""
    gains = [("none", 1.0, 1.0)] + [("smile", lo, hi) for lo, hi in ((1, 1.25), (1, 1.5), (1, 2), (1, 2.5), (1, 3), (1, 4), (0.5, 2), (0.67, 1.5))] \
        + [("relaxed", lo, hi) for lo, hi in ((0.67, 1.5), (1, 2), (0.5, 1))]
    out = []
    for gain, lo, hi in gains:
        for bias in (0.0, 0.25, 0.5, 1.0):
            for lam in (1.0, 0.5, 0.0):
                for moved in MOVED:
                    for clip in (1.5, 1.0, 2.0, 3.0, 0.5, 100.0):
                        for strength in (1.0, 0.75, 0.5, 0.9, 0.6, 1.25, 0.25, 1.5):
                            out.append(Variant(lam, strength, clip, moved, gain, lo, hi, bias))
    return [UNCALIBRATED, *out]


FAMILIES: dict[str, Callable[[Variant], bool]] = {
    "uncalibrated": lambda v: v == UNCALIBRATED,
    "shipped (lam 1, strength 1, clip 1.5)": lambda v: v == SHIPPED,
    "shipped + smile gain in [1, 2] (the product's, fixed)": lambda v: v == WITH_SMILE,
    "shipped form, strength and clip tuned": lambda v: v.lam == 1 and v.moved == "all" and v.gain == "none" and not v.bias,
    "plain centred shift (lam 0, no clip), strength tuned": lambda v: (v.lam == 0 and v.clip == 100 and v.moved == "all"
                                                                      and v.gain == "none" and not v.bias),
    "shift, all of it tuned (lam, strength, clip, classes)": lambda v: v.gain == "none" and not v.bias,
    "shift + gain from the relaxed face (temperature)": lambda v: v.gain in ("none", "relaxed") and not v.bias,
    "shift + gain from a smile": lambda v: v.gain in ("none", "smile") and not v.bias,
    "shift + smile gain, fixed lam 1 strength 1 clip 1.5": lambda v: (v.lam == 1 and v.strength == 1 and v.clip == 1.5
                                                                      and v.moved == "all" and v.gain in ("none", "smile")
                                                                      and not v.bias),
    "shift + a stress bias for everyone": lambda v: v.gain == "none",
    "everything": lambda v: True,
}


# --- scoring on jaffe-dev -------------------------------------------------------------------------

@dataclass
class Person:
    z: np.ndarray  # (N, 4) floored log-probabilities
    found: np.ndarray
    y4: np.ndarray
    trials: list[tuple[tuple[int, ...], int]]  # (neutral photos, smile photo) each calibration uses


def persons(r: dict, neutrals: int = 1) -> dict[str, Person]:
    out = {}
    for name in sorted(set(r["jaffe_person"].tolist())):
        idx = np.flatnonzero(r["jaffe_person"] == name)
        found, y4 = r["jaffe_found"][idx], r["jaffe_y4"][idx]
        ne = [i for i in range(len(idx)) if found[i] and y4[i] == NEUTRAL]
        ha = [i for i in range(len(idx)) if found[i] and y4[i] == HAPPY]
        trials = [(n, h) for n in itertools.combinations(ne, neutrals) for h in ha]
        out[name] = Person(log_probs(r["jaffe_probs4"][idx]), found, y4, trials)
    return out


def confusion(v: Variant, refs: dict, p: Person, average: str = "geometric") -> np.ndarray:
    """A person's 4 x 5 confusion matrix (fifth column: no face found), the mean over their trials."""
    if average == "geometric":
        b = np.stack([p.z[list(n)].mean(0) for n, _ in p.trials])
    else:
        b = np.stack([np.log(np.exp(p.z[list(n)]).mean(0)) for n, _ in p.trials])
    smile = np.stack([p.z[h] for _, h in p.trials])
    pred = transform(v, refs, b, smile)(p.z).argmax(-1)  # (T, N)
    pred = np.where(p.found, pred, NOT_FOUND)
    cm = np.zeros((len(PRODUCT4), len(PRODUCT4) + 1))
    for t, (n, h) in enumerate(p.trials):
        scored = np.ones(len(p.z), bool)
        scored[list(n) + [h]] = False
        np.add.at(cm, (p.y4[scored], pred[t, scored]), 1.0)
    return cm / len(p.trials)


def figures(cm: np.ndarray) -> dict:
    rec = np.diag(cm[:, :len(PRODUCT4)]) / np.maximum(cm.sum(1), 1e-9)
    return {"accuracy": float(np.trace(cm[:, :len(PRODUCT4)]) / cm.sum()),
            "neutral": float(rec[NEUTRAL]), "stress": float(rec[STRESS])}


def score_all(variants: list[Variant], refs: dict, people: dict[str, Person]) -> dict[str, np.ndarray]:
    """{person: (V, 3) accuracy, neutral recall, stress recall} for every variant."""
    return {name: np.array([list(figures(confusion(v, refs, p)).values()) for v in variants])
            for name, p in people.items()}


def choose(candidates: np.ndarray, scores: dict[str, np.ndarray], on: Iterable[str]) -> int:
    """The candidate (an index into the grid) with the best mean accuracy over the people `on`;
    ties to the higher mean of neutral and stress recall, then to the earlier (simpler) one."""
    s = np.mean([scores[n][candidates] for n in on], axis=0)  # (C, 3)
    key = np.lexsort((-np.arange(len(candidates)), np.round(s[:, 1] + s[:, 2], 9), np.round(s[:, 0], 9)))
    return int(candidates[key[-1]])


def lopo(variants: list[Variant], scores: dict[str, np.ndarray], refs: dict, people: dict[str, Person]) -> dict:
    names = list(people)
    out = {}
    for family, member in FAMILIES.items():
        candidates = np.array([i for i, v in enumerate(variants) if member(v)])
        rows, cm_all = {}, np.zeros((len(PRODUCT4), len(PRODUCT4) + 1))
        for held in names:
            i = choose(candidates, scores, [n for n in names if n != held])
            cm = confusion(variants[i], refs, people[held])
            cm_all += cm
            rows[held] = figures(cm) | {"chosen": variants[i].label()}
        everyone = choose(candidates, scores, names)
        out[family] = {"held_out": rows, "pooled": figures(cm_all),
                       "mean_person_accuracy": float(np.mean([r["accuracy"] for r in rows.values()])),
                       "chosen_on_all_four": asdict(variants[everyone]),
                       "chosen_on_all_four_label": variants[everyone].label(),
                       "in_sample_mean_accuracy": float(np.mean([scores[n][everyone, 0] for n in names]))}
    return out


# --- the publictest check -------------------------------------------------------------------------

def publictest(v: Variant, refs: dict, r: dict, faces: int, trials: int = 200, seed: int = 0) -> dict:
    """4-class accuracy on publictest read through calibrations made of random publictest faces
    (`faces` neutral ones averaged, plus one happy face), each applied to every other face."""
    rng = np.random.default_rng(seed)
    z, y = log_probs(r["pub_probs4"]), r["pub_y4"]
    neutral, happy = np.flatnonzero(y == NEUTRAL), np.flatnonzero(y == HAPPY)
    acc = []
    for _ in range(trials):
        n = rng.choice(neutral, faces, replace=False)
        h = rng.choice(happy)
        keep = np.ones(len(z), bool)
        keep[n] = keep[h] = False
        pred = transform(v, refs, z[n].mean(0, keepdims=True), z[h][None])(z[keep])[0].argmax(-1)
        acc.append(float((pred == y[keep]).mean()))
    return {"mean": float(np.mean(acc)), "p5": float(np.quantile(acc, 0.05)), "min": float(np.min(acc))}


# --- report ---------------------------------------------------------------------------------------

def study(model: Path, fresh: bool = False) -> dict:
    r = readings(model, fresh)
    pz, py = log_probs(r["pub_probs4"]), r["pub_y4"]
    refs = {"neutral": pz[py == NEUTRAL].mean(0), "happy": pz[py == HAPPY].mean(0)}
    variants = grid()
    people = persons(r)
    scores = score_all(variants, refs, people)
    result = {"model": str(model), "sha256": r["sha"], "trials": {n: len(p.trials) for n, p in people.items()},
              "faces_found": float(r["jaffe_found"].mean()),
              "references": {k: [round(float(x), 4) for x in v] for k, v in refs.items()},
              "families": lopo(variants, scores, refs, people)}
    uncal = float((pz.argmax(1) == py).mean())
    for fam in result["families"].values():
        v = Variant(**fam["chosen_on_all_four"])
        fam["publictest"] = {"uncalibrated": uncal, "one_neutral_face": publictest(v, refs, r, 1),
                             "thirty_neutral_faces": publictest(v, refs, r, 30)}
    result["smile_cap"] = {f"{hi:g}": {n: figures(confusion(Variant(gain="smile", gain_lo=1.0, gain_hi=hi), refs, p))
                                         for n, p in people.items()} for hi in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)}
    reach = {n: smile_reach(np.stack([p.z[list(ne)].mean(0) for ne, _ in p.trials]),
                            np.stack([p.z[h] for _, h in p.trials]), refs["neutral"], refs["happy"])
             for n, p in people.items()}
    pub_reach = smile_reach(refs["neutral"], pz[py == HAPPY], refs["neutral"], refs["happy"])
    result["smiles_refused"] = {"jaffe_trials": {n: [int((x < MIN_SMILE).sum()), len(x)] for n, x in reach.items()},
                                "publictest_happy_faces": [int((pub_reach < MIN_SMILE).sum()), len(pub_reach)]}
    pairs = persons(r, neutrals=2)
    result["averaging"] = {}
    for family in ("shipped (lam 1, strength 1, clip 1.5)", "shift + gain from a smile", "everything"):
        v = Variant(**result["families"][family]["chosen_on_all_four"])
        result["averaging"][v.label()] = {
            avg: {n: figures(confusion(v, refs, p, avg)) for n, p in pairs.items()} for avg in ("geometric", "arithmetic")}
    return result


def markdown(res: dict) -> str:
    names = sorted(res["trials"])
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    lines = [f"model {res['model']} (sha256 {res['sha256'][:12]}...), faces found {pct(res['faces_found'])}, "
             f"calibrations per woman: " + ", ".join(f"{n} {res['trials'][n]}" for n in names), "",
             "Held out (each woman scored with the setting chosen on the other three): accuracy "
             "(neutral recall / stress recall)", "",
             "| variant | " + " | ".join(names) + " | mean of the four | pooled neutral / stress | in-sample (chosen on all four) |",
             "|---" * (len(names) + 4) + "|"]
    for family, f in res["families"].items():
        cells = [f"{pct(f['held_out'][n]['accuracy'])} ({f['held_out'][n]['neutral']:.2f} / "
                 f"{f['held_out'][n]['stress']:.2f})" for n in names]
        lines.append(f"| {family} | " + " | ".join(cells) + f" | **{pct(f['mean_person_accuracy'])}** | "
                     f"{f['pooled']['neutral']:.2f} / {f['pooled']['stress']:.2f} | {pct(f['in_sample_mean_accuracy'])} |")
    lines += ["", "Chosen on all four, and FER2013 publictest 4-class accuracy calibrated on random publictest faces "
              "(mean, 5th percentile of 200 calibrations):", "",
              "| variant | chosen on all four | one neutral face | 30 neutral faces |", "|---|---|---|---|"]
    for family, f in res["families"].items():
        pt = f["publictest"]
        lines.append(f"| {family} | {f['chosen_on_all_four_label']} | {pct(pt['one_neutral_face']['mean'])} "
                     f"({pct(pt['one_neutral_face']['p5'])}) | {pct(pt['thirty_neutral_faces']['mean'])} "
                     f"({pct(pt['thirty_neutral_faces']['p5'])}) |")
    lines.append(f"\npublictest uncalibrated: {pct(next(iter(res['families'].values()))['publictest']['uncalibrated'])}")
    lines += ["", "The smile gain's cap, fixed (shipped shift, gain in [1, cap]); accuracy per woman (in sample):", "",
              "| cap | " + " | ".join(names) + " | mean |", "|---" * (len(names) + 2) + "|"]
    for cap, per in res["smile_cap"].items():
        lines.append(f"| {cap} | " + " | ".join(f"{pct(per[n]['accuracy'])} ({per[n]['neutral']:.2f} / "
                                                 f"{per[n]['stress']:.2f})" for n in names)
                     + f" | {pct(np.mean([per[n]['accuracy'] for n in names]))} |")
    sr = res["smiles_refused"]
    lines.append("\nSmiles under MIN_SMILE (refused by the product): jaffe-dev calibrations "
                 + ", ".join(f"{n} {a} of {b}" for n, (a, b) in sr["jaffe_trials"].items())
                 + f"; publictest happy faces against the neutral reference {sr['publictest_happy_faces'][0]} of "
                 f"{sr['publictest_happy_faces'][1]}")
    lines += ["", "Two neutral photos per calibration, averaged as mean log-probability (geometric) or log of the "
              "mean probability (arithmetic); accuracy per woman:", ""]
    for label, by in res["averaging"].items():
        for avg, per in by.items():
            lines.append(f"- {label}, {avg}: " + ", ".join(f"{n} {pct(per[n]['accuracy'])}" for n in names)
                         + f"; mean {pct(np.mean([per[n]['accuracy'] for n in names]))}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped one)")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument("--fresh", action="store_true", help="read the photos again instead of the cache")
    args = ap.parse_args()
    res = study(args.model or paths.shipped_model(), args.fresh)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    print(markdown(res))


if __name__ == "__main__":
    main()
