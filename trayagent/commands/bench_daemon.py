"""`trayagent bench`'s second half: the real daemon as a separate process, on a video standing in for
the camera: start-up, time to the first result, peak memory during a call, CPU in a call and idle."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from trayagent.core.errors import TrayagentError
from trayagent.perception.cv import cv2


class DaemonResult(TypedDict):
    process_start_to_ready_s: float
    call_start_to_first_result_s: float
    start_to_first_result_s: float
    cli_measured: dict[str, float]
    rss_idle_mb: float
    rss_peak_in_call_mb: float
    cpu_in_call_percent: float
    cpu_idle_percent: float
    threads_idle: int
    measured_s: float


def _rss(proc: Any) -> int:
    import psutil

    try:
        return proc.memory_info().rss
    except psutil.Error:
        return 0


def _cpu_s(proc: Any) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _camera_video(frames: list[np.ndarray], path: Path) -> Path:
    """The frames as an MJPG video, which the daemon plays as its camera."""
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (w, h))
    for f in frames:
        out.write(f)
    out.release()
    return path


def _logged(log: str, pattern: str) -> float:
    """A number the daemon wrote to its log."""
    import re

    found = re.search(pattern, log)
    if found is None:
        raise TrayagentError(f"the daemon's log does not say {pattern!r}")
    return float(found.group(1))


class _Daemon:
    """The daemon as a separate process in a throwaway data folder, with no display."""

    def __init__(self, tmp: Path) -> None:
        self.home = tmp / "home"
        self.env = {**os.environ, "TRAYAGENT_HOME": str(self.home), "TRAYAGENT_POLICY": str(tmp / "none")}
        self.env.pop("DISPLAY", None)
        self.env.pop("WAYLAND_DISPLAY", None)
        self.me = [sys.executable, "-m", "trayagent"]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.me + list(args), env=self.env, capture_output=True, text=True, timeout=60)

    def start(self, video: Path) -> subprocess.Popen:
        return subprocess.Popen(self.me + ["run", "--no-tray", "--camera", str(video)], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, proc: subprocess.Popen, t0: float) -> float:
        """Seconds from t0 until the daemon answers `status`."""
        while self.cli("status").returncode != 0:
            if proc.poll() is not None or time.perf_counter() - t0 > 60:
                raise TrayagentError("the daemon did not start")
            time.sleep(0.05)
        return time.perf_counter() - t0

    def first_row(self) -> float:
        """Start a call; seconds until its record has a row."""
        t1 = time.perf_counter()
        self.cli("call", "start")
        calls = self.home / "calls"
        while not any(len(f.read_text().splitlines()) > 1 for f in calls.glob("*.csv")):
            if time.perf_counter() - t1 > 30:
                raise TrayagentError("no result within 30 s of the call start")
            time.sleep(0.02)
        return time.perf_counter() - t1

    def stop(self, proc: subprocess.Popen) -> None:
        self.cli("stop")
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def daemon(frames: list[np.ndarray], seconds: float) -> DaemonResult:
    """Run the real daemon on a video standing in for the camera, in a throwaway data folder."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        video = _camera_video(frames, Path(tmp) / "camera.avi")
        d = _Daemon(Path(tmp))
        t0 = time.perf_counter()
        proc = d.start(video)
        p = psutil.Process(proc.pid)
        try:
            ready = d.wait_ready(proc, t0)
            idle_rss = _rss(p)
            first = d.first_row()
            cpu0, peak, end = _cpu_s(p), 0, time.perf_counter() + seconds
            while time.perf_counter() < end:
                peak = max(peak, _rss(p))
                time.sleep(0.1)
            call_cpu = (_cpu_s(p) - cpu0) / seconds
            d.cli("call", "end")
            time.sleep(1)
            cpu2 = _cpu_s(p)
            time.sleep(seconds)
            idle_cpu = (_cpu_s(p) - cpu2) / seconds
            threads = p.num_threads()
            log = (d.home / "logs" / "trayagent.log").read_text()
            ready_log = _logged(log, r"ready ([\d.]+) s after the process started")
            first_log = _logged(log, r"first result ([\d.]+) s after the call started")
        finally:
            d.stop(proc)
    return {"process_start_to_ready_s": ready_log, "call_start_to_first_result_s": first_log,
            "start_to_first_result_s": round(ready_log + first_log, 2),
            "cli_measured": {"launch_to_status_answer_s": round(ready, 3), "call_command_to_first_row_s": round(first, 3)},
            "rss_idle_mb": round(idle_rss / 2**20, 1), "rss_peak_in_call_mb": round(peak / 2**20, 1),
            "cpu_in_call_percent": round(call_cpu * 100, 2), "cpu_idle_percent": round(idle_cpu * 100, 2),
            "threads_idle": threads, "measured_s": seconds}
