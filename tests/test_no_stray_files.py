"""Nothing outside its own folders (issue 21, item 4): `doctor` and the daemon create no file or
folder outside the data folder, the settings folder and the user's runtime folder, whatever the
environment. Traced with strace (every call that creates a name), in a bare environment: a fresh
home, no TRAYAGENT_HOME, no XDG_RUNTIME_DIR (an ssh or cron session, a container), a softphone
running so that the microphone is asked about (pactl), which is what used to leave
`~/.config/pulse/*-runtime` and `/tmp/pulse-*` behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import cli, running_daemon, wait_for

# serial: its `sleep` named baresip would be a softphone to the daemons of tests running beside it.
pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="strace and pactl: Linux"),
              pytest.mark.serial]

# Every system call that makes a name in the file system.
CREATING = "open,openat,openat2,creat,mkdir,mkdirat,mknod,mknodat,symlink,symlinkat,link,linkat,rename,renameat," \
           "renameat2,bind,execve"  # execve: to see that pactl ran


# Which quoted argument names what a call made: the first (opened with O_CREAT, a folder, a node, a
# socket file) or the last (a link's or a rename's new name).
FIRST, LAST = ("open", "openat", "openat2", "creat", "mkdir", "mkdirat", "mknod", "mknodat", "bind"), (
    "symlink", "symlinkat", "link", "linkat", "rename", "renameat", "renameat2")


def created(trace: str, cwd: Path) -> set[str]:
    """The names a traced process made (calls that succeeded): new files, folders, links, rename
    targets, Unix socket files; a relative name is taken from `cwd`."""
    out = set()
    for line in trace.splitlines():
        call = re.match(r"(?:\d+ +)?(\w+)\((.*)\) += (-?\d+)", line)
        if not call or int(call.group(3)) < 0:
            continue
        name, args = call.group(1), call.group(2)
        quoted = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if not quoted or name.startswith("open") and "O_CREAT" not in args or name == "bind" and "sun_path" not in args:
            continue
        if name in FIRST or name in LAST:
            made = quoted[0] if name in FIRST else quoted[-1]
            out.add(made if made.startswith("/") else str(cwd / made))
    return out


def outside(names: set[str], allowed: list[Path], home: Path) -> list[str]:
    """The names made outside `allowed` (and the folders in `home` that lead to them)."""
    kept = [str(p) for p in allowed]
    leading = {str(parent) for p in allowed for parent in p.parents if parent.is_relative_to(home) and parent != home}
    return sorted(n for n in names if not n.startswith(("/dev/null", "/proc/")) and n not in leading
                  and not any(n == k or n.startswith(k + "/") for k in kept))


@pytest.fixture(params=["no runtime folder", "a runtime folder"])
def bare(tmp_path, request):
    """A bare environment: fresh home, no TRAYAGENT_HOME, no XDG_* folders but (one of the two) the
    runtime folder, no display; a softphone (a `sleep` named baresip) running as this user.
    Yields (environment, home, the runtime folder or None, a scratch folder)."""
    if shutil.which("strace") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("strace is missing (see .ci/run)")
        pytest.skip("needs strace")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "TZ", "PYTHONPATH", "VIRTUAL_ENV")}
    env["LANG"] = "C.UTF-8"  # doctor's lines in English, as asserted
    # Bytecode caches are Python's own, written beside the code whichever program imports it.
    env.update(HOME=str(home), TRAYAGENT_POLICY=str(tmp_path / "no-policy.toml"), PYTHONDONTWRITEBYTECODE="1")
    runtime = None
    if request.param == "a runtime folder":
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    (tmp_path / "bin").mkdir()
    (tmp_path / "cwd").mkdir()
    phone = tmp_path / "bin" / "baresip"
    phone.symlink_to(shutil.which("sleep"))
    softphone = subprocess.Popen([str(phone), "600"])
    try:
        yield env, home, runtime, tmp_path
    finally:
        softphone.kill()
        softphone.wait()


def own_folders(home: Path, runtime: Path | None) -> list[Path]:
    """Where trayagent may create things here: its data folder, its settings folder, the runtime folder."""
    return [home / ".local" / "share" / "trayagent", home / ".config" / "trayagent", *([runtime] if runtime else [])]


def strace(trace: Path) -> list[str]:
    return ["strace", "-f", "-qq", "-s", "512", "-o", str(trace), "-e", f"trace={CREATING}"]


def traced(env: dict[str, str], trace: Path, *args: str) -> list[str]:
    return [*strace(trace), sys.executable, "-m", "trayagent", *args]


@pytest.mark.slow
def test_doctor_creates_nothing_outside_its_folders(bare):
    env, home, runtime, tmp = bare
    trace = tmp / "doctor.trace"
    done = subprocess.run(traced(env, trace, "doctor", "--no-camera"), env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp / "cwd")
    assert "Traceback" not in done.stderr, done.stderr
    assert "baresip" in done.stdout, done.stdout  # a softphone runs: the microphone is asked about
    if runtime is None:
        assert "microphone signal unavailable: no sound server" in done.stdout, done.stdout
    names = created(trace.read_text(), tmp / "cwd")
    assert any(n.startswith(str(own_folders(home, runtime)[0])) for n in names), "the trace saw nothing: it is blind"
    stray = outside(names, own_folders(home, runtime), home)
    assert stray == [], f"made outside its own folders: {stray}"
    assert {p.name for p in home.iterdir()} <= {".config", ".local"}


@pytest.mark.slow
def test_the_daemon_creates_nothing_outside_its_folders(bare):
    env, home, runtime, tmp = bare
    camera = videos.record(tmp / "cam.avi", [("face", videos.astronaut())], frames_each=10).path
    trace = tmp / "daemon.trace"
    with running_daemon("--camera", str(camera), env=env, wrap=strace(trace), cwd=tmp / "cwd", timeout=90):
        assert cli("call", "start", env=env).returncode == 0
        calls = home / ".local" / "share" / "trayagent" / "calls"
        assert wait_for(lambda: any(len(p.read_bytes().splitlines()) > 2 for p in calls.glob("*.csv")), 60)
        assert cli("call", "end", env=env).returncode == 0
        if runtime is not None:  # the call signal is polled each second: pactl has run, the test sees it
            assert wait_for(lambda: re.search(r'execve\("[^"]*/pactl"', trace.read_text()), 30)
        assert cli("stop", env=env).returncode == 0
    names = created(trace.read_text(), tmp / "cwd")
    assert any(n.endswith(".csv") for n in names), "the trace saw no recording: the test is blind"
    stray = outside(names, own_folders(home, runtime), home)
    assert stray == [], f"made outside its own folders: {stray}"
    assert {p.name for p in home.iterdir()} <= {".config", ".local"}


def test_pactl_is_pointed_at_the_server_a_session_has_or_not_run(tmp_path):
    from trayagent.signals.mic_linux import PactlFailed, pactl_env

    home = tmp_path / "home"
    named = pactl_env({"HOME": str(home), "XDG_RUNTIME_DIR": "/run/user/1234"})
    assert named["XDG_RUNTIME_DIR"] == "/run/user/1234" and named["LC_ALL"] == "C"
    if Path(f"/run/user/{os.getuid()}").is_dir():
        pytest.skip("this session has a runtime folder: the cases without one cannot be shown here")
    with pytest.raises(PactlFailed, match="no sound server"):
        pactl_env({"HOME": str(home)})
    assert not home.exists()
    server = tmp_path / "pulse-server"  # what a PulseAudio started without XDG_RUNTIME_DIR makes
    server.mkdir(mode=0o700)
    (home / ".config" / "pulse").mkdir(parents=True)
    (home / ".config" / "pulse" / "0123abcd-runtime").symlink_to(server)
    assert pactl_env({"HOME": str(home)})["PULSE_RUNTIME_PATH"] == str(server)
