"""`trayagent bench` speaks Korean to a Korean reader (issue 20: its output was all English); --json
keeps its keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.korean import HANGUL, english_left


def _bench(lang: str, *args: str) -> str:
    env = dict(os.environ, LANG=lang, LC_ALL=lang, LANGUAGE="")
    done = subprocess.run([sys.executable, "-m", "trayagent", "bench", "--no-daemon", "--frames", "12", *args],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_reads_korean(home):
    out = _bench("ko_KR.UTF-8")
    assert HANGUL.search(out) and "얼굴 찾기" in out
    assert not english_left(out, home) - {"ms", "fer"}, out  # milliseconds; the fer package's name


def test_bench_json_keeps_its_keys():
    result = json.loads(_bench("ko_KR.UTF-8", "--json"))
    assert {"decode", "detection", "classification", "recording", "total"} <= set(result["pipeline"]["wall_ms_per_frame"])
