"""Frame sources: a video file (analyse, demos, tests) or a camera (the daemon, during calls only)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trayagent import os_errors
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
from trayagent.perception.cv import cv2


class VideoError(TrayagentError):
    pass


class CameraError(TrayagentError):
    pass


@dataclass(frozen=True)
class Frame:
    t: float  # seconds since the source started
    image: np.ndarray  # BGR


def open_video(path: Path) -> tuple[cv2.VideoCapture, float]:
    """An opened capture and its frame rate, or a VideoError naming what is wrong with the file."""
    path = Path(path)
    try:
        if not path.exists():
            raise VideoError(_("{path}: no such file").format(path=path))
        if not path.is_file():
            raise VideoError(_("{path}: not a file").format(path=path))
        with path.open("rb") as f:
            f.read(1)
    except OSError as e:  # a name too long, a folder that cannot be entered
        raise VideoError(_("{path}: cannot read ({reason})").format(path=path, reason=os_errors.reason(e))) from None
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(_("{path}: not a video OpenCV can decode").format(path=path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    return cap, fps if fps and 0 < fps < 1000 else 0.0


# A frame the demuxer holds but the decoder cannot read (a damaged JPEG in an MJPG file) fails to
# grab; the next one may be fine. Without a frame count, this many failures in a row end the video.
MAX_MISSES_IN_ROW = 25


class VideoFrames:
    """Every frame of a video file, or about `fps` a second of them, as an iterable. Undecodable
    frames are skipped and counted (`skipped`); a frame keeps its time in the file whatever was
    skipped before it. A truncated file yields the frames it holds; a file with none is an error."""

    def __init__(self, path: Path, fps: float | None = None) -> None:
        self.path, self.fps = Path(path), fps
        self.skipped = 0

    def __iter__(self) -> Iterator[Frame]:
        cap, file_fps = open_video(self.path)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        count = frames if frames > 0 else None
        try:
            step = 1.0 / self.fps if self.fps else 0.0
            next_t, n, yielded, misses = 0.0, 0, 0, 0
            while count is None or n < count:
                index, n = n, n + 1  # the demuxer has moved past this frame, decoded or not
                if not cap.grab():  # grab without decoding: frames skipped by --fps cost almost nothing
                    misses += 1
                    if count is None and misses >= MAX_MISSES_IN_ROW:
                        break
                    continue
                t = index / file_fps if file_fps else cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if t + 1e-9 < next_t:
                    self.skipped, misses = self.skipped + misses, 0
                    continue
                ok, image = cap.retrieve()
                if not ok or image is None:
                    misses += 1
                    continue
                self.skipped, misses = self.skipped + misses, 0  # failures before a good frame were damage
                next_t += step
                yielded += 1
                yield Frame(t, image)
            if yielded == 0:
                raise VideoError(_("{path}: no decodable frames (empty, corrupt or not a video)").format(path=self.path))
        finally:
            cap.release()


def video_frames(path: Path, fps: float | None = None) -> VideoFrames:
    return VideoFrames(path, fps)


def check_video(path: Path) -> None:
    """Refuse, now, a video that cannot stand in for a camera: no file, not a video, or no frame
    that decodes (`run --camera VIDEO` would otherwise fail at the first call)."""
    for _frame in VideoFrames(path):
        return


BACKENDS = {"auto": cv2.CAP_ANY, "dshow": cv2.CAP_DSHOW, "msmf": cv2.CAP_MSMF, "v4l2": cv2.CAP_V4L2}


class LatestFrameReader:
    """Keeps a capture drained on its own thread and decodes only the frame that is asked for.

    Camera drivers queue frames (CAP_PROP_BUFFERSIZE works on V4L2 only), so sampling a few frames a
    second with plain reads would analyse frames seconds old; and decoding all 30 frames a second to
    use 2 would waste most of the CPU. So the thread only grabs, and `latest()` decodes the newest
    grab. A video file stands in for a camera by playing at its own frame rate and looping.
    """

    def __init__(self, source: int | Path, backend: str = "auto", warmup_s: float = 1.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source, self._clock = source, clock
        self._is_file = isinstance(source, Path)
        if isinstance(source, Path):
            self._cap, self._file_fps = open_video(source)
            self._file_fps = self._file_fps or 25.0
        else:
            self._cap = cv2.VideoCapture(int(source), BACKENDS[backend])
            if not self._cap.isOpened():
                self._cap.release()
                raise CameraError(_("camera {index}: cannot open (unplugged, or in use by another app)").format(
                    index=source))
        self._warmup_until = clock() + (0.0 if self._is_file else warmup_s)
        self._lock = threading.Lock()  # a capture is not thread-safe: grab and retrieve take turns
        self._seq = 0
        self._decoded_seq = -1
        self._frame: np.ndarray | None = None
        self._failed: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._is_file:
            self._play()
            return
        misses = 0
        while not self._stop.is_set():
            with self._lock:
                ok = self._cap.grab()
                if ok and self._clock() >= self._warmup_until:
                    self._seq += 1
            if not ok:
                misses += 1
                if misses >= 20:  # ~1 s of nothing: unplugged or taken by another app
                    self._failed = _("camera {index}: stopped delivering frames").format(index=self.source)
                    return
                self._stop.wait(0.05)
                continue
            misses = 0

    def _play(self) -> None:
        """A video file as a camera: at its own frame rate, looping; a damaged frame is passed over
        (it does not send playback back to the start), a file with no frame that decodes fails."""
        frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        count = frames if frames > 0 else None
        pos, bad_run = 0, 0
        while not self._stop.is_set():
            with self._lock:
                ok = self._cap.grab()
                pos += 1
                if ok:
                    self._seq, bad_run = self._seq + 1, 0
                else:
                    bad_run += 1
                    if count is None or pos > count:  # the end: play it again
                        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        pos = 0
            if bad_run > max(count or 0, MAX_MISSES_IN_ROW) + 1:
                self._failed = _("{path}: no decodable frames").format(path=self.source)
                return
            self._stop.wait(1.0 / self._file_fps)

    def latest(self) -> tuple[int, np.ndarray | None]:
        """(sequence number, newest frame); raises CameraError once the camera has failed."""
        if self._failed:
            raise CameraError(self._failed)
        with self._lock:
            if self._seq == 0:
                return 0, None  # still warming up
            if self._seq != self._decoded_seq:
                ok, image = self._cap.retrieve()
                self._frame = image if ok else None
                self._decoded_seq = self._seq
            return self._seq, self._frame

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with self._lock:
            self._cap.release()
        self._frame = None
