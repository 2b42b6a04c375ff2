"""Only IT's policy counts: a machine policy file that an ordinary user owns or may change is refused
whole (the daemon runs on the defaults, never the user's own file) and `doctor` and the tray say so.

On Linux IT's policy is /etc/xdg/trayagent/policy.toml, owned by root and writable by root alone.
`TRAYAGENT_POLICY` is the user's own stand-in where IT set no policy (tests, staging): whoever sets
the variable controls that process anyway, so the owner rule is not applied to it. The Windows rule
(owner and ACL) is judged here from SIDs; tests/test_installer.py shows it on real files under wine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import running_daemon, status_json
from tests.wine import require
from trayagent import config, paths
from trayagent.platform import policy_owner
from trayagent.platform.policy_owner import ADMINISTRATORS, SYSTEM, trusted_sids, windows_refusal

NOBODY = 65534
AS_ROOT = os.geteuid() == 0
POLICY = "[privacy]\nretention_days = 30\n"


def _policy(folder: Path, owner: int | None = None, mode: int = 0o644) -> Path:
    """folder/trayagent/policy.toml (as under /etc/xdg), with this owner (root only) and mode."""
    path = folder / "trayagent" / "policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POLICY, encoding="utf-8")
    if owner is not None:
        os.chown(path, owner, -1)
    path.chmod(mode)
    return path


@pytest.fixture
def etc_xdg(tmp_path, monkeypatch, home) -> Path:
    """A stand-in for /etc/xdg, and a user file that sets the same key as the policy."""
    folder = tmp_path / "etc-xdg"
    monkeypatch.setattr(paths, "machine_policy_file", lambda: folder / "trayagent" / "policy.toml")
    (home / "config.toml").write_text("[privacy]\nretention_days = 7\n", encoding="utf-8")
    return folder


def test_a_policy_an_ordinary_user_owns_is_refused_whole(etc_xdg):
    # As root the file is given to nobody; as anyone else it is already an ordinary user's own.
    policy = _policy(etc_xdg, owner=NOBODY if AS_ROOT else None)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 90  # neither what it says nor the user's file
    assert cfg.problem and str(policy) in cfg.problem and "not used as the policy" in cfg.problem
    assert "not to root" in cfg.problem and "\n" not in cfg.problem


@pytest.mark.skipif(not AS_ROOT, reason="only root can make a file root's")
@pytest.mark.parametrize(("mode", "said"), [(0o664, "group root may change it"), (0o646, "every user may change it")])
def test_a_root_policy_that_others_may_change_is_refused(etc_xdg, mode, said):
    _policy(etc_xdg, owner=0, mode=mode)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 90
    assert cfg.problem and said in cfg.problem and "not to root" not in cfg.problem


@pytest.mark.skipif(not AS_ROOT, reason="only root can make a file root's")
def test_a_policy_root_owns_and_alone_may_change_holds(etc_xdg):
    _policy(etc_xdg, owner=0, mode=0o644)
    cfg = config.load_or_defaults()
    assert cfg.problem is None and cfg["privacy.retention_days"] == 30
    assert ("privacy", "retention_days") in cfg.locked


def test_trayagent_policy_is_the_users_own_stand_in_and_needs_no_owner(tmp_path, monkeypatch, home):
    monkeypatch.setattr(paths, "machine_policy_file", lambda: tmp_path / "no-machine-policy.toml")
    mine = _policy(tmp_path / "mine", owner=NOBODY if AS_ROOT else None)
    monkeypatch.setenv("TRAYAGENT_POLICY", str(mine))
    cfg = config.load_or_defaults()
    assert cfg.problem is None and cfg["privacy.retention_days"] == 30


def test_who_may_change_a_policy_that_cannot_be_read_is_a_refusal_too(etc_xdg, monkeypatch):
    _policy(etc_xdg)

    def unreadable(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(policy_owner, "refusal", unreadable)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 90 and "who may change it cannot be read" in cfg.problem


# Windows: the owner and every account an ACL entry lets write, as SIDs.
AGENT = "S-1-5-21-1111-2222-3333-1001"
EVERYONE = "S-1-1-0"


def test_windows_policy_of_administrators_that_only_they_may_change_holds():
    trusted = trusted_sids(AGENT, ["S-1-5-32-545"])
    assert windows_refusal(ADMINISTRATORS, [SYSTEM, ADMINISTRATORS], trusted) is None


def test_windows_policy_an_agent_owns_or_may_change_is_refused():
    trusted = trusted_sids(AGENT, ["S-1-5-32-545"])  # an ordinary user: in Users, not Administrators
    names = {AGENT: r"PC\agent", EVERYONE: "Everyone"}.get
    assert windows_refusal(AGENT, [AGENT], trusted, names) == (
        r"it belongs to PC\agent, not to Administrators; PC\agent may change it")
    assert windows_refusal(ADMINISTRATORS, [ADMINISTRATORS, EVERYONE, EVERYONE], trusted, names) == (
        "Everyone may change it")


def test_windows_an_administrator_may_own_the_policy():
    """An administrator could change the policy anyway (and under wine owns every file): not refused."""
    trusted = trusted_sids(AGENT, ["S-1-5-32-545", ADMINISTRATORS])
    assert windows_refusal(AGENT, [SYSTEM, AGENT], trusted) is None
    assert windows_refusal(AGENT, [AGENT, EVERYONE], trusted) == "S-1-1-0 may change it"


# End to end on Linux: the real /etc/xdg path, with a folder of the test's bound over it in a mount
# namespace of the commands' own (root only; CI runs as root).


def _at_etc_xdg(folder: Path) -> list[str]:
    """What runs a command with `folder` at /etc/xdg."""
    require(AS_ROOT and bool(shutil.which("unshare")), "needs root and unshare to put a folder at /etc/xdg")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/xdg && exec "$@"',
            str(folder)]


def _in_etc_xdg(folder: Path, *args: str) -> list[str]:
    return [*_at_etc_xdg(folder), sys.executable, "-m", "trayagent", *args]


@pytest.mark.slow
def test_doctor_and_the_tray_say_a_planted_policy_is_refused(tmp_path, home):
    etc = tmp_path / "etc-xdg"
    policy = _policy(etc, owner=NOBODY if AS_ROOT else None)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}

    doctor = subprocess.run(_in_etc_xdg(etc, "doctor", "--no-camera", "--json"), capture_output=True, text=True,
                            env=env, timeout=120)
    settings = {c["name"]: c for c in json.loads(doctor.stdout)}["settings"]
    assert doctor.returncode == 1 and not settings["ok"], settings
    assert "/etc/xdg/trayagent/policy.toml: not used as the policy, because it belongs to nobody" in settings["detail"]
    assert "root" in settings["fix"] and "UTF-8" not in settings["fix"]

    with running_daemon(env=env, wrap=_at_etc_xdg(etc)):
        status = status_json()
        assert status["look"] == "problem" and "not used as the policy" in status["status"], status

    # Given to root, and writable by root alone, the same file is IT's policy.
    os.chown(policy, 0, 0)
    doctor = subprocess.run(_in_etc_xdg(etc, "doctor", "--no-camera", "--json"), capture_output=True, text=True,
                            env=env, timeout=120)
    settings = {c["name"]: c for c in json.loads(doctor.stdout)}["settings"]
    assert settings["ok"] and "1 key set by policy" in settings["detail"], settings
