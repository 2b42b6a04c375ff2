"""Issue 12, 19-22: videos and pictures that are damaged, huge or change under the daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

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


@pytest.mark.slow
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


def _damage(path, frames: list[int]):
    """Wipe the first half (headers and scan) of some MJPG frames, as a bad sector or a cut copy does."""
    data = bytearray(path.read_bytes())
    starts = [i for i in range(len(data) - 2) if data[i] == 0xFF and data[i + 1] == 0xD8 and data[i + 2] == 0xFF]
    for k in frames:
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        data[starts[k]:starts[k] + (end - starts[k]) // 2] = bytes((end - starts[k]) // 2)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.slow
def test_run_refuses_a_video_that_cannot_be_played_at_start(tmp_path):
    """Issue 12, 19: `run --camera text.avi` started, then crashed three times at the first call."""
    from tests.helpers import cli

    text = tmp_path / "text.avi"
    text.write_text("not a video\n" * 100)
    r = cli("run", "--no-tray", "--camera", str(text), timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"trayagent: error: {text}: not a video OpenCV can decode"


@pytest.mark.slow
def test_damaged_frames_are_skipped_counted_and_said(tmp_path):
    """Issue 12, 20: one damaged frame ended `analyze` there; three at the start gave "no decodable frames"."""
    from tests.helpers import cli

    for name, damaged in (("middle", [20]), ("start", [0, 1, 2])):
        video = _damage(videos.record(tmp_path / f"{name}.avi", [("face", videos.astronaut())],
                                      frames_each=40).path, damaged)
        r = cli("analyze", str(video), "--out", str(tmp_path / "out"), "--json")
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
        result = json.loads(r.stdout)
        assert result["samples"] == 40 - len(damaged) and result["skipped_frames"] == len(damaged)
        r = cli("analyze", str(video), "--out", str(tmp_path / "out"))
        said = f"skipped {len(damaged)} damaged frame" + ("s" if len(damaged) > 1 else "")
        assert f"{40 - len(damaged)} frames" in r.stdout and said in r.stdout, r.stdout


def test_a_video_played_as_the_camera_passes_over_damaged_frames(tmp_path):
    from tests.helpers import wait_for
    from trayagent.perception.frames import LatestFrameReader

    video = _damage(videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=10,
                                  fps=20).path, [0, 1, 2])
    reader = LatestFrameReader(video)
    try:
        assert wait_for(lambda: reader.latest()[0] >= 15, timeout=10)  # past the end and round again
        assert reader.latest()[1] is not None
    finally:
        reader.close()


def test_face_tracking_survives_a_change_of_resolution():
    """Issue 12, 22: a face tracked at 640x480 near the lower right, then a 320x240 frame: the search
    around the last face cropped an empty region (cv2.error)."""
    from trayagent.perception.faces import FaceDetector

    big = videos.paste(videos.background(), videos.astronaut(), height=220, centre=(520, 340))
    tracked = FaceDetector(track=True)
    gray = cv2.cvtColor(big, cv2.COLOR_BGR2GRAY)
    first = tracked.detect(gray)
    assert first is not None and first.x > 400
    small = cv2.resize(gray, (320, 240), interpolation=cv2.INTER_AREA)
    again = tracked.detect(small)  # the old box lies outside this frame
    assert again is not None and again == FaceDetector(track=True).detect(small)
