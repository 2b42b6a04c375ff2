"""The Windows installer (installer/): build it with makensis, then install, upgrade and uninstall it
silently under 64-bit wine in a throwaway prefix, as IT would on an agent PC.

Tools: makensis (Debian nsis) and 64-bit wine (Debian wine, wine64). Without them the end-to-end
tests skip, except under CI=true where a missing tool is a failure. TRAYAGENT_INSTALLER=path uses an
already built setup .exe instead of building one (the build takes a few minutes).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def _load_build_module():
    spec = importlib.util.spec_from_file_location("installer_build", REPO / "installer" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


def require(ok: bool, reason: str) -> None:
    """Skip when a tool is missing, except in CI, where the tool must be there."""
    if not ok:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the CI script must install it)")
        pytest.skip(reason)


def wine64_available() -> bool:
    return bool(shutil.which("wine")) and (
        bool(shutil.which("wine64")) or Path("/usr/lib/wine/wine64").exists())


# ---------------------------------------------------------------------------------------------
# Fast checks of build.py and its pins (no tools needed)


def test_runtime_pins_are_complete():
    pins = build.load_pins()
    files = pins["runtime"]["files"]
    for name in ("python.exe", "pythonw.exe", "python311.dll", "python311.zip", "python311._pth",
                 "vcruntime140.dll", "vcruntime140_1.dll", "_ctypes.pyd", "_socket.pyd", "select.pyd"):
        assert name in files, f"{name} missing from installer/pins.toml"
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in files.values())
    assert re.fullmatch(r"[0-9a-f]{64}", pins["runtime"]["archive_sha256"])


def test_windows_lock_covers_pyproject_dependencies():
    """Adding a dependency to pyproject.toml without re-pinning the Windows wheels fails here."""
    lock = build.parse_lock()
    build.check_lock_covers(build.project_dependencies(), lock)
    assert "colorama" in lock  # tqdm's Windows-only dependency: markers were evaluated for Windows
    assert "python-xlib" not in lock  # pystray's Linux-only one is not bundled


def test_lock_check_reports_missing_and_outdated_pins():
    lock = {"numpy": ("1.25.0", {"0" * 64})}
    with pytest.raises(build.BuildError, match="--lock"):
        build.check_lock_covers(["numpy>=1.26"], lock)
    with pytest.raises(build.BuildError, match="newdep"):
        build.check_lock_covers(["newdep>=1"], lock)
    build.check_lock_covers(["pyobjc; sys_platform == 'darwin'"], lock)  # not for Windows


def test_runtime_verification_rejects_tampered_missing_and_extra_files(tmp_path):
    content = {"python.exe": b"MZ real", "python311.zip": b"PK stdlib"}
    pins = {"runtime": {"files": {n: hashlib.sha256(b).hexdigest() for n, b in content.items()}}}
    for n, b in content.items():
        (tmp_path / n).write_bytes(b)
    build.verify_runtime_files(pins, tmp_path)
    (tmp_path / "python.exe").write_bytes(b"MZ evil")
    (tmp_path / "extra.dll").write_bytes(b"MZ")
    (tmp_path / "python311.zip").unlink()
    with pytest.raises(build.BuildError) as e:
        build.verify_runtime_files(pins, tmp_path)
    assert "python.exe: sha256" in str(e.value)
    assert "extra.dll" in str(e.value) and "python311.zip" in str(e.value)


def test_install_wheel_maps_wheel_layout(tmp_path):
    whl = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("demo/__init__.py", "X = 1\n")
        z.writestr("demo-1.0.data/purelib/demo_extra.py", "")
        z.writestr("demo-1.0.data/scripts/demo-tool", "#!python\n")
        z.writestr("demo-1.0.data/headers/demo.h", "")
        z.writestr("demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n")
    prefix = tmp_path / "runtime"
    site = prefix / "Lib" / "site-packages"
    build.install_wheel(whl, site, prefix)
    assert (site / "demo" / "__init__.py").read_text() == "X = 1\n"
    assert (site / "demo_extra.py").exists()
    assert (prefix / "Scripts" / "demo-tool").exists()
    assert not list(prefix.rglob("demo.h"))
    assert (site / "demo-1.0.dist-info" / "INSTALLER").exists()


def test_unsafe_wheel_paths_are_refused(tmp_path):
    whl = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("../../outside.py", "")
        z.writestr("evil-1.0.dist-info/METADATA", "")
    with pytest.raises(build.BuildError, match="unsafe"):
        build.install_wheel(whl, tmp_path / "site", tmp_path)


def test_missing_model_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "MODEL", tmp_path / "models" / "emotion.onnx")
    monkeypatch.setattr(build, "REPO", tmp_path)
    with pytest.raises(build.BuildError, match=r"models/emotion\.onnx is missing"):
        build.build_app_wheel(tmp_path / "out")


def test_numeric_version():
    assert build.numeric_version("0.1.0") == "0.1.0.0"
    assert build.numeric_version("1.2.3rc1") == "1.2.3.0"
    assert build.numeric_version("2.0") == "2.0.0.0"


def test_readme_documents_every_policy_key():
    config = pytest.importorskip("trayagent.config")
    readme = (REPO / "installer" / "README.md").read_text(encoding="utf-8")
    missing = [f"{s}.{k}" for s, keys in config.SETTINGS.items() for k in keys
               if f"`{s}.{k}`" not in readme]
    assert not missing, f"installer/README.md does not document policy keys {missing}"


def test_nsis_script_compiles(tmp_path):
    """The NSIS script compiles against a dummy staging folder (seconds, no download)."""
    require(bool(shutil.which("makensis")), "makensis not installed (apt-get install nsis)")
    stage = tmp_path / "stage"
    runtime = stage / "runtime"
    for rel in ["python.exe", "pythonw.exe", "python311.dll", "python311.zip", "python311._pth",
                "vcruntime140.dll", "vcruntime140_1.dll", "Lib/site-packages/trayagent/__init__.py",
                "Lib/site-packages/trayagent/model/emotion.onnx",
                "Lib/site-packages/platformdirs/__init__.py"]:
        (runtime / rel).parent.mkdir(parents=True, exist_ok=True)
        (runtime / rel).write_bytes(b"x")
    (stage / "PYTHON-LICENSE.txt").write_text("license")
    (stage / "policy.example.toml").write_text("# template")
    out = tmp_path / "trayagent-test-win64-setup.exe"
    build.run_makensis(stage, out, "0.1.0", "zlib", 1)
    assert out.stat().st_size > 30_000
    assert out.read_bytes()[:2] == b"MZ"


# ---------------------------------------------------------------------------------------------
# End to end under wine


@pytest.fixture(scope="module")
def setup_exe(tmp_path_factory) -> Path:
    given = os.environ.get("TRAYAGENT_INSTALLER")
    if given:
        path = Path(given)
        assert path.is_file(), f"TRAYAGENT_INSTALLER={given} does not exist"
        return path
    require(bool(shutil.which("makensis")), "makensis not installed (apt-get install nsis)")
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    require(build.MODEL.is_file(), "models/emotion.onnx is missing: the installer cannot be built")
    out = tmp_path_factory.mktemp("dist")
    # zlib: about 4x faster to build than the release's lzma; what gets installed is the same.
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(REPO / "installer" / "build.py"), "--compressor", "zlib",
         "--out-dir", str(out), "--work-dir", str(REPO / "build" / "installer-test")],
        capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, f"build.py failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    exes = list(out.glob("trayagent-*-win64-setup.exe"))
    assert len(exes) == 1, exes
    print(f"\nbuilt {exes[0].name} ({exes[0].stat().st_size / 2**20:.1f} MiB) in "
          f"{time.monotonic() - t0:.0f} s")
    return exes[0]


class Wine:
    """A throwaway 64-bit wine prefix."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.env = dict(os.environ, WINEPREFIX=str(prefix), WINEARCH="win64", WINEDEBUG="-all",
                        # no Mono/Gecko download prompts; no display needed for silent installs
                        WINEDLLOVERRIDES="mscoree,mshtml=")
        self.env.pop("DISPLAY", None)
        self.c = prefix / "drive_c"

    def run(self, *args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess:
        # stdout/stderr must be pipes: CPython under wine cannot initialise stdio on a plain file.
        proc = subprocess.run(["wine", *args], env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=timeout)
        if check:
            assert proc.returncode == 0, f"wine {args} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def wait(self) -> None:
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300)

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


@pytest.fixture(scope="module")
def wine(tmp_path_factory, setup_exe) -> Wine:
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    w = Wine(tmp_path_factory.mktemp("wineprefix"))
    subprocess.run(["wineboot", "-i"], env=w.env, stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=600)
    w.wait()
    w.run("reg", "add", r"HKCU\Software\Wine", "/v", "Version", "/t", "REG_SZ", "/d", "win10", "/f",
          check=True)
    w.wait()
    yield w
    subprocess.run(["wineserver", "-k"], env=w.env, timeout=60)


RUN_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run"
UNINSTALL_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\trayagent"
INSTDIR_WIN = r"C:\Program Files\trayagent"


def _windows_path(p: Path) -> str:
    return "Z:" + str(p).replace("/", "\\")


def _uninstall(wine: Wine, *flags: str) -> None:
    instdir = wine.c / "Program Files" / "trayagent"
    proc = wine.run(INSTDIR_WIN + r"\uninstall.exe", "/S", *flags)
    assert proc.returncode == 0, proc.stderr
    # NSIS uninstallers re-launch themselves from %TEMP%: wait for the copy to finish.
    deadline = time.monotonic() + 300
    while instdir.exists() and time.monotonic() < deadline:
        time.sleep(1)
    wine.wait()


@pytest.mark.slow
def test_silent_install_upgrade_uninstall(wine: Wine, setup_exe: Path, tmp_path):
    version = build.read_version()
    instdir = wine.c / "Program Files" / "trayagent"
    datadir = wine.c / "ProgramData" / "trayagent"
    policy = tmp_path / "IT policy.toml"  # a space in the path, as on real file shares
    policy.write_text('[privacy]\nretention_days = 30\n\n[calls]\nhotkey = ""\n', encoding="utf-8")

    # A policy the app would refuse fails the deployment before anything changes.
    bad = tmp_path / "bad.toml"
    bad.write_text("[privacy]\nretention_days = -5\n", encoding="utf-8")
    proc = wine.run(str(setup_exe), "/S", f"/POLICY={_windows_path(bad)}")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    assert not instdir.exists()
    assert wine.reg_value(RUN_KEY, "trayagent") is None

    # 1. Fresh silent install with a policy.
    t0 = time.monotonic()
    proc = wine.run(str(setup_exe), "/S", f"/POLICY={_windows_path(policy)}")
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
    # Pure-Python and light native dependencies import from the bundled site-packages. (numpy,
    # OpenCV and onnxruntime need ucrtbase functions wine 8 lacks: that takes a real Windows.)
    proc = wine.run(INSTDIR_WIN + r"\runtime\python.exe", "-c",
                    "import sys, PIL.Image, pystray, psutil, platformdirs, filelock, tomllib; "
                    "from trayagent import config; print(sys.prefix)", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.strip().lower() == (INSTDIR_WIN + r"\runtime").lower()

    # Users' data, as the app creates it at first run (%LOCALAPPDATA%\trayagent).
    userdata = wine.user_dir() / "AppData" / "Local" / "trayagent"
    (userdata / "logs").mkdir(parents=True)
    (userdata / "calls.csv").write_text("call_id,start\n")

    # 3. Upgrade in place: old files go, IT's edited policy stays when no /POLICY is given.
    (runtime / "Lib" / "site-packages" / "left_from_old_version.py").write_text("")
    with open(datadir / "policy.toml", "a", encoding="utf-8") as f:
        f.write("# edited by IT after deployment\n")
    edited = (datadir / "policy.toml").read_text(encoding="utf-8")
    # A stand-in for a daemon in another session: it quits when the installer posts
    # %ProgramData%\trayagent\quit.request, as the real daemon does.
    marker = wine.c / "users" / "Public" / "saw-quit-request.txt"
    watcher = subprocess.Popen(
        ["wine", INSTDIR_WIN + r"\runtime\python.exe", "-c",
         "import os, time\n"
         "for _ in range(1200):\n"
         r"    if os.path.exists(r'C:\ProgramData\trayagent\quit.request'):" "\n"
         r"        open(r'C:\users\Public\saw-quit-request.txt', 'w').close(); break" "\n"
         "    time.sleep(0.1)\n"],
        env=wine.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    t0 = time.monotonic()
    proc = wine.run(str(setup_exe), "/S")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wine.wait()
    print(f"upgrade: {time.monotonic() - t0:.0f} s")
    watcher.communicate(timeout=120)
    assert marker.exists(), "the running instance was not asked to quit"
    assert not (datadir / "quit.request").exists()
    assert not (runtime / "Lib" / "site-packages" / "left_from_old_version.py").exists()
    assert (runtime / "python.exe").is_file()
    assert (datadir / "policy.toml").read_text(encoding="utf-8") == edited
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
    assert not (datadir / "policy.toml").exists()  # none given, none left from before
    assert (datadir / "policy.example.toml").is_file()
    _uninstall(wine, "/PURGE")
    assert not instdir.exists()
    assert not userdata.exists()
