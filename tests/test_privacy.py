"""Privacy, proven on the running daemon: during a real call (camera = a video of a real face), every
file it opens for writing and every socket it makes is traced by strace. No image or frame is ever
written, anywhere (temp folders included), only its user can read its data, and it opens no
network socket."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import cli, running_daemon, wait_for

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".webp", ".tif", ".tiff", ".gif", ".avi",
                  ".mp4", ".npy", ".raw")
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")

pytestmark = pytest.mark.slow
needs_strace = pytest.mark.skipif(
    shutil.which("strace") is None and os.environ.get("CI") != "true", reason="needs strace (apt install strace)")


@pytest.fixture(scope="module")
def traced_call(tmp_path_factory):
    """Run the daemon under strace through one call; return (trace text, data folder)."""
    assert shutil.which("strace"), "strace is missing (see .ci/run)"
    tmp_path = tmp_path_factory.mktemp("privacy")
    home = tmp_path / "home"
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut()), (None, None)], frames_each=15).path
    trace = tmp_path / "trace.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    policy = tmp_path / "policy.toml"  # outside the data folder, whose every file must be private
    policy.write_text("[calls]\nmin_call_s = 0\n")  # the call need not outlast 5 s
    env.update(TRAYAGENT_HOME=str(home), TRAYAGENT_POLICY=str(policy))
    strace = ["strace", "-f", "-qq", "-s", "256", "-o", str(trace),
              "-e", "trace=open,openat,openat2,creat,rename,renameat,renameat2,link,symlink,socket,connect,bind"]
    with running_daemon("--camera", str(video), env=env, wrap=strace):
        started = cli("call", "start", "--json", env=env)
        assert started.returncode == 0
        record = home / "calls" / f"{json.loads(started.stdout)['call_id']}.csv"
        assert wait_for(lambda: {"0", "1"} <= faces_seen(record), timeout=60), "the call never saw a face and none"
        assert cli("call", "end", env=env).returncode == 0
        assert cli("stop", env=env).returncode == 0
    return trace.read_text(), home


def faces_seen(record: Path) -> set[str]:
    """The `face` column's values so far: "1" for a moment with a face, "0" for one without."""
    try:
        return {row["face"] for row in csv.DictReader(record.read_text().splitlines())}
    except FileNotFoundError:
        return set()


def written_paths(trace: str) -> set[str]:
    paths = set()
    for line in trace.splitlines():
        m = re.search(r'\b(?:open|openat|openat2|creat)\((?:[^,]*, )?"([^"]*)"(.*)\) = \d+', line)
        if m and (line.split("(", 1)[0].endswith("creat") or any(f in m.group(2) for f in WRITE_FLAGS)):
            paths.add(m.group(1))
        for m in re.finditer(r'\b(?:rename|renameat2?|link|symlink)\(.*?"([^"]*)".*"([^"]*)"', line):
            paths.add(m.group(2))
    return paths


@needs_strace
def test_no_image_or_frame_is_ever_written_and_no_network_is_used(traced_call):
    trace, home = traced_call
    written = written_paths(trace)
    assert any(p.endswith(".csv") for p in written), "the trace saw no recording at all: the test is blind"
    images = [p for p in written if p.lower().endswith(IMAGE_SUFFIXES)]
    assert images == [], f"the daemon wrote image or frame files: {images}"
    outside = sorted(p for p in written if not p.startswith(str(home)) and not p.startswith(("/dev/null", "/proc/")))
    assert outside == [], f"the daemon wrote outside its data folder: {outside}"
    sockets = re.findall(r"\bsocket\((AF_\w+)", trace)
    assert sockets and set(sockets) <= {"AF_UNIX"}, f"network sockets opened: {set(sockets) - {'AF_UNIX'}}"
    assert not re.search(r"\bconnect\(\d+, \{sa_family=AF_INET6?", trace)


@needs_strace
def test_data_is_readable_by_its_user_only(traced_call):
    _, home = traced_call
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".csv" for p in files)
    for p in files:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p} is readable by others ({oct(mode)})"
    for d in [home / "calls", home / "logs", home / "run"]:
        assert stat.S_IMODE(d.stat().st_mode) & 0o077 == 0, f"{d} is open to others"


@needs_strace
def test_the_record_holds_numbers_only(traced_call):
    _, home = traced_call
    header, *rows = (next((home / "calls").glob("*.csv"))).read_text().splitlines()
    assert header == ("time,emotion,stress,p_happy,p_neutral,p_stress,p_surprise,face,"
                      "frame_brightness,frame_contrast,face_brightness,face_contrast,backlight,calibrated")
    for row in rows:
        time_, emotion, *numbers = row.split(",")
        assert emotion in ("", "happy", "neutral", "stress", "surprise")
        assert all(re.fullmatch(r"-?[\d.]*", n) for n in numbers), row
