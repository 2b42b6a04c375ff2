"""`trayagent doctor` names what is wrong and how to fix it."""

import json
import os
import subprocess
import sys

import pytest


def doctor(*args):
    r = subprocess.run([sys.executable, "-m", "trayagent", "doctor", "--no-camera", "--json", *args],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, {c["name"]: c for c in json.loads(r.stdout)}


@pytest.mark.slow
def test_a_healthy_install_passes(home):
    if not os.environ.get("DISPLAY"):  # no desktop here: a global hotkey cannot work, which doctor says
        from trayagent import paths

        paths.config_file().write_text('[calls]\nhotkey = ""\n', encoding="utf-8")
    rc, checks = doctor()
    assert rc == 0, checks
    assert checks["model"]["ok"] and "7 classes" in checks["model"]["detail"]
    assert checks["data folder"]["ok"] and checks["settings"]["ok"]


@pytest.mark.slow
def test_broken_settings_and_missing_model_are_named_with_a_fix(home):
    (home / "config.toml").write_text("[model]\npath = 'nowhere.onnx'\n[camera]\nfps = 0\n")
    rc, checks = doctor()
    assert rc == 1
    assert "camera.fps = 0 is not allowed" in checks["settings"]["detail"] and checks["settings"]["fix"]
    (home / "config.toml").write_text("[model]\npath = 'nowhere.onnx'\n")
    rc, checks = doctor()
    assert rc == 1 and not checks["model"]["ok"] and "nowhere.onnx: model file not found" in checks["model"]["detail"]


def test_a_failing_call_signal_is_something_to_fix(monkeypatch, capsys):
    """Under wine (and on some locked-down Windows) psutil's process list fails with WinError 87: the
    signal then reads "no call" all day, which doctor must not pass as ok."""
    import argparse

    import psutil

    from trayagent.commands import doctor as doctor_mod

    def broken(*_a, **_kw):
        raise OSError(22, "The parameter is incorrect")  # what NtQuerySystemInformation gives under wine

    monkeypatch.setattr(psutil, "process_iter", broken)
    checks = {c.name: c for c in doctor_mod.run_checks(camera=False)}
    signal = checks["call signals"]
    assert not signal.ok and "OSError" in signal.detail and "parameter is incorrect" in signal.detail
    assert "trayagent call start|end" in signal.fix
    assert doctor_mod.command(argparse.Namespace(no_camera=True, json=False)) == 1
    assert "[FIX] call signals:" in capsys.readouterr().out


def test_a_working_call_signal_or_none_passes(home, monkeypatch):
    import psutil

    from trayagent.commands import doctor as doctor_mod

    monkeypatch.setattr(psutil, "process_iter", lambda *_a, **_kw: iter(()))
    signal = {c.name: c for c in doctor_mod.run_checks(camera=False)}["call signals"]
    assert signal.ok and "none of" in signal.detail and "softphone names is running" in signal.detail
    (home / "config.toml").write_text("[calls]\nauto_detect = false\n")
    signal = {c.name: c for c in doctor_mod.run_checks(camera=False)}["call signals"]
    assert signal.ok and "automatic detection off" in signal.detail


def test_a_call_signal_without_the_microphone_passes_and_says_what_to_install(home, monkeypatch, capsys):
    """Without pactl the softphone's UDP sockets stand in for the microphone: calls still start, but
    short ones go unseen, which doctor says beside its ok, with the package to install."""
    import argparse

    from tests.fakes import FakeProcessTable
    from tests.test_signals import FakeMic
    from trayagent import signals
    from trayagent.commands import doctor as doctor_mod
    from trayagent.signals.mic import MicReading

    table = FakeProcessTable()
    table.start(4242, "baresip", udp=2)
    missing = MicReading.unavailable("pactl not found (Debian/Ubuntu: apt install pulseaudio-utils)")
    real = signals.automatic_signal
    monkeypatch.setattr(signals, "automatic_signal", lambda cfg: real(cfg, table, FakeMic(missing)))
    (home / "config.toml").write_text('[calls]\nhotkey = ""\n', encoding="utf-8")
    check = {c.name: c for c in doctor_mod.run_checks(camera=False)}["call signals"]
    assert check.ok and "via udp" in check.detail
    assert "calls shorter than 30 s go unrecorded" in check.fix and "apt install pulseaudio-utils" in check.fix
    doctor_mod.command(argparse.Namespace(no_camera=True, json=False))
    out = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(out) if "call signals:" in line)
    assert out[at].startswith("[ok ]") and "apt install pulseaudio-utils" in out[at + 1], out
    monkeypatch.setattr(signals, "automatic_signal", lambda cfg: real(cfg, table, FakeMic(MicReading(True, ()))))
    check = {c.name: c for c in doctor_mod.run_checks(camera=False)}["call signals"]
    assert check.ok and "via microphone (fake)" in check.detail and not check.fix


def test_a_face_detector_that_cannot_be_found_is_named_with_the_right_fix(tmp_path, monkeypatch):
    """Issue 11, 2: a runtime under a Hangul profile path finds its detector; one without it is told why."""
    import shutil

    from trayagent import paths
    from trayagent.commands import doctor as doctor_mod

    data = tmp_path / "김민수" / "site-packages" / "trayagent" / "data"
    shutil.copytree(paths.package_data(), data)
    monkeypatch.setattr(paths, "package_data", lambda: data)
    check = doctor_mod._cascade()
    assert check.ok and str(data) in check.detail and "found the test face" in check.detail
    (data / paths.cascade_file().name).unlink()
    check = doctor_mod._cascade()
    assert not check.ok and "haarcascade_frontalface_default.xml: cannot read the face-detection cascade" in check.detail
    assert "reinstall trayagent" in check.fix and str(data) in check.fix


def test_no_daemon_on_windows_is_not_something_to_fix(home, monkeypatch):
    """On Windows only a running daemon writes its pipe's name: none there means not running, which is
    fine, not a command channel that cannot be made."""
    from trayagent.commands import doctor as doctor_mod
    from trayagent.daemon import ipc_address
    from trayagent.platform.system import windows as windows_system

    monkeypatch.setattr(ipc_address, "system", windows_system)  # the chooser's Windows side
    check = doctor_mod._daemon()
    assert check.ok and check.detail.startswith("not running") and not check.fix, check


def test_a_hotkey_that_cannot_work_is_something_to_fix_never_ok(home, monkeypatch):
    """Issue 20: doctor showed "[정상] 단축키: 전역 단축키를 쓸 수 없음" (OK while saying it cannot be used)."""
    from trayagent.commands import doctor as doctor_mod
    from trayagent.platform import hotkey as hk

    monkeypatch.setattr(hk.sys, "platform", "linux")
    monkeypatch.setattr(hk, "x11_problem", lambda env: "no X display (DISPLAY is not set)")
    check = {c.name: c for c in doctor_mod.run_checks(camera=False)}["hotkey"]
    assert not check.ok and "no X display" in check.detail and "calls.hotkey" in check.fix
