"""Only IT's policy counts (issue 21): setup sets aside a policy.toml it did not write, and the
installed app refuses one an ordinary user owns or may change. Under 64-bit wine in its own prefix
(its own file, so CI can run it beside test_installer.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.helpers import wait_for
from tests.wine import Wine, require, setup_exe, windows_path, wine64_available


def _status_of_daemon(wine: Wine) -> dict:
    """`trayagent status --json` of a daemon started from the installed runtime (no tray)."""
    daemon = wine.popen_app("run", "--no-tray")
    try:
        def up() -> dict | None:
            try:  # while the daemon starts, a status call can wait on its pipe: ask again
                s = wine.app("status", "--json", timeout=60)
            except subprocess.TimeoutExpired:
                return None
            return json.loads(s.stdout) if s.returncode == 0 else None

        status = wait_for(up, timeout=180, step=2)
        assert status, "the daemon did not come up"
        return status
    finally:
        wine.app("stop", timeout=60)
        daemon.wait(60)


@pytest.mark.slow
def test_only_a_policy_setup_wrote_counts(tmp_path_factory, tmp_path):
    """A policy.toml setup did not write (put there by a user before IT's first install, or changed
    since) is never used: setup moves it aside where IT sees it, says so in its log, and writes the
    /POLICY file or the commented template; an upgrade keeps the one setup wrote. The installed app
    refuses a policy an ordinary user owns or may change (wine derives owner and ACL from the Unix
    file: another Unix account's file belongs to ANONYMOUS LOGON, a world-writable one to Everyone)."""
    built = setup_exe()
    require(wine64_available(), "64-bit wine not installed (apt-get install wine wine64)")
    wine = Wine(tmp_path_factory.mktemp("wine-policy"))
    wine.boot()
    datadir = wine.c / "ProgramData" / "trayagent"
    policy = datadir / "policy.toml"
    planted = '[privacy]\nretention_days = 3650\n'
    it_policy = tmp_path / "policy.toml"
    it_policy.write_text('[privacy]\nretention_days = 30\n', encoding="utf-8")

    def found() -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8") for p in datadir.glob("policy.toml.found-*")}

    try:
        # 1. A user's policy.toml in ProgramData before the first install: set aside, the template written.
        datadir.mkdir(parents=True)
        policy.write_text(planted, encoding="utf-8")
        wine.clear_setup_log()
        assert wine.install(built).returncode == 0
        template = (datadir / "policy.example.toml").read_text(encoding="utf-8")
        assert policy.read_text(encoding="utf-8") == template
        [(aside, text)] = found().items()
        assert text == planted and re.fullmatch(r"policy\.toml\.found-\d{8}-\d{6}", aside), aside
        log = wine.setup_log()
        assert "is not the policy setup wrote" in log and aside in log, log

        # 2. An upgrade with /POLICY replaces setup's own template (nothing set aside); 3. one without
        # /POLICY keeps what setup wrote.
        assert wine.install(built, f"/POLICY={windows_path(it_policy)}").returncode == 0
        assert policy.read_text(encoding="utf-8") == it_policy.read_text(encoding="utf-8")
        assert wine.install(built).returncode == 0
        assert policy.read_text(encoding="utf-8") == it_policy.read_text(encoding="utf-8")
        assert len(found()) == 1
        settings = {c["name"]: c for c in json.loads(wine.app("doctor", "--no-camera", "--json").stdout)}["settings"]
        assert settings["ok"] and "1 key set by policy" in settings["detail"], settings

        # 4. Changed after setup wrote it: set aside at the next upgrade too.
        policy.write_text(planted, encoding="utf-8")
        assert wine.install(built).returncode == 0
        assert policy.read_text(encoding="utf-8") == template
        assert sorted(found().values()) == [planted, planted]

        # 5. At run time: a policy file an ordinary user owns, or everyone may change, is refused whole.
        policy.write_text(planted, encoding="utf-8")
        for make_it, said in ((lambda: os.chown(policy, 65534, -1), "ANONYMOUS LOGON"),
                              (lambda: (os.chown(policy, os.getuid(), -1), policy.chmod(0o666)), "Everyone may change it")):
            if said == "ANONYMOUS LOGON" and os.getuid() != 0:
                continue  # only root can give a file to another account
            make_it()
            settings = {c["name"]: c for c in json.loads(wine.app("doctor", "--no-camera", "--json").stdout)}[
                "settings"]
            assert not settings["ok"] and r"C:\ProgramData\trayagent\policy.toml: not used as the policy" in \
                settings["detail"] and said in settings["detail"], settings
            assert "installer again" in settings["fix"], settings
        status = _status_of_daemon(wine)
        assert status["look"] == "problem" and "not used as the policy" in status["status"], status
    finally:
        wine.kill()
