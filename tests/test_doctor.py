"""`trayagent doctor` names what is wrong and how to fix it."""

import json
import subprocess
import sys


def doctor(*args):
    r = subprocess.run([sys.executable, "-m", "trayagent", "doctor", "--no-camera", "--json", *args],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, {c["name"]: c for c in json.loads(r.stdout)}


def test_a_healthy_install_passes():
    rc, checks = doctor()
    assert rc == 0, checks
    assert checks["model"]["ok"] and "7 classes" in checks["model"]["detail"]
    assert checks["data folder"]["ok"] and checks["settings"]["ok"]


def test_broken_settings_and_missing_model_are_named_with_a_fix(home):
    (home / "config.toml").write_text("[model]\npath = 'nowhere.onnx'\n[camera]\nfps = 0\n")
    rc, checks = doctor()
    assert rc == 1
    assert "camera.fps = 0 is not allowed" in checks["settings"]["detail"] and checks["settings"]["fix"]
    (home / "config.toml").write_text("[model]\npath = 'nowhere.onnx'\n")
    rc, checks = doctor()
    assert rc == 1 and not checks["model"]["ok"] and "nowhere.onnx: model file not found" in checks["model"]["detail"]
