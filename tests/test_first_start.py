"""`trayagent run` started by hand in a terminal says what it is doing in a few lines, in the user's
language, then stays quiet; started by the login (no terminal) it prints nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.helpers import running_daemon

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal"), pytest.mark.slow]


def _run_in_terminal(home, language: str, seconds_quiet: float = 4.0) -> str:
    import pty

    (home / "config.toml").write_text(f'[ui]\nlanguage = "{language}"\n', encoding="utf-8")
    main, sub = pty.openpty()
    out = b""
    try:
        with running_daemon(stdin=sub, stdout=sub, stderr=sub, close_fds=True, timeout=90):
            os.close(sub)
            time.sleep(seconds_quiet)  # anything printed after the greeting would show up here (a sleep that stays)
            os.set_blocking(main, False)
            try:
                while chunk := os.read(main, 65536):
                    out += chunk
            except (BlockingIOError, OSError):
                pass
    finally:
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
    with running_daemon(stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90) as proc:
        pass
    out, err = proc.communicate(timeout=30)
    assert out == b"" and b"running" not in err
