"""The tray's "Calibrate to my face": the camera on for about ten seconds outside a call, the
relaxed face measured, a baseline stored as numbers. The frames are kept in memory only until the
measurement, then dropped with the session."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from trayagent.config import Config
from trayagent.core.calibration import CalibrationError
from trayagent.daemon.camera import CameraSession, FrameReader
from trayagent.perception.model_baseline import user_calibration
from trayagent.perception.pipeline import Perception

log = logging.getLogger(__name__)

SECONDS = 10.0
FRAMES_PER_S = 3.0  # as `trayagent calibrate` reads a camera: 30 faces, enough for a steady mean


class CalibrationSession:
    def __init__(self, open_camera: Callable[[], FrameReader], clock: Callable[[], float]) -> None:
        self.camera = CameraSession(open_camera, clock)
        self._clock = clock
        self.until = clock() + SECONDS
        self._next = clock()
        self._frames: list[np.ndarray] = []
        self.camera.open()

    def step(self, t: float) -> bool:
        """Take a frame when one is due; True once the time is up."""
        if t >= self._next:
            self._next = t + 1.0 / FRAMES_PER_S
            _, image = self.camera.newest(t)
            if image is not None:
                self._frames.append(image)
        return t >= self.until

    def finish(self, perception: Perception, cfg: Config) -> str | None:
        """Close the camera, measure, store, and read faces through the new calibration from now on
        (without a restart). None when done, else what to tell the user."""
        from trayagent.perception.model_baseline import calibrate_from_frames
        from trayagent.storage import baseline as store

        self.camera.close()
        frames, self._frames = self._frames, []
        try:
            baseline = calibrate_from_frames(frames, perception, "camera")
            store.save(baseline)
        except CalibrationError as e:
            log.warning("calibration refused: %s", e)
            e = CalibrationError(_why_not(frames) or str(e))  # what the frames show says more than a count
            return str(e)
        perception.calibration = user_calibration(perception.classifier, baseline, cfg)
        log.info("calibrated from %d faces", baseline.faces)
        return None

    def abort(self) -> None:
        self.camera.close()
        self._frames = []


def _why_not(frames: list[np.ndarray]) -> str | None:
    """When most frames were covered or too dark to find a face in, that, in the tray's words (the
    same as during a call), instead of how few faces were found."""
    from trayagent.core.visibility import Seen, VisibilityThresholds, classify
    from trayagent.i18n import _
    from trayagent.messages import TEXT
    from trayagent.perception.brightness import measure
    from trayagent.perception.cv import cv2

    seen = [classify(measure(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), None), VisibilityThresholds()) for f in frames]
    for state in (Seen.COVERED, Seen.DARK):
        if seen and seen.count(state) > len(seen) / 2:
            return _(TEXT[f"hint_{state.value}"])
    return None
