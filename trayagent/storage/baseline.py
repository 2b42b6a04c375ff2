"""The user's calibration baseline: one JSON file of numbers in the data folder, user-only."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from trayagent import os_errors, paths
from trayagent.core.calibration import Baseline, CalibrationError
from trayagent.i18n import _
from trayagent.storage.private import make_private_dir, open_private

log = logging.getLogger(__name__)


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
        raise CalibrationError(_("{path}: cannot store the calibration ({reason})").format(
            path=path, reason=os_errors.reason(e))) from None
    return path


def load(path: Path | None = None) -> Baseline | None:
    """The stored baseline, None when there is none; CalibrationError when it is damaged."""
    path = path or paths.baseline_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CalibrationError(_("{path}: cannot read the calibration ({reason})").format(
            path=path, reason=os_errors.reason(e))) from None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested without end
        raise CalibrationError(_("{path}: damaged calibration file; run `trayagent calibrate --reset`, "
                                 "then calibrate again").format(path=path)) from None
    try:
        return Baseline.from_dict(doc)
    except (ValueError, AttributeError) as e:
        log.warning("%s: %s", path, e)
        raise CalibrationError(_("{path}: the calibration is from another trayagent version or damaged; run "
                                 "`trayagent calibrate` again").format(path=path)) from None


def stored() -> Baseline | None:
    """The user's baseline to read faces through: None when there is none, or when it cannot be
    used (a warning says why; a damaged calibration must not stop a call being read)."""
    try:
        return load()
    except CalibrationError as e:
        log.warning("calibration not applied: %s", e)
        return None


def delete(path: Path | None = None) -> bool:
    path = path or paths.baseline_file()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
