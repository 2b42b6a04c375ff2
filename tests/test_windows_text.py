"""Windows as Korean agents have it: Hangul in every path, consoles whose code page cannot show Hangul."""

from __future__ import annotations

import os

import pytest

from tests.helpers import cli


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_korean_text_on_a_console_that_cannot_show_it_does_not_crash(tmp_path, home, encoding):
    """Issue 11, 4: a Korean message printed to a cp1252 console or an ASCII pipe raised UnicodeEncodeError."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    missing = tmp_path / "통화 녹화.avi"
    r = cli("analyze", str(missing), env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr
    assert r.stderr.startswith("trayagent: error:") and "avi" in r.stderr
    (home / "config.toml").write_text("[ui]\nlanguage = 'ko'\n[model]\npath = '모델.onnx'\n", encoding="utf-8")
    r = cli("doctor", "--no-camera", env=env)
    assert "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr, r.stderr
    assert "[FIX] model:" in r.stdout and ".onnx" in r.stdout
