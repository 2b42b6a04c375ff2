"""The lighting videos and the measurement behind the [visibility] defaults (models/README.md,
"Seeing the face"): `python -m tests.lighting` builds a normally lit recording of real faces, a dimmer
one, a dark one, one with a bright wall behind, a backlit one, one with the lens covered for 15 s
and one with nobody at the desk for 15 s, runs each through the product's pipeline (`analyze`, every
frame) and prints the spread of each number and what the rule then says.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from tests import videos

EMOTIONS = ("happy", "neutral", "sad", "angry", "surprise")


def clear_faces(images: np.ndarray, labels: np.ndarray, need: int = 4,
                limit: int = 800) -> dict[str, list[np.ndarray]]:
    """`need` FER2013 faces of each of EMOTIONS that a stock Haar detector finds once pasted in the
    scene (as the `clear_faces` fixture, stopping once there are enough)."""
    import cv2

    from trayagent import paths
    from trayagent.core.emotions import FER7

    cascade = cv2.CascadeClassifier(str(paths.cascade_file()))
    out: dict[str, list[np.ndarray]] = {name: [] for name in FER7}
    for img, y in zip(images[:limit], labels[:limit]):
        if all(len(out[e]) >= need for e in EMOTIONS):
            break
        if FER7[y] not in EMOTIONS or len(out[FER7[y]]) >= need:
            continue
        frame = cv2.cvtColor(videos.paste(videos.background(), img), cv2.COLOR_BGR2GRAY)
        if len(cascade.detectMultiScale(frame, 1.05, 6, minSize=(120, 120))) == 1:
            out[FER7[y]].append(img)
    return out


def faces_segments(faces: dict[str, list[np.ndarray]], n: int) -> list[tuple[str | None, np.ndarray | None]]:
    """n segments of different people and expressions, the astronaut (a colour photo) among them."""
    out: list[tuple[str | None, np.ndarray | None]] = []
    k = 0
    while len(out) < n:
        for e in EMOTIONS:
            out.append((e, faces[e][k % len(faces[e])]))
        k += 1
    out = out[:n]
    out[min(3, n - 1)] = ("astronaut", videos.astronaut())
    return out


def recordings(folder: Path, faces: dict[str, list[np.ndarray]], seconds: int = 16,
               gap_s: int = 15) -> dict[str, videos.Recording]:
    """Every lighting of LIGHTS over `seconds` of faces (one a second, at 10 fps), and two normally lit
    ones with a `gap_s` stretch in the middle: the lens covered, and an empty desk."""
    segs = faces_segments(faces, seconds)
    out = {name: videos.lit_record(folder / f"{name}.avi", segs, 10, name) for name in videos.LIGHTS}
    half = seconds // 2
    out["covered"] = videos.lit_record(folder / "covered.avi", segs[:half] + [(videos.COVERED, None)] * gap_s
                                       + segs[half:], 10, "normal")
    out["away"] = videos.lit_record(folder / "away.avi", segs[:half] + [(None, None)] * gap_s + segs[half:], 10,
                                    "normal")
    return out


def _spread(x: list[float]) -> str:
    if not x:
        return "-"
    a = np.array(x)
    return f"{a.min():.1f} / {np.median(a):.1f} / {a.max():.1f}"


def main() -> int:
    from trayagent.commands.analyze import analyze
    from trayagent.core.visibility import Seen, VisibilityThresholds, Watch, classify
    from trayagent.perception.pipeline import Perception
    from trayagent.storage.calls import read_samples

    th = VisibilityThresholds()
    perception = Perception(calibration=None)
    faces = clear_faces(*videos.fer_split("publictest"))
    with tempfile.TemporaryDirectory() as tmp:
        recs = recordings(Path(tmp), faces)
        print(f"thresholds: {th}")
        print("video | frames | faces found | face brightness | backlight | frame brightness | frame contrast | "
              "frame brightness, no face | frame contrast, no face | seen | what the tray said")
        for name, rec in recs.items():
            a = analyze(rec.path, Path(tmp) / "out", None, perception, progress=False, visibility=th)
            samples = list(read_samples(a.csv))
            vis = [s.visibility for s in samples if s.visibility is not None]
            face = [v for v in vis if v.face]
            none = [v for v in vis if not v.face]
            watch, shown = Watch(th), []
            for s in samples:
                state = watch.add(s.time, s.visibility)
                if not shown or shown[-1][0] is not state:
                    shown.append((state, (s.time - samples[0].time).total_seconds()))
            per_sample = {st.value: sum(classify(v, th) is st for v in vis) for st in Seen}
            print(f"{name} | {len(samples)} | {len(face)} | "
                  f"{_spread([v.face_brightness for v in face])} | "  # type: ignore[misc]
                  f"{_spread([v.backlight for v in face])} | "  # type: ignore[misc]
                  f"{_spread([v.frame_brightness for v in vis])} | {_spread([v.frame_contrast for v in vis])} | "
                  f"{_spread([v.frame_brightness for v in none])} | {_spread([v.frame_contrast for v in none])} | "
                  f"{a.summary.seen:.2f} | " + ", ".join(f"{st.value} from {t:.1f} s" for st, t in shown)
                  + f" (per sample: {', '.join(f'{k} {n}' for k, n in per_sample.items() if n)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
