"""The camera during one call: open at its start, reopened with backoff after a failure, closed at
its end. Outside a call it does not exist, which is how the camera stays closed between calls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import numpy as np

from trayagent.perception.frames import CameraError

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


class FrameReader(Protocol):
    def latest(self) -> tuple[int, np.ndarray | None]: ...

    def close(self) -> None: ...


class CameraSession:
    def __init__(self, open_camera: Callable[[], FrameReader], clock: Callable[[], float]) -> None:
        self._open_camera, self._clock = open_camera, clock
        self.reader: FrameReader | None = None
        self.problem: str | None = None  # why there is no picture, shown in the tray
        self._last_seq = -1
        self._retry_at = 0.0
        self._backoff = 1.0

    @property
    def is_open(self) -> bool:
        return self.reader is not None

    def open(self) -> None:
        try:
            self.reader = self._open_camera()
            self.problem, self._backoff = None, 1.0
            log.info("camera opened")
        except CameraError as e:
            self.reader = None
            self.problem = str(e)
            self._retry_at = self._clock() + self._backoff
            log.warning("%s; retrying in %.0f s", e, self._backoff)
            self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
            log.info("camera released")

    def newest(self, t: float) -> tuple[bool, np.ndarray | None]:
        """(whether this moment gets a sample, the newest frame or None). A moment without a new
        frame is skipped while the camera works (warming up, or no frame yet), and sampled as
        "no face" while it has a problem, so the call's record shows the gap."""
        if self.reader is None and t >= self._retry_at:
            self.open()
        if self.reader is None:
            return True, None
        try:
            seq, image = self.reader.latest()
        except CameraError as e:
            self.close()
            self.problem, self._retry_at = str(e), t + self._backoff
            log.warning("%s", e)
            return True, None
        if (image is None or seq == self._last_seq) and self.problem is None:
            return False, None
        self._last_seq = seq
        return True, image
