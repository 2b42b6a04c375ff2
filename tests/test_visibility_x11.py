""""I can't see you" under a real tray (Xvfb + trayer), in Korean: the daemon watches a camera whose
lens is covered, and the tray's icon, status line and menu say so with the hint.

Set TRAYAGENT_SCREENSHOTS=DIR to keep the screenshots for a person to look at.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests import videos
from tests.desktop import popup_windows, screenshot, tray_windows
from tests.helpers import calls_json, cli, running_daemon, status_json, wait_for
from trayagent.core.visibility import VisibilityThresholds

pytestmark = pytest.mark.slow
WINDOW_S = VisibilityThresholds().window_s


def test_a_covered_camera_is_said_calmly_in_korean(desktop, tmp_path, home):
    env, _procs = desktop
    (home / "config.toml").write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    covered = videos.lit_record(tmp_path / "covered.avi", [(videos.COVERED, None)], 40, "normal").path
    with running_daemon("--camera", str(covered), env=env, tray=True):
        icons = wait_for(lambda: tray_windows(env), timeout=60)
        log = home / "logs" / "trayagent.log"
        assert len(icons) == 1, f"the tray icon is not embedded; log:\n{log.read_text()}"
        assert json.loads(cli("call", "start", "--json", env=env).stdout)["state"] == "call"
        status = wait_for(lambda: (s := status_json(env))["look"] == "unseen" and s, timeout=WINDOW_S + 20)
        assert status, "the tray never said the camera cannot see the face"
        # not measured, never a calm 0.00; what would help comes apart (its own menu line, a notification)
        assert status["state"] == "call" and status["status"].endswith("스트레스 측정 안 됨")
        assert status["status"].startswith("통화 중") and "카메라가 가려져 있을 수 있습니다" in status["hint"]
        screenshot(env, "unseen-1-tray")
        w, h, x, y = icons[0]
        if "tray backend: xorg" not in log.read_text():  # a backend with menus: the status line heads the menu
            subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=env)
            assert wait_for(lambda: popup_windows(env), timeout=10), "right-click opened no menu"
            screenshot(env, "unseen-2-menu")
            subprocess.run(["xdotool", "key", "Escape"], env=env)
        assert json.loads(cli("call", "end", "--json", env=env).stdout)["state"] == "idle"
        (call,) = calls_json(env=env)
    assert call["seen"] == 0.0 and call["measured"] is False  # nothing of the call was seen: not calm
    assert call["peak"] is None
