"""Helpers for the installer's end-to-end tests under 64-bit wine: the setup .exe (built once a
session), throwaway prefixes (optionally a Korean user with a Korean locale), and a desktop (Xvfb +
trayer) for the win32 tray icon.

Wine quirks the helpers keep to: CPython started by wine cannot have a regular file as stdin, stdout
or stderr (only /dev/null and pipes), and prints through the prefix's ANSI code page (cp949 for a
Korean locale).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from tests.desktop import start_xvfb
from tests.helpers import wait_for

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
INSTDIR_WIN = r"C:\Program Files\trayagent"
PYTHON_WIN = INSTDIR_WIN + r"\runtime\python.exe"


def require(ok: bool, reason: str) -> None:
    """Skip when a tool is missing, except in CI, where the tool must be there."""
    if not ok:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the CI script must install it)")
        pytest.skip(reason)


def wine64_available() -> bool:
    return bool(shutil.which("wine")) and (
        bool(shutil.which("wine64")) or Path("/usr/lib/wine/wine64").exists())


@functools.cache
def setup_exe() -> Path:
    """The installer under test: TRAYAGENT_INSTALLER, or built once a session from this checkout."""
    given = os.environ.get("TRAYAGENT_INSTALLER")
    if given:
        assert Path(given).is_file(), f"TRAYAGENT_INSTALLER={given} does not exist"
        return Path(given)
    require(bool(shutil.which("makensis")), "makensis not installed (apt-get install nsis)")
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    require((REPO / "models" / "emotion.onnx").is_file(),
            "models/emotion.onnx is missing: the installer cannot be built")
    work = REPO / "build" / "installer-test"
    out = work / "dist"
    # The workers of one pytest-xdist run (.ci/run) share one build: the first builds it under the
    # lock, the others wait for it and take it. Any other run builds anew.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    stamp = work / "built-for-run"
    work.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(work) + ".lock"):
        exes = list(out.glob("trayagent-*-win64-setup.exe"))
        if run and len(exes) == 1 and stamp.is_file() and stamp.read_text() == run:
            return exes[0]
        shutil.rmtree(out, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        # zlib: about 4x faster to build than the release's lzma; what gets installed is the same.
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(REPO / "installer" / "build.py"), "--compressor", "zlib",
             "--out-dir", str(out), "--work-dir", str(work)],
            capture_output=True, text=True, timeout=1200,
        )
        assert proc.returncode == 0, f"build.py failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        exes = list(out.glob("trayagent-*-win64-setup.exe"))
        assert len(exes) == 1, exes
        if run:
            stamp.write_text(run)
    print(f"\nbuilt {exes[0].name} ({exes[0].stat().st_size / 2**20:.1f} MiB) in "
          f"{time.monotonic() - t0:.0f} s")
    return exes[0]


def korean_locale(folder: Path) -> Path:
    """ko_KR.UTF-8 compiled into folder (for LOCPATH): no change to the machine's locales."""
    require(bool(shutil.which("localedef")), "localedef not installed (apt-get install locales)")
    target = folder / "ko_KR.UTF-8"
    # localedef exits 1 on harmless warnings; what counts is the compiled locale.
    proc = subprocess.run(["localedef", "-i", "ko_KR", "-f", "UTF-8", str(target)],
                          capture_output=True, text=True, timeout=120)
    require((target / "LC_CTYPE").is_file(), f"cannot compile ko_KR.UTF-8 (apt-get install locales): {proc.stderr}")
    return folder


class Wine:
    """A throwaway 64-bit wine prefix; `env` adds what makes its user and locale."""

    def __init__(self, prefix: Path, encoding: str = "utf-8", **env: str) -> None:
        self.prefix = prefix
        self.encoding = encoding  # the prefix's ANSI code page: how its programs print to pipes
        self.env = dict(os.environ, WINEPREFIX=str(prefix), WINEARCH="win64", WINEDEBUG="-all",
                        # no Mono/Gecko download prompts
                        WINEDLLOVERRIDES="mscoree,mshtml=")
        self.env.pop("DISPLAY", None)  # no display needed for silent installs unless given
        for name in [n for n in self.env if n.startswith("TRAYAGENT_")]:
            del self.env[name]  # the installed app must find its own folders, as on Windows
        # wine links the profile's Documents, Pictures, Desktop... to $HOME: keep them in the test's
        # folder, never the real home, and Start menu entries out of the real ~/.local too.
        home = prefix.parent / f"{prefix.name}-home"
        home.mkdir(parents=True, exist_ok=True)
        self.env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
                        XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
        self.env.update(env)
        self.c = prefix / "drive_c"

    def boot(self) -> None:
        subprocess.run(["wineboot", "-i"], env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=600)
        self.wait()
        self.run("reg", "add", r"HKCU\Software\Wine", "/v", "Version", "/t", "REG_SZ", "/d", "win10", "/f",
                 check=True)
        self.wait()

    def run(self, *args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess:
        # stdout/stderr must be pipes: CPython under wine cannot initialise stdio on a plain file.
        proc = subprocess.run(["wine", *args], env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
        proc.stdout = proc.stdout.decode(self.encoding, errors="replace")
        proc.stderr = proc.stderr.decode(self.encoding, errors="replace")
        if check:
            assert proc.returncode == 0, f"wine {args} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def app(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`trayagent ARGS` from the installed runtime."""
        return self.run(PYTHON_WIN, "-m", "trayagent", *args, timeout=timeout)

    def popen_app(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(["wine", PYTHON_WIN, "-m", "trayagent", *args], env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def wait(self) -> None:
        """Until the prefix's wineserver (and so every program in it) has ended."""
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300)

    def keep_server(self) -> None:
        """A wineserver and wine's services that stay up, started with no pipe of ours.

        Whichever `wine` starts the wineserver hands its stdout and stderr on to it and to wine's
        services; when that is one of our pipes, reading it never ends. After this, `wait` would
        wait for ever: use `kill`.
        """
        quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["wineserver", "-p"], env=self.env, timeout=60, **quiet)
        subprocess.run(["wine", "cmd", "/c", "exit"], env=self.env, timeout=300, **quiet)

    def kill(self) -> None:
        subprocess.run(["wineserver", "-k"], env=self.env, timeout=60)

    def reg_value(self, key: str, name: str) -> str | None:
        proc = self.run("reg", "query", key, "/v", name, "/reg:64", timeout=120)
        if proc.returncode != 0:
            return None
        m = re.search(rf"^\s*{re.escape(name)}\s+REG_\w+\s+(.*)$", proc.stdout, re.M)
        return m.group(1).strip() if m else None

    def user_dir(self) -> Path:
        users = [p for p in (self.c / "users").iterdir() if p.name.lower() != "public"]
        assert len(users) == 1, users
        return users[0]

    def setup_logs(self) -> list[Path]:
        """%TEMP%\\trayagent-setup.log, wherever this wine keeps the user's TEMP."""
        return list(self.user_dir().rglob("trayagent-setup.log"))

    def clear_setup_log(self) -> None:
        for log in self.setup_logs():
            log.unlink()

    def setup_log(self) -> str:
        """What setup wrote to its log: UTF-16LE with a byte-order mark, whatever the code page."""
        logs = self.setup_logs()
        assert len(logs) == 1, f"setup wrote no log, or several: {logs}"
        data = logs[0].read_bytes()
        assert data[:2] == b"\xff\xfe", f"the setup log has no UTF-16LE byte-order mark: {data[:40]!r}"
        return data.decode("utf-16")

    def install(self, setup: Path, *flags: str, wait: bool = True) -> subprocess.CompletedProcess:
        proc = self.run(str(setup), "/S", *flags)
        if wait:
            self.wait()
        return proc


def windows_path(p: Path) -> str:
    return "Z:" + str(p).replace("/", "\\")


class Desktop:
    """Xvfb with trayer as the tray host (XEmbed), where wine puts its tray icons."""

    SIZE = (1024, 768)

    def __init__(self) -> None:
        require(all(shutil.which(t) for t in ("Xvfb", "trayer", "xdotool", "import", "xwininfo")),
                "Xvfb, trayer, xdotool, imagemagick or x11-utils not installed")
        xvfb, number = start_xvfb(*self.SIZE)
        self.procs: list[subprocess.Popen] = [xvfb]
        self.display = ":" + number
        self.env = dict(os.environ, DISPLAY=self.display)
        self.procs.append(subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
             "--height", "32", "--transparent", "false", "--tint", "0xdddddd", "--SetDockType", "true"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        assert wait_for(lambda: '"panel": ("panel" "trayer")' in subprocess.run(
            ["xwininfo", "-root", "-tree"], env=self.env, capture_output=True, text=True).stdout,
            timeout=30, step=0.5), "trayer did not come up"

    def screenshot(self, path: Path) -> Path:
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True, timeout=60)
        return path

    def tray_icon(self, scratch: Path) -> tuple[int, int] | None:
        """Centre of what stands out from trayer's plain panel (top right), or None."""
        from PIL import Image

        x0 = self.SIZE[0] - 200
        panel = Image.open(self.screenshot(scratch)).convert("RGB").crop((x0, 0, self.SIZE[0], 32))
        background = max(panel.getcolors(200 * 32), key=lambda c: c[0])[1]
        hits = [(x0 + x, y) for x in range(panel.width) for y in range(panel.height)
                if max(abs(a - b) for a, b in zip(panel.getpixel((x, y)), background)) > 40]
        if len(hits) < 20:
            return None
        return (sum(x for x, _ in hits) // len(hits), sum(y for _, y in hits) // len(hits))

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=30)

    def close(self) -> None:
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
