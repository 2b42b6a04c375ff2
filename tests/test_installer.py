"""The Windows installer (installer/): build it with makensis, then install, upgrade and uninstall it
silently under 64-bit wine in a throwaway prefix, as IT would on an agent PC.

Tools: makensis (Debian nsis) and 64-bit wine (Debian wine, wine64); helpers in tests/wine.py. Without them the end-to-end
tests skip, except under CI=true where a missing tool is a failure. TRAYAGENT_INSTALLER=path uses an
already built setup .exe instead of building one (the build takes a few minutes).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.wine import INSTDIR_WIN, PYTHON_WIN, Wine, require, windows_path, wine64_available
from tests.wine import setup_exe as built_setup_exe

REPO = Path(__file__).resolve().parent.parent

# installer/ is a folder of scripts (a package called `installer` would hide pypa's installer).
sys.path.insert(0, str(REPO / "installer"))
import common  # noqa: E402
import lock  # noqa: E402
import nsis  # noqa: E402
import runtime  # noqa: E402
import stage  # noqa: E402


def _load_build_module():
    # Not as `build`: that name belongs to pypa's build.
    spec = importlib.util.spec_from_file_location("installer_build", REPO / "installer" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


# ---------------------------------------------------------------------------------------------
# Fast checks of the build scripts and their pins (no tools needed)


def test_runtime_pins_are_complete():
    pins = common.load_pins()
    files = pins["runtime"]["files"]
    for name in ("python.exe", "pythonw.exe", "python311.dll", "python311.zip", "python311._pth",
                 "vcruntime140.dll", "vcruntime140_1.dll", "_ctypes.pyd", "_socket.pyd", "select.pyd"):
        assert name in files, f"{name} missing from installer/pins.toml"
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in files.values())
    assert re.fullmatch(r"[0-9a-f]{64}", pins["runtime"]["archive_sha256"])


def test_windows_lock_covers_pyproject_dependencies():
    """Adding a dependency to pyproject.toml without re-pinning the Windows wheels fails here."""
    pinned = lock.parse_lock()
    lock.check_lock_covers(lock.project_dependencies(), pinned)
    assert "colorama" in pinned  # tqdm's Windows-only dependency: markers were evaluated for Windows
    assert "python-xlib" not in pinned  # pystray's Linux-only one is not bundled
    assert all(len(hashes) == 1 for _version, hashes in pinned.values()), "one wheel a pin"


def test_lock_keeps_constraints_with_their_reasons():
    """The bundle CI tests under wine is the one IT installs: numpy held at 2.2.1, and the lock says why."""
    pinned = lock.parse_lock()
    notes = lock.constraint_notes()
    assert "numpy" in notes
    for line in common.CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            req = lock.Requirement(line)
            version = pinned[lock.canonicalize_name(req.name)][0]
            assert req.specifier.contains(version), f"requirements-win.txt: {req.name}=={version} breaks {line}"
    assert pinned["numpy"][0] == "2.2.1"
    text = common.LOCK.read_text(encoding="utf-8")
    assert notes["numpy"] + "\nnumpy==2.2.1 " in text
    assert "ucrtbase.crealf" in notes["numpy"]


def test_lock_check_reports_missing_and_outdated_pins():
    pinned = {"numpy": ("1.25.0", {"0" * 64})}
    with pytest.raises(common.BuildError, match="--lock"):
        lock.check_lock_covers(["numpy>=1.26"], pinned)
    with pytest.raises(common.BuildError, match="newdep"):
        lock.check_lock_covers(["newdep>=1"], pinned)
    lock.check_lock_covers(["pyobjc; sys_platform == 'darwin'"], pinned)  # not for Windows


def test_parse_lock_refuses_unpinned_and_unhashed_lines(tmp_path):
    req = tmp_path / "req.txt"
    req.write_text("numpy>=2 --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(common.BuildError, match="not a pinned requirement"):
        lock.parse_lock(req)
    req.write_text("numpy==2.2.1\n")
    with pytest.raises(common.BuildError, match="no --hash"):
        lock.parse_lock(req)


def test_runtime_verification_rejects_tampered_missing_and_extra_files(tmp_path):
    content = {"python.exe": b"MZ real", "python311.zip": b"PK stdlib"}
    pins = {"runtime": {"files": {n: hashlib.sha256(b).hexdigest() for n, b in content.items()}}}
    for n, b in content.items():
        (tmp_path / n).write_bytes(b)
    runtime.verify_runtime_files(pins, tmp_path)
    (tmp_path / "python.exe").write_bytes(b"MZ evil")
    (tmp_path / "extra.dll").write_bytes(b"MZ")
    (tmp_path / "python311.zip").unlink()
    with pytest.raises(common.BuildError) as e:
        runtime.verify_runtime_files(pins, tmp_path)
    assert "python.exe: sha256" in str(e.value)
    assert "extra.dll" in str(e.value) and "python311.zip" in str(e.value)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(path: Path, files: dict[str, bytes], tamper: str | None = None) -> Path:
    """A wheel as a build backend writes it (WHEEL, METADATA, RECORD with every file's hash)."""
    name, version = path.name.split("-")[:2]
    dist_info = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [_record_line(n, b) for n, b in files.items()] + [f"{dist_info}/RECORD,,"]
    with zipfile.ZipFile(path, "w") as z:
        for n, b in files.items():
            z.writestr(n, b"tampered" if n == tamper else b)
        z.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return path


def test_install_wheel_maps_wheel_layout(tmp_path):
    whl = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", {
        "demo/__init__.py": b"X = 1\n",
        "demo-1.0.data/purelib/demo_extra.py": b"",
        "demo-1.0.data/scripts/demo-tool": b"#!/bin/sh\n",
        "demo-1.0.data/headers/demo.h": b"",
        "demo-1.0.dist-info/entry_points.txt": b"[console_scripts]\ndemo = demo:main\n",
    })
    prefix = tmp_path / "runtime"
    site = prefix / "Lib" / "site-packages"
    stage.install_wheel(whl, site, prefix)
    assert (site / "demo" / "__init__.py").read_text() == "X = 1\n"
    assert (site / "demo_extra.py").exists()
    assert (prefix / "Scripts" / "demo-tool").exists()
    assert not list(prefix.rglob("demo.h"))  # no headers: nothing is compiled on the target PC
    assert not list(prefix.rglob("demo.exe"))  # no launchers: the app runs as pythonw -m trayagent
    assert (site / "demo-1.0.dist-info" / "INSTALLER").read_text() == "trayagent-installer\n"
    record = (site / "demo-1.0.dist-info" / "RECORD").read_text()
    assert "demo/__init__.py,sha256=" in record and "demo.exe" not in record and "not installed" not in record


def test_wheels_with_unsafe_paths_or_wrong_hashes_are_refused(tmp_path):
    evil = make_wheel(tmp_path / "evil-1.0-py3-none-any.whl", {"../../outside.py": b""})
    with pytest.raises(common.BuildError, match="evil-1.0-py3-none-any.whl: cannot be installed"):
        stage.install_wheel(evil, tmp_path / "site", tmp_path)
    assert not (tmp_path.parent / "outside.py").exists()
    tampered = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b"X = 1\n"},
                          tamper="demo/__init__.py")
    with pytest.raises(common.BuildError, match="cannot be installed"):
        stage.install_wheel(tampered, tmp_path / "site2", tmp_path)
    assert not (tmp_path / "site2" / "demo").exists()


def test_missing_model_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "MODEL", tmp_path / "models" / "emotion.onnx")
    monkeypatch.setattr(stage, "REPO", tmp_path)
    with pytest.raises(common.BuildError, match=r"models/emotion\.onnx is missing"):
        stage.build_app_wheel(tmp_path / "out")


def test_numeric_version():
    assert common.numeric_version("0.1.0") == "0.1.0.0"
    assert common.numeric_version("1.2.3rc1") == "1.2.3.0"
    assert common.numeric_version("2.0") == "2.0.0.0"


def test_readme_documents_every_policy_key():
    config = pytest.importorskip("trayagent.config")
    readme = (REPO / "installer" / "README.md").read_text(encoding="utf-8")
    missing = [f"{s}.{k}" for s, keys in config.SETTINGS.items() for k in keys
               if f"`{s}.{k}`" not in readme]
    assert not missing, f"installer/README.md does not document policy keys {missing}"


@pytest.mark.slow
def test_nsis_script_compiles(tmp_path):
    """The NSIS script compiles against a dummy staging folder (seconds, no download)."""
    require(bool(shutil.which("makensis")), "makensis not installed (apt-get install nsis)")
    stage_dir = tmp_path / "stage"
    rt = stage_dir / "runtime"
    for rel in ["python.exe", "pythonw.exe", "python311.dll", "python311.zip", "python311._pth",
                "vcruntime140.dll", "vcruntime140_1.dll", "_ctypes.pyd", "libffi-8.dll", "unicodedata.pyd",
                "Lib/site-packages/trayagent/__init__.py",
                "Lib/site-packages/trayagent/model/emotion.onnx",
                "Lib/site-packages/platformdirs/__init__.py"]:
        (rt / rel).parent.mkdir(parents=True, exist_ok=True)
        (rt / rel).write_bytes(b"x")
    (stage_dir / "PYTHON-LICENSE.txt").write_text("license")
    (stage_dir / "policy.example.toml").write_text("# template")
    out = tmp_path / "trayagent-test-win64-setup.exe"
    nsis.run_makensis(stage_dir, out, "0.1.0", "zlib", 1)
    assert out.stat().st_size > 30_000
    exe = out.read_bytes()
    assert exe[:2] == b"MZ"
    # The file's properties carry a Korean block for Korean Windows (issue 20), beside the English one.
    assert "trayagent 0.1.0 설치 프로그램".encode("utf-16-le") in exe
    assert "trayagent 0.1.0 setup".encode("utf-16-le") in exe


# ---------------------------------------------------------------------------------------------
# End to end under wine


@pytest.fixture(scope="module")
def wine(tmp_path_factory) -> Wine:
    built_setup_exe()  # built before the prefix boots
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    w = Wine(tmp_path_factory.mktemp("wineprefix"))
    w.boot()
    yield w
    w.kill()


RUN_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run"
UNINSTALL_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\trayagent"


def _uninstall(wine: Wine, *flags: str) -> None:
    instdir = wine.c / "Program Files" / "trayagent"
    proc = wine.run(INSTDIR_WIN + r"\uninstall.exe", "/S", *flags)
    assert proc.returncode == 0, proc.stderr
    # NSIS uninstallers re-launch themselves from %TEMP%: wait for the copy to finish.
    wait_for(lambda: not instdir.exists(), timeout=300, step=1)
    wine.wait()


@pytest.mark.slow
def test_silent_install_upgrade_uninstall(wine: Wine, tmp_path):
    setup_exe = built_setup_exe()
    version = common.read_version()
    instdir = wine.c / "Program Files" / "trayagent"
    datadir = wine.c / "ProgramData" / "trayagent"
    policy = tmp_path / "IT policy.toml"  # a space in the path, as on real file shares
    policy.write_text('[privacy]\nretention_days = 30\n\n[calls]\nhotkey = ""\n', encoding="utf-8")

    # A policy the app would refuse fails the deployment before anything changes.
    bad = tmp_path / "bad.toml"
    bad.write_text("[privacy]\nretention_days = -5\n", encoding="utf-8")
    wine.clear_setup_log()
    proc = wine.run(str(setup_exe), "/S", f"/POLICY={windows_path(bad)}")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    # The log names the file and the value at fault in the app's own words, not a traceback.
    log = wine.setup_log()
    assert "The policy file is not valid:" in log and "privacy.retention_days = -5" in log, log
    assert "Traceback" not in log and "\r\n\r\n" not in log, log
    wine.clear_setup_log()
    proc = wine.run(str(setup_exe), "/S", "/POLICY=nowhere.toml")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    assert "Policy file not found: nowhere.toml" in wine.setup_log()
    assert not instdir.exists()
    assert wine.reg_value(RUN_KEY, "trayagent") is None

    # 1. Fresh silent install with a policy.
    t0 = time.monotonic()
    proc = wine.run(str(setup_exe), "/S", f"/POLICY={windows_path(policy)}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wine.wait()
    print(f"\ninstall: {time.monotonic() - t0:.0f} s")
    runtime = instdir / "runtime"
    for rel in ["python.exe", "pythonw.exe", "python311.dll", "python311._pth",
                "Lib/site-packages/trayagent/__init__.py",
                "Lib/site-packages/trayagent/model/emotion.onnx",
                "Lib/site-packages/numpy/__init__.py", "Lib/site-packages/cv2/__init__.py",
                "Lib/site-packages/onnxruntime/__init__.py", "Lib/site-packages/pystray/__init__.py"]:
        assert (runtime / rel).is_file(), f"not installed: runtime/{rel}"
    assert (instdir / "uninstall.exe").is_file()
    assert "import site" in (runtime / "python311._pth").read_text()
    assert (datadir / "policy.toml").read_text(encoding="utf-8") == policy.read_text(encoding="utf-8")
    template = (datadir / "policy.example.toml").read_text(encoding="utf-8")
    assert "# retention_days = 90" in template
    tomllib.loads(template)  # all keys commented out: valid, empty TOML
    run_value = wine.reg_value(RUN_KEY, "trayagent")
    assert run_value == rf'"{INSTDIR_WIN}\runtime\pythonw.exe" -m trayagent run'
    assert wine.reg_value(UNINSTALL_KEY, "DisplayVersion") == version
    assert wine.reg_value(UNINSTALL_KEY, "QuietUninstallString") == rf'"{INSTDIR_WIN}\uninstall.exe" /S'
    shortcut = wine.c / "ProgramData" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "trayagent.lnk"
    assert shortcut.is_file()

    # 2. The installed runtime runs the app (console python.exe; the Run entry uses pythonw.exe).
    proc = wine.run(INSTDIR_WIN + r"\runtime\python.exe", "-m", "trayagent", "--version", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.strip() == f"trayagent {version}"
    # Every bundled library imports from the bundled site-packages (numpy held at the last release
    # wine can import: installer/constraints-win.txt).
    proc = wine.run(INSTDIR_WIN + r"\runtime\python.exe", "-c",
                    "import sys, numpy, cv2, onnxruntime, pandas, matplotlib, PIL.Image, pystray, psutil, "
                    "platformdirs, filelock, tomllib; "
                    "from trayagent import config; print(sys.prefix)", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.strip().lower() == (INSTDIR_WIN + r"\runtime").lower()

    # Users' data, as the app creates it at first run (%LOCALAPPDATA%\trayagent).
    userdata = wine.user_dir() / "AppData" / "Local" / "trayagent"
    (userdata / "logs").mkdir(parents=True)
    (userdata / "calls.csv").write_text("call_id,start\n")

    # 3. Upgrade in place: old files go, the policy setup wrote stays when no /POLICY is given
    # (one it did not write is set aside: test_only_a_policy_setup_wrote_counts).
    (runtime / "Lib" / "site-packages" / "left_from_old_version.py").write_text("")
    deployed = (datadir / "policy.toml").read_text(encoding="utf-8")
    # A stand-in for a daemon in another session: it quits when the installer posts
    # %ProgramData%\trayagent\quit.request, as the real daemon does, but takes its time (closing a
    # call on a busy PC): longer than `trayagent stop` waits. Setup must wait for it, with nothing
    # but NSIS (no PowerShell under wine), before it replaces a single file.
    marker = wine.c / "users" / "Public" / "saw-quit-request.txt"
    watching = wine.c / "users" / "Public" / "watching-for-quit.txt"
    watcher = subprocess.Popen(
        ["wine", INSTDIR_WIN + r"\runtime\python.exe", "-c",
         "import os, time\n"
         r"open(r'C:\users\Public\watching-for-quit.txt', 'w').close()" "\n"
         "for _ in range(1200):\n"
         r"    if os.path.exists(r'C:\ProgramData\trayagent\quit.request'):" "\n"
         r"        open(r'C:\users\Public\saw-quit-request.txt', 'w').close(); time.sleep(30); break" "\n"
         "    time.sleep(0.1)\n"],
        env=wine.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for(watching.exists, timeout=120, step=1), "the stand-in did not start"
    t0 = time.monotonic()
    proc = wine.run(str(setup_exe), "/S")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert watcher.poll() is not None, "setup finished while the instance was still running"
    wine.wait()
    print(f"upgrade: {time.monotonic() - t0:.0f} s")
    watcher.communicate(timeout=120)
    assert marker.exists(), "the running instance was not asked to quit"
    assert not (datadir / "quit.request").exists()
    assert not (runtime / "Lib" / "site-packages" / "left_from_old_version.py").exists()
    assert (runtime / "python.exe").is_file()
    assert (datadir / "policy.toml").read_text(encoding="utf-8") == deployed
    assert wine.reg_value(RUN_KEY, "trayagent") == run_value

    # 4. Silent uninstall: program files, auto-start, Start menu, policy and registry go; users' data stays.
    t0 = time.monotonic()
    _uninstall(wine)
    print(f"uninstall: {time.monotonic() - t0:.0f} s")
    assert not instdir.exists()
    assert not datadir.exists()
    assert not shortcut.exists()
    assert wine.reg_value(RUN_KEY, "trayagent") is None
    assert wine.reg_value(UNINSTALL_KEY, "DisplayName") is None
    assert (userdata / "calls.csv").is_file()

    # 5. Reinstall, then uninstall with /PURGE: users' data goes too.
    proc = wine.run(str(setup_exe), "/S")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wine.wait()
    assert (runtime / "python.exe").is_file()
    # none given, none left from before: the commented template, which enforces nothing
    assert (datadir / "policy.toml").read_text(encoding="utf-8") == (datadir / "policy.example.toml").read_text(
        encoding="utf-8")
    _uninstall(wine, "/PURGE")
    assert not instdir.exists()
    assert not userdata.exists()


def _nsi_define(name: str) -> int:
    m = re.search(rf"^!define {name} (\d+)", (REPO / "installer" / "trayagent.nsi").read_text(encoding="utf-8"), re.M)
    assert m, f"{name} not defined in trayagent.nsi"
    return int(m.group(1))


def _installed(wine: Wine) -> Path:
    """The runtime folder, installed first if it is not there."""
    runtime = wine.c / "Program Files" / "trayagent" / "runtime"
    if not (runtime / "python.exe").is_file():
        proc = wine.run(str(built_setup_exe()), "/S")
        assert proc.returncode == 0, proc.stderr[-2000:]
        wine.wait()
    return runtime


def _sleeper(wine: Wine, python: str, **env: str) -> subprocess.Popen:
    """A Python that ignores every request to quit, once it has started."""
    started = wine.c / "users" / "Public" / "sleeper-started.txt"
    started.unlink(missing_ok=True)
    proc = subprocess.Popen(
        ["wine", python, "-c",
         r"import time; open(r'C:\users\Public\sleeper-started.txt', 'w').close(); time.sleep(900)"],
        env=dict(wine.env, **env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(started.exists, timeout=120, step=1), "the sleeper did not start"
    return proc


def _timed_upgrade(wine: Wine, what: str) -> tuple[subprocess.CompletedProcess, float]:
    """Setup run silently over the installed version, and the seconds it took (printed as `what`)."""
    t0 = time.monotonic()
    proc = wine.run(str(built_setup_exe()), "/S", timeout=600)
    waited = time.monotonic() - t0
    print(f"\n{what}: {waited:.0f} s")
    return proc, waited


@pytest.mark.slow
def test_upgrade_over_an_instance_that_will_not_quit_ends_it(wine: Wine):
    """An instance that ignores every request to quit: setup waits QUIT_WAIT_S for it, then ends it
    (by its program's path: NSIS alone, as under wine there is no PowerShell) and upgrades."""
    runtime = _installed(wine)
    kept = runtime / "Lib" / "site-packages" / "left_from_old_version.py"
    kept.write_text("")
    sleeper = _sleeper(wine, PYTHON_WIN)
    try:
        proc, waited = _timed_upgrade(wine, "upgrade over an instance that would not quit")
        assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
        assert sleeper.poll() is not None, "the instance was not ended"
        assert waited >= _nsi_define("QUIT_WAIT_S")
    finally:
        sleeper.kill()
        sleeper.wait(60)
    wine.wait()
    assert not kept.exists() and (runtime / "python.exe").is_file()
    assert not runtime.with_name("runtime.old").exists()


@pytest.mark.slow
def test_upgrade_over_a_program_that_cannot_be_ended_changes_nothing(wine: Wine):
    """A program that uses the runtime's python311.dll but is not in the runtime folder (as, on
    Windows, an instance setup may not end): setup waits, then stops with exit code 2 and says why,
    and the installed version is left as it was, not half replaced."""
    runtime = _installed(wine)
    kept = runtime / "Lib" / "site-packages" / "kept_from_installed_version.py"
    kept.write_text("")
    wine.clear_setup_log()
    other = wine.c / "users" / "Public" / "other"
    other.mkdir(exist_ok=True)
    shutil.copyfile(runtime / "python.exe", other / "python.exe")  # finds python311.dll on WINEPATH
    sleeper = _sleeper(wine, r"C:\users\Public\other\python.exe", WINEPATH=INSTDIR_WIN + r"\runtime")
    try:
        proc, waited = _timed_upgrade(wine, "upgrade refused after")
        assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
        assert waited >= _nsi_define("QUIT_WAIT_S") + _nsi_define("KILL_WAIT_S")
        assert sleeper.poll() is None
        message = wine.setup_log()
        assert "trayagent is still running" in message and "Nothing was changed" in message, message
        assert kept.is_file()  # the old runtime was neither replaced nor moved aside
        assert not runtime.with_name("runtime.old").exists()
        assert not (wine.c / "ProgramData" / "trayagent" / "quit.request").exists()
    finally:
        sleeper.kill()
        sleeper.wait(60)
        wine.wait()
    proc = wine.run(PYTHON_WIN, "-m", "trayagent", "--version", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    # Once it is gone, the same upgrade goes through.
    proc = wine.run(str(built_setup_exe()), "/S")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wine.wait()
    assert not kept.exists() and (runtime / "python.exe").is_file()
    assert not runtime.with_name("runtime.old").exists()


def _failing_program(folder: Path, exit_code: int) -> Path:
    """A Windows program that does nothing but exit with exit_code (built with makensis)."""
    script = folder / "fail.nsi"
    script.write_text(f'Unicode true\nTarget amd64-unicode\nRequestExecutionLevel user\nSilentInstall silent\n'
                      f'OutFile "{folder / "fail.exe"}"\nSection\n  SetErrorLevel {exit_code}\nSectionEnd\n')
    subprocess.run([nsis.find_makensis(), "-V1", str(script)], check=True, capture_output=True, timeout=300)
    return folder / "fail.exe"


@pytest.mark.slow
def test_an_upgrade_that_fails_halfway_puts_the_installed_version_back(wine: Wine, tmp_path):
    """icacls failing after the new runtime was written (the last steps of an upgrade): setup stops
    with exit code 4 and the version installed before is back in place, whole, and runs."""
    setup_exe = built_setup_exe()
    runtime = _installed(wine)
    kept = runtime / "Lib" / "site-packages" / "kept_from_installed_version.py"
    kept.write_text("")
    wine.clear_setup_log()
    icacls = wine.c / "windows" / "system32" / "icacls.exe"
    builtin = icacls.read_bytes()
    shutil.copyfile(_failing_program(tmp_path, 5), icacls)
    overrides = wine.env["WINEDLLOVERRIDES"]
    wine.env["WINEDLLOVERRIDES"] = overrides + ";icacls.exe=n"  # wine prefers its own icacls otherwise
    try:
        proc = wine.run(str(setup_exe), "/S")
        wine.wait()
    finally:
        wine.env["WINEDLLOVERRIDES"] = overrides
        icacls.write_bytes(builtin)
    assert proc.returncode == 4, (proc.returncode, proc.stderr[-2000:])
    message = wine.setup_log()
    assert "(icacls: 5)" in message and "the previous version was restored" in message, message
    assert kept.is_file()
    assert not runtime.with_name("runtime.old").exists()
    proc = wine.run(PYTHON_WIN, "-m", "trayagent", "--version", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
