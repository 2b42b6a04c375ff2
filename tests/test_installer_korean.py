"""The shipped Windows bundle, end to end, as a Korean agent meets it: installed silently under 64-bit
wine into a prefix whose user is 김민수 (C:\\users\\김민수) with a Korean locale (code page 949), then
used from the installed runtime with Hangul in every path: doctor, analyze, evaluate, the daemon with
its win32 tray icon and named-pipe command channel, the Korean tray menu, and an upgrade over the
running daemon.

What only real Windows can show stays out: a webcam, ACLs being enforced, SYSTEM installs, sign-out.
The tray menu's screenshot is kept in build/wine-screenshots/ for a person to look at.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from pathlib import Path

import cv2
import pytest

from tests import videos
from tests.helpers import call_rows, cli, wait_for
from tests.wine import Desktop, Wine, korean_locale, require, setup_exe, wine64_available

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "build" / "wine-screenshots"
USER = "김민수"
PROFILE_WIN = rf"C:\users\{USER}"
DATA_WIN = PROFILE_WIN + r"\AppData\Local\trayagent"
VIDEO_WIN = PROFILE_WIN + r"\Documents\통화 녹화\고객 통화.avi"
PHOTOS_WIN = PROFILE_WIN + r"\Pictures\표정 사진"
# Samples a test call waits for: 6.5 s at 2 frames a second, past calls.min_call_s (5 s, below which a
# call is dropped on purpose).
CALL_ROWS = 14
MIN_CALL_S = 5


@pytest.fixture(scope="module")
def desktop():
    d = Desktop()
    yield d
    d.close()


@pytest.fixture(scope="module")
def korean(tmp_path_factory, desktop) -> Wine:
    """A Korean Windows profile with trayagent installed silently, as IT deploys it."""
    exe = setup_exe()
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    locpath = korean_locale(tmp_path_factory.mktemp("locale"))
    # wine names the profile after the Unix user and takes its code page from the locale.
    w = Wine(tmp_path_factory.mktemp("wine-ko"), encoding="cp949", USER=USER, LOGNAME=USER,
             LANG="ko_KR.UTF-8", LC_ALL="ko_KR.UTF-8", LOCPATH=str(locpath), DISPLAY=desktop.display)
    t0 = time.monotonic()
    w.boot()
    w.keep_server()
    proc = w.install(exe, wait=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    print(f"\nKorean prefix booted and installed in {time.monotonic() - t0:.0f} s")
    yield w
    w.kill()


def unix(w: Wine, windows_path: str) -> Path:
    assert windows_path[:3].upper() == "C:\\"
    return w.c.joinpath(*windows_path[3:].split("\\"))


def test_installs_for_a_korean_user(korean):
    assert korean.user_dir().name == USER
    assert korean.reg_value(r"HKLM\System\CurrentControlSet\Control\Nls\CodePage", "ACP") == "949"
    # The exact bundle IT installs imports all its native libraries: numpy is the pinned one.
    pinned = {}
    for line in (REPO / "installer" / "requirements-win.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split()[0].split("==")
            pinned[name] = version
    # It leaves as soon as it has printed (os._exit): on a busy machine wine twice killed (-9) the
    # interpreter's exit, after the versions were out, while the native libraries' threads wound down.
    proc = korean.run(r"C:\Program Files\trayagent\runtime\python.exe", "-c",
                      "import os, sys, numpy, cv2, onnxruntime, pandas, matplotlib; "
                      "print(numpy.__version__, onnxruntime.__version__, pandas.__version__); "
                      "sys.stdout.flush(); os._exit(0)", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.split() == [pinned["numpy"], pinned["onnxruntime"], pinned["pandas"]]


def test_setup_speaks_korean(korean):
    """On a Korean Windows, setup says what went wrong in Korean, in its window and its log, with the
    app's own Korean reason for a policy it refuses; nothing installed is changed."""
    folder_win = PROFILE_WIN + r"\Documents\정책"
    unix(korean, folder_win).mkdir(parents=True, exist_ok=True)
    bad_win = folder_win + r"\잘못된 정책.toml"
    unix(korean, bad_win).write_text("[privacy]\nretention_days = -5\n", encoding="utf-8")
    installed = unix(korean, r"C:\Program Files\trayagent\runtime\python.exe").stat().st_mtime_ns

    korean.clear_setup_log()
    proc = korean.install(setup_exe(), f"/POLICY={bad_win}", wait=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    log = korean.setup_log()
    assert f"정책 파일이 올바르지 않습니다: {bad_win}: privacy.retention_days = -5은(는) 쓸 수 없습니다" in log, log
    assert "Traceback" not in log and "not valid" not in log, log

    korean.clear_setup_log()
    missing_win = folder_win + r"\없는 정책.toml"
    proc = korean.install(setup_exe(), f"/POLICY={missing_win}", wait=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert f"정책 파일을 찾을 수 없습니다: {missing_win}" in korean.setup_log()
    assert unix(korean, r"C:\Program Files\trayagent\runtime\python.exe").stat().st_mtime_ns == installed


def test_setup_says_in_korean_that_it_set_a_policy_aside(korean):
    """A policy.toml setup did not write is moved aside at the next install, and the log says so in
    Korean, naming where it went."""
    datadir = unix(korean, r"C:\ProgramData\trayagent")
    (datadir / "policy.toml").write_text("[privacy]\nretention_days = 3650\n", encoding="utf-8")
    korean.clear_setup_log()
    proc = korean.install(setup_exe(), wait=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [aside] = datadir.glob("policy.toml.found-*")
    assert aside.read_text(encoding="utf-8") == "[privacy]\nretention_days = 3650\n"
    log = korean.setup_log()
    assert (r"C:\ProgramData\trayagent\policy.toml 파일은 설치 프로그램이 쓴 정책이 아니거나 그 뒤에 바뀌었으므로 "
            rf"쓰지 않습니다. IT 담당자가 확인할 수 있도록 C:\ProgramData\trayagent\{aside.name}(으)로 옮겼습니다.") in log, log
    assert (datadir / "policy.toml").read_text(encoding="utf-8") == (datadir / "policy.example.toml").read_text(
        encoding="utf-8")


def test_setup_window_is_korean(korean, desktop):
    """Setup started by hand (not silently) opens its window in Korean: screenshotted for a person to
    look at, then cancelled with Escape, which changes nothing."""
    proc = subprocess.Popen(["wine", str(setup_exe())], env=korean.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def window() -> str:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "trayagent .* 설치"],
                                   env=desktop.env, capture_output=True, text=True)
            return found.stdout.split()[0] if found.stdout.split() else ""

        win = wait_for(window, timeout=120, step=1)
        assert win, "no setup window titled in Korean"
        time.sleep(2)  # its pages are drawn after the window maps
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        print(f"\nsetup window: {desktop.screenshot(SCREENSHOTS / 'setup-ko.png')}")
        desktop.xdotool("windowfocus", "--sync", win, "key", "Escape")  # (no window manager)
        assert proc.wait(60) == 1  # cancelled by the user
    finally:
        if proc.poll() is None:
            proc.kill()


def test_doctor_without_camera(korean):
    proc = korean.app("doctor", "--no-camera", "--json")
    checks = {c["name"]: c for c in json.loads(proc.stdout)}
    assert proc.returncode == (0 if all(c["ok"] for c in checks.values()) else 1), proc.stderr[-3000:]
    assert checks["data folder"]["detail"] == DATA_WIN
    assert checks["model"]["detail"].startswith(r"C:\Program Files\trayagent\runtime")
    assert checks["daemon"]["ok"] and checks["daemon"]["detail"].startswith("실행 중이 아님"), checks["daemon"]


def test_doctor_reports_a_failing_call_signal_as_something_to_fix(korean):
    """psutil cannot list processes under wine (WinError 87): the softphone signal does not work."""
    checks = {c["name"]: c for c in json.loads(korean.app("doctor", "--no-camera", "--json").stdout)}
    signal = checks["call signals"]
    assert not signal["ok"] and signal["fix"], signal


@pytest.fixture(scope="module")
def video(korean) -> videos.Recording:
    """A recording kept in a Hangul folder of the profile: a face in the middle third of it."""
    path = unix(korean, VIDEO_WIN)
    path.parent.mkdir(parents=True, exist_ok=True)
    return videos.record(path, [(None, None), ("face", videos.astronaut()), (None, None)], frames_each=5)


def test_analyze_a_video_in_a_hangul_folder(korean, video):
    rec = video
    out_win = PROFILE_WIN + r"\Documents\통화 녹화\결과"
    proc = korean.app("analyze", VIDEO_WIN, "--out", out_win, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["csv"] == out_win + r"\고객 통화.csv"
    assert summary["samples"] == len(rec.truth) and summary["faces"] == rec.truth.count("face")
    with open(unix(korean, summary["csv"]), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["face"] == "1" for r in rows] == [t is not None for t in rec.truth]
    assert unix(korean, summary["graph"]).read_bytes()[:4] == b"\x89PNG"


def test_faces_are_found_under_wine_as_on_linux(korean, publictest):
    """The same recording, analysed by the installed Windows runtime under wine and by this checkout on
    Linux, finds a face in the same frames: varied FER2013 faces in a dim room and before a bright
    window, some of which Haar misses (YuNet is then asked) and some of which neither finds. (Measured
    for issue 21 on seven such videos, 655 frames, with the same build on both sides: 592 with a face
    on both, no frame differing, and expressions and probabilities equal to the CSV's precision; the
    expressions are not compared here, as a setup built before a model change would differ.)"""
    images, _labels = publictest
    folder = PROFILE_WIN + r"\Documents\통화 녹화"
    unix(korean, folder).mkdir(parents=True, exist_ok=True)
    shares = {}
    for light in ("dim", "window"):
        name = f"상담 통화 {light}.avi"
        rec = videos.lit_record(unix(korean, folder) / name, [("face", img) for img in images[60:90]],
                                frames_each=2, light=light)
        proc = korean.app("analyze", folder + "\\" + name, "--out", folder + r"\비교", "--no-calibration", "--json")
        assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
        on_linux = cli("analyze", str(rec.path), "--out", str(rec.path.parent / "linux"), "--no-calibration", "--json")
        assert on_linux.returncode == 0, on_linux.stderr[-3000:]
        rows = {}
        for side, summary in (("wine", json.loads(proc.stdout)), ("linux", json.loads(on_linux.stdout))):
            path = unix(korean, summary["csv"]) if side == "wine" else Path(summary["csv"])
            with open(path, newline="", encoding="utf-8") as f:
                rows[side] = [r["face"] == "1" for r in csv.DictReader(f)]
        assert rows["wine"] == rows["linux"], light
        faces = sum(rows["wine"])
        shares[light] = f"{faces}/{len(rows['wine'])}"
        assert 0 < faces < len(rows["wine"]), shares  # some found, some not: a comparison that can fail
    print(f"\nframes with a face, wine = linux: {shares}")


def test_evaluate_photos_in_a_hangul_folder(korean):
    root = unix(korean, PHOTOS_WIN)
    (root / "happy").mkdir(parents=True, exist_ok=True)
    scene = videos.background()
    cv2.imwrite(str(root / "happy" / "웃음 1.png"), videos.paste(scene, videos.astronaut()))
    cv2.imwrite(str(root / "happy" / "빈 자리.png"), scene)  # no face in this one
    proc = korean.app("evaluate", PHOTOS_WIN, "--detect-faces", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    r = json.loads(proc.stdout)
    assert r["images"] == 2 and r["faces_found_rate"] == 0.5
    assert r["labels_4"][-1] == "no face" and r["confusion_4"][0][-1] == 1


@pytest.fixture(scope="module")
def daemon(korean, video):
    """`trayagent run` from the installed runtime, a video of a face standing in for the webcam."""
    proc = korean.popen_app("run", "--camera", VIDEO_WIN)

    def state():
        s = korean.app("status", "--json", timeout=60)
        return s.returncode == 0 and json.loads(s.stdout)["state"]

    assert wait_for(state, timeout=120, step=2) == "idle", "the daemon did not come up"
    yield proc
    if proc.poll() is None:
        korean.app("stop", timeout=60)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_call_over_the_named_pipe_with_the_korean_tray(korean, daemon, desktop, tmp_path):
    icon = wait_for(lambda: desktop.tray_icon(tmp_path / "panel.png"), timeout=60, step=2)
    assert icon, "no tray icon in trayer's panel"

    started = json.loads(korean.app("call", "start", "--json").stdout)
    assert started["state"] == "call" and started["camera_open"], started
    data = unix(korean, DATA_WIN)
    assert wait_for(lambda: call_rows(data, started["call_id"]) >= CALL_ROWS, timeout=120), "no samples"
    status = json.loads(korean.app("status", "--json").stdout)
    # "On call mm:ss: stress <band> (x.xx)", or "stress not measured" when the camera has not seen the
    # face well (the video shows it only in its middle third)
    m = re.match(r"통화 중 (\d\d):(\d\d): 스트레스 ((낮음|약간 높음|높음) \(\d\.\d\d\)|측정 안 됨)$", status["status"])
    assert m and 60 * int(m[1]) + int(m[2]) >= MIN_CALL_S, status

    # The menu, opened as an agent does (right click), screenshotted for a person to look at.
    desktop.xdotool("mousemove", str(icon[0]), str(icon[1]), "click", "3")
    assert wait_for(lambda: _menu_open(desktop), timeout=20, step=0.5), "the tray menu did not open"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = desktop.screenshot(SCREENSHOTS / "tray-menu-ko.png")
    print(f"\ntray menu: {shot}")
    # (With no window manager to focus it, the menu stays open: the upgrade below quits under it.)
    desktop.xdotool("key", "Escape")

    ended = json.loads(korean.app("call", "end", "--json").stdout)
    assert ended["state"] == "idle", ended
    proc = korean.app("calls", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    calls = json.loads(proc.stdout)
    assert [c["id"] for c in calls] == [started["call_id"]]
    call = calls[0]
    assert call["duration_s"] >= MIN_CALL_S and call["samples"] >= CALL_ROWS and call["faces"] > 0, call
    with open(data / "calls" / f"{call['id']}.csv", newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == call["samples"]


def _menu_open(desktop: Desktop) -> bool:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=desktop.env, capture_output=True, text=True).stdout
    for line in tree.splitlines():
        if '("python.exe" "python.exe")' in line:
            size = line.split(")")[-1].split()[0]  # WxH+X+Y
            w, h = (int(n) for n in size.split("+")[0].split("x"))
            if w >= 100 and h >= 100:
                return True
    return False


def test_upgrade_over_the_running_daemon_closes_the_open_call(korean, daemon):
    started = json.loads(korean.app("call", "start", "--json").stdout)
    assert started["state"] == "call", started
    data = unix(korean, DATA_WIN)
    assert wait_for(lambda: call_rows(data, started["call_id"]) >= CALL_ROWS, timeout=120), "no samples"
    t0 = time.monotonic()
    proc = korean.install(setup_exe(), wait=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    print(f"\nupgrade over the running daemon: {time.monotonic() - t0:.0f} s")
    daemon.wait(timeout=60)  # asked to quit by the installer
    # It quit by itself once its call was closed out, not ended by setup after QUIT_WAIT_S (its tray
    # menu was opened before: a menu's loop must not keep it running).
    log = (unix(korean, DATA_WIN) / "logs" / "trayagent.log").read_text(encoding="utf-8", errors="replace")
    assert log.rstrip().endswith("trayagent stopped"), log[-2000:]
    calls = json.loads(korean.app("calls", "--json").stdout)
    assert started["call_id"] in [c["id"] for c in calls], calls
    last = next(c for c in calls if c["id"] == started["call_id"])
    assert last["end"] and last["samples"] > 0, last  # closed out before the files were replaced
    assert korean.app("--version").returncode == 0
    # The previous runtime, moved aside for a rollback, is gone once the upgrade succeeded.
    assert not unix(korean, r"C:\Program Files\trayagent\runtime.old").exists()
