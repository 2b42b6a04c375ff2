"""`trayagent bench`: what the pipeline costs per frame, and what the daemon costs in a call and idle.

Per-frame CPU is split into decode (a webcam's MJPG frame), detection, classification and
recording. The daemon is then measured as a separate process: start-up, time to the first result,
peak memory during a call, and CPU while idle with the camera closed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.perception.cv import cv2
from trayagent.core.errors import TrayagentError

FACE = paths.bench_face()
W, H = 640, 480


def synthetic_frames(n: int) -> list[np.ndarray]:
    """A desk scene with a face that moves a little, as a seated agent does."""
    y = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    wall = (180 + 40 * y) * np.ones((1, W), np.float32)
    scene = np.dstack([wall * 0.95, wall, wall]).clip(0, 255).astype(np.uint8)
    face = cv2.imread(str(FACE))
    face = cv2.resize(face, (round(face.shape[1] * 220 / face.shape[0]), 220))
    frames = []
    for i in range(n):
        img = scene.copy()
        x, yy = 200 + 6 * (i % 7), 120 + 4 * (i % 5)
        img[yy:yy + face.shape[0], x:x + face.shape[1]] = face
        frames.append(img)
    return frames


def _stats(values: list[float]) -> dict:
    v = sorted(values)
    return {"mean": round(statistics.fmean(v), 3), "median": round(v[len(v) // 2], 3),
            "p95": round(v[min(len(v) - 1, int(len(v) * 0.95))], 3)}


def pipeline(frames: list[np.ndarray], model: str | None) -> dict:
    """CPU milliseconds per stage on each frame, one thread, as the daemon runs it."""
    from trayagent.core.stress import CallStats
    from trayagent.perception.pipeline import Perception
    from trayagent.storage.calls import CallStore

    perception = Perception(model)
    encoded = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 85])[1] for f in frames]
    stages: dict[str, list[float]] = {k: [] for k in ("decode", "detection", "classification", "recording")}
    found = 0
    with tempfile.TemporaryDirectory() as tmp:
        writer = CallStore(Path(tmp)).new_call(datetime.now().astimezone())
        stats = CallStats()
        t0 = datetime.now().astimezone()
        for i, data in enumerate(encoded):
            c0 = time.process_time()
            frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
            c1 = time.process_time()
            gray, box = perception.find_face(frame)
            c2 = time.process_time()
            obs = perception.classify(frame, gray, box)
            found += box is not None
            c3 = time.process_time()
            writer.write(obs.record(stats, t0 + timedelta(seconds=i / 2)))
            c4 = time.process_time()
            if i >= 3:  # the first frames pay one-off costs (allocations, kernel selection)
                for k, a, b in (("decode", c0, c1), ("detection", c1, c2), ("classification", c2, c3),
                                ("recording", c3, c4)):
                    stages[k].append((b - a) * 1000)
        writer.close()
    total = [sum(x) for x in zip(*stages.values())]
    return {"frames": len(frames), "faces_found": found,
            "cpu_ms_per_frame": {**{k: _stats(v) for k, v in stages.items()}, "total": _stats(total)}}


def _rss(proc) -> int:
    import psutil

    try:
        return proc.memory_info().rss
    except psutil.Error:
        return 0


def daemon(frames: list[np.ndarray], seconds: float) -> dict:
    """Run the real daemon on a video standing in for the camera, in a throwaway data folder."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "camera.avi"
        out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (W, H))
        for f in frames:
            out.write(f)
        out.release()
        env = {**os.environ, "TRAYAGENT_HOME": str(Path(tmp) / "home"), "TRAYAGENT_POLICY": str(Path(tmp) / "none")}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        me = [sys.executable, "-m", "trayagent"]

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(me + list(args), env=env, capture_output=True, text=True, timeout=60)

        t0 = time.perf_counter()
        proc = subprocess.Popen(me + ["run", "--no-tray", "--camera", str(video)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        p = psutil.Process(proc.pid)
        try:
            while cli("status").returncode != 0:
                if proc.poll() is not None or time.perf_counter() - t0 > 60:
                    raise TrayagentError("the daemon did not start")
                time.sleep(0.05)
            ready = time.perf_counter() - t0
            idle_rss = _rss(p)
            t1 = time.perf_counter()
            cli("call", "start")
            calls = Path(env["TRAYAGENT_HOME"]) / "calls"
            while not any(len(f.read_text().splitlines()) > 1 for f in calls.glob("*.csv")):
                if time.perf_counter() - t1 > 30:
                    raise TrayagentError("no result within 30 s of the call start")
                time.sleep(0.02)
            first = time.perf_counter() - t1
            cpu0, peak, end = p.cpu_times(), 0, time.perf_counter() + seconds
            while time.perf_counter() < end:
                peak = max(peak, _rss(p))
                time.sleep(0.1)
            cpu1 = p.cpu_times()
            call_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / seconds
            cli("call", "end")
            time.sleep(1)
            cpu2 = p.cpu_times()
            time.sleep(seconds)
            cpu3 = p.cpu_times()
            idle_cpu = (cpu3.user + cpu3.system - cpu2.user - cpu2.system) / seconds
            threads = p.num_threads()
            log = (Path(env["TRAYAGENT_HOME"]) / "logs" / "trayagent.log").read_text()
            import re

            ready_log = float(re.search(r"ready ([\d.]+) s after the process started", log).group(1))
            first_log = float(re.search(r"first result ([\d.]+) s after the call started", log).group(1))
        finally:
            cli("stop")
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"process_start_to_ready_s": ready_log, "call_start_to_first_result_s": first_log,
            "start_to_first_result_s": round(ready_log + first_log, 2),
            "cli_measured": {"launch_to_status_answer_s": round(ready, 3), "call_command_to_first_row_s": round(first, 3)},
            "rss_idle_mb": round(idle_rss / 2**20, 1), "rss_peak_in_call_mb": round(peak / 2**20, 1),
            "cpu_in_call_percent": round(call_cpu * 100, 2), "cpu_idle_percent": round(idle_cpu * 100, 2),
            "threads_idle": threads, "measured_s": seconds}


def fer_side_by_side(frames: list[np.ndarray]) -> dict | None:
    """The `fer` package on the same frames, when it is installed (never a dependency)."""
    try:
        from fer import FER
    except ImportError:
        return None
    detector = FER(mtcnn=False)
    detector.detect_emotions(frames[0])
    cpu = []
    for f in frames[1:]:
        c = time.process_time()
        detector.detect_emotions(f)
        cpu.append((time.process_time() - c) * 1000)
    return {"cpu_ms_per_frame": _stats(cpu)}


def command(args) -> int:
    frames = synthetic_frames(args.frames)
    result = {"frame": f"{W}x{H}", "pipeline": pipeline(frames, args.model)}
    if not args.no_daemon:
        result["daemon"] = daemon(frames[:60], args.seconds)
    fer = fer_side_by_side(frames[:50])
    if fer:
        result["fer"] = fer
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    p = result["pipeline"]["cpu_ms_per_frame"]
    print(f"pipeline on {args.frames} {W}x{H} frames, one thread, CPU ms per frame (mean / median / p95):")
    for k, v in p.items():
        print(f"  {k:<15} {v['mean']:7.2f} {v['median']:7.2f} {v['p95']:7.2f}")
    print(f"  faces found in {result['pipeline']['faces_found']} of {args.frames} frames")
    if "daemon" in result:
        d = result["daemon"]
        print(f"daemon: ready {d['process_start_to_ready_s']:.2f} s after the process started (model loaded); first result "
              f"{d['call_start_to_first_result_s']:.2f} s after a call starts; RSS {d['rss_idle_mb']:.0f} MB idle, {d['rss_peak_in_call_mb']:.0f} MB peak in a call; "
              f"CPU {d['cpu_in_call_percent']:.1f}% in a call, {d['cpu_idle_percent']:.2f}% idle; "
              f"{d['threads_idle']} threads")
    if fer:
        print(f"fer package: {fer['cpu_ms_per_frame']['mean']:.1f} ms CPU per frame (mean)")
    return 0
