"""`trayagent run` started by hand in a terminal says what it is doing in a few lines, in the user's
language, then stays quiet; started by the login (no terminal) it prints nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.helpers import cli, wait_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")


def _run_in_terminal(home, language: str, seconds_quiet: float = 4.0) -> str:
    import pty

    (home / "config.toml").write_text(f'[ui]\nlanguage = "{language}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--no-tray"], stdin=sub, stdout=sub,
                            stderr=sub, env=env, close_fds=True)
    os.close(sub)
    out = b""
    try:
        assert wait_for(lambda: cli("status").returncode == 0, timeout=90), "daemon did not start"
        time.sleep(seconds_quiet)  # anything printed after the greeting would show up here
        os.set_blocking(main, False)
        try:
            while chunk := os.read(main, 65536):
                out += chunk
        except (BlockingIOError, OSError):
            pass
    finally:
        cli("stop")
        proc.wait(timeout=30)
        os.close(main)
    return out.decode("utf-8", "replace").replace("\r", "")


def test_a_terminal_start_says_what_it_does_then_stays_quiet(home):
    text = _run_in_terminal(home, "en")
    lines = [line for line in text.splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith("WARNING")]  # e.g. no hotkey without a display
    assert said[0] == "trayagent is running without a tray icon (--no-tray)."
    assert "Calls are detected" in said[1] or "Calls start and end when you say so" in said[1]
    assert "Camera 0 is opened only during calls." in said[1]
    assert str(home) in said[2] and "trayagent stop" in said[2]
    assert len(said) == 3, said  # no INFO lines after it


def test_in_korean_too(home):
    said = [line for line in _run_in_terminal(home, "ko", 0).splitlines() if line.strip()
            and not line.startswith("WARNING")]
    assert said[0] == "trayagent가 트레이 아이콘 없이 실행 중입니다 (--no-tray)."
    assert "카메라 0번은 통화 중에만 켜집니다." in said[1]


def test_without_a_terminal_nothing_is_printed(home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, "-m", "trayagent", "run", "--no-tray"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert wait_for(lambda: cli("status").returncode == 0, timeout=90)
    cli("stop")
    out, err = proc.communicate(timeout=30)
    assert out == b"" and b"running" not in err
