"""The user's calibration baseline: one JSON file of numbers in the data folder, user-only."""

from __future__ import annotations

import json
import os
from pathlib import Path

from trayagent import paths
from trayagent.core.calibration import Baseline, CalibrationError
from trayagent.storage.private import make_private_dir, open_private


def save(baseline: Baseline, path: Path | None = None) -> Path:
    """Written whole to a temporary file then moved in place: never half a baseline."""
    path = path or paths.baseline_file()
    try:
        make_private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        with open_private(tmp, "w") as f:
            json.dump(baseline.as_dict(), f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        raise CalibrationError(f"{path}: cannot store the calibration ({e.strerror})") from None
    return path


def load(path: Path | None = None) -> Baseline | None:
    """The stored baseline, None when there is none; CalibrationError when it is damaged."""
    path = path or paths.baseline_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CalibrationError(f"{path}: cannot read the calibration ({e.strerror})") from None
    try:
        return Baseline.from_dict(json.loads(text))
    except (json.JSONDecodeError, AttributeError):
        raise CalibrationError(f"{path}: damaged calibration file; run `trayagent calibrate --reset`, "
                               "then calibrate again") from None


def delete(path: Path | None = None) -> bool:
    path = path or paths.baseline_file()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
