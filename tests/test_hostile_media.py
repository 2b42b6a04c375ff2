"""Issue 12, 19-22: videos and pictures that are damaged, huge or change under the daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np

from tests import videos


def _max_rss_mb(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `trayagent ARGS` and measure the child's peak memory (from a fresh parent, so that no
    other process of this test run counts)."""
    probe = ("import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:], capture_output=True, "
             "text=True); print(json.dumps([r.returncode, r.stdout, r.stderr, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "trayagent", *args],
                         capture_output=True, text=True, timeout=600, env=os.environ.copy())
    rc, stdout, stderr, mb = json.loads(out.stdout)
    return subprocess.CompletedProcess(args, rc, stdout, stderr), mb


def test_evaluate_refuses_decompression_bombs_and_keeps_memory_bounded(tmp_path):
    """A 389 KB PNG of 20000x20000 took 2.4 GB; 40 photos of 12 MP were all kept decoded (1.4 GB)."""
    y = np.linspace(0, 255, 3000, dtype=np.float32)[:, None]
    photo = np.dstack([y * np.ones((1, 4000), np.float32)] * 3).astype(np.uint8)
    face = cv2.resize(videos.astronaut(), (1200, 1200))
    photo[900:2100, 1400:2600] = face
    for folder in ("happy", "neutral"):
        (tmp_path / "set" / folder).mkdir(parents=True)
        for i in range(20):
            cv2.imwrite(str(tmp_path / "set" / folder / f"{i}.jpg"), photo)
    cv2.imwrite(str(tmp_path / "set" / "happy" / "bomb.png"), np.zeros((20000, 20000), np.uint8),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert (tmp_path / "set" / "happy" / "bomb.png").stat().st_size < 1_000_000
    r, mb = _max_rss_mb("evaluate", str(tmp_path / "set"), "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    result = json.loads(r.stdout)
    assert result["images"] == 40 and result["unreadable"] == [str(tmp_path / "set" / "happy" / "bomb.png")]
    assert "bomb.png" in r.stderr and "megapixels" in r.stderr
    print(f"evaluate of 40 12-MP photos and a 400-MP bomb: peak memory {mb:.0f} MB")
    assert mb < 1000
