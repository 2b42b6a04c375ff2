"""Generated 640x480 "desk webcam" recordings: real faces pasted on a plain office-like scene.

The tests know, frame by frame, whether a face is shown and which, so they can check the pipeline
against the truth.
"""

from __future__ import annotations

import lzma
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(os.environ.get("TRAYAGENT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
FER = SHARED / "datasets" / "fer2013"
W, H = 640, 480


def background(seed: int = 0) -> np.ndarray:
    """A wall, a desk edge and a monitor: smooth shapes with no face-like texture."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    wall = (180 + 40 * y) * np.ones((1, W), np.float32)
    img = np.dstack([wall * 0.95, wall, wall * 1.02]).clip(0, 255).astype(np.uint8)
    cv2.rectangle(img, (0, 400), (W, H), (90, 110, 130), -1)
    cv2.rectangle(img, (470, 250), (630, 390), (40, 40, 40), -1)
    noise = rng.normal(0, 2, img.shape)
    return (img + noise).clip(0, 255).astype(np.uint8)


def paste(scene: np.ndarray, face: np.ndarray, height: int = 200, centre: tuple[int, int] = (300, 220)) -> np.ndarray:
    if face.ndim == 2:
        face = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
    h, w = face.shape[:2]
    width = round(w * height / h)
    face = cv2.resize(face, (width, height), interpolation=cv2.INTER_CUBIC)
    out = scene.copy()
    x0, y0 = centre[0] - width // 2, centre[1] - height // 2
    out[y0:y0 + height, x0:x0 + width] = face
    return out


@dataclass(frozen=True)
class Recording:
    path: Path
    fps: float
    truth: list[str | None]  # per frame: the label of the face shown, or None


def write(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """MJPG in AVI: the codec every OpenCV build can write and read."""
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert out.isOpened(), f"cannot write {path}"
    for f in frames:
        out.write(f)
    out.release()
    return path


def record(path: Path, faces: list[tuple[str | None, np.ndarray | None]], frames_each: int, fps: float = 10.0,
           seed: int = 0) -> Recording:
    """One segment of `frames_each` frames per entry: a face (label, image) or an empty scene (None, None).
    The face moves a little between frames, as a person does."""
    scene = background(seed)
    frames, truth = [], []
    for i, (label, face) in enumerate(faces):
        for j in range(frames_each):
            if face is None:
                frames.append(scene.copy())
            else:
                frames.append(paste(scene, face, centre=(300 + 4 * (j % 5), 220 + 3 * (i % 3))))
            truth.append(label)
    write(path, frames, fps)
    return Recording(path, fps, truth)


def astronaut() -> np.ndarray:
    return cv2.imread(str(FIXTURES / "astronaut.jpg"))


def fer_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    return np.load(lzma.open(FER / f"{split}.images.npy.xz")), np.load(FER / f"{split}.labels.npy")


# ---- lighting: the paper's main reason for misread faces ------------------------------------------
@dataclass(frozen=True)
class Light:
    """How a recording is lit, as a webcam with auto-exposure shows it."""

    frame_gain: float = 1.0  # the whole picture, after exposure (a dim room stays dark and noisy)
    face_gain: float = 1.0  # the face alone (exposed for a bright window behind it, it goes dark)
    noise: float = 0.0  # sensor noise, grey levels (gain turned up in the dark)
    window: int | None = None  # a window behind the person: the wall this bright


LIGHTS = {
    "normal": Light(),
    "dim": Light(frame_gain=0.55, noise=2.0),  # a dimmer room the camera still copes with
    "dark": Light(frame_gain=0.22, noise=3.0),  # evening, the lamp off: faces hard to read
    "window": Light(face_gain=0.8, window=220),  # a bright wall or blind behind: still readable
    "backlit": Light(face_gain=0.35, window=250),  # a sunny window behind: a dark face on white
}
COVERED = "covered"  # a segment label: the lens covered (a finger, a privacy shutter)


def with_window(scene: np.ndarray, brightness: int) -> np.ndarray:
    """A window filling the wall behind the person, the desk and monitor left as they were."""
    out = scene.copy()
    out[:400, :] = np.maximum(out[:400, :], brightness)
    cv2.rectangle(out, (470, 250), (630, 390), (40, 40, 40), -1)
    return out


def lit_record(path: Path, faces: list[tuple[str | None, np.ndarray | None]], frames_each: int, light: str,
               fps: float = 10.0, seed: int = 0) -> Recording:
    """As `record`, lit as LIGHTS[light]; a segment labelled COVERED shows a covered lens (near black,
    with sensor noise). The truth of a covered segment is None (no face to see)."""
    spec = LIGHTS[light]
    rng = np.random.default_rng(seed)
    scene = background(seed)
    if spec.window is not None:
        scene = with_window(scene, spec.window)
    frames, truth = [], []
    for i, (label, face) in enumerate(faces):
        for j in range(frames_each):
            if label == COVERED:
                frames.append(rng.normal(6, 2, (H, W, 3)).clip(0, 255).astype(np.uint8))
                truth.append(None)
                continue
            if face is None:
                f = scene.astype(np.float32)
            else:
                dim = (face.astype(np.float32) * spec.face_gain).clip(0, 255).astype(np.uint8)
                f = paste(scene, dim, centre=(300 + 4 * (j % 5), 220 + 3 * (i % 3))).astype(np.float32)
            f = f * spec.frame_gain + (rng.normal(0, spec.noise, f.shape) if spec.noise else 0)
            frames.append(f.clip(0, 255).astype(np.uint8))
            truth.append(label)
    write(path, frames, fps)
    return Recording(path, fps, truth)


def make_set(root: Path, faces: dict[str, list[np.ndarray]]) -> Path:
    """A folder-per-class labelled set of these faces, as `trayagent evaluate` reads one."""
    for folder, imgs in faces.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(imgs):
            cv2.imwrite(str(root / folder / f"{i}.png"), img)
    return root
