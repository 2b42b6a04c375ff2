"""Start at login: idempotent, and never a second entry beside the installer's."""

from __future__ import annotations

import shlex

from trayagent.platform.autostart import NAME, WindowsAutostart, XdgAutostart
from trayagent.platform.launch import login_command


def test_xdg_entry_is_written_once_and_runs_the_daemon(tmp_path):
    auto = XdgAutostart(tmp_path / "config", system_dirs=[tmp_path / "etc"])
    assert auto.state() == "off"
    auto.enable()
    auto.enable()
    assert auto.state() == "on"
    entries = list((tmp_path / "config" / "autostart").iterdir())
    assert [e.name for e in entries] == [f"{NAME}.desktop"]
    exec_line = next(line for line in entries[0].read_text().splitlines() if line.startswith("Exec="))
    assert shlex.split(exec_line[5:]) == login_command() and login_command()[-1] == "run"
    auto.disable()
    auto.disable()
    assert auto.state() == "off" and not entries[0].exists()


def test_xdg_system_entry_from_it_means_managed_and_no_user_entry(tmp_path):
    system = tmp_path / "etc" / "autostart"
    system.mkdir(parents=True)
    (system / f"{NAME}.desktop").write_text("[Desktop Entry]\n")
    auto = XdgAutostart(tmp_path / "config", system_dirs=[tmp_path / "etc"])
    assert auto.state() == "managed"
    auto.enable()
    assert not (tmp_path / "config" / "autostart").exists()


class FakeRunKeys:
    def __init__(self, **values: str) -> None:
        self.values = {tuple(k.split("_", 1)): v for k, v in values.items()}

    def get(self, hive, name):
        return self.values.get((hive, name))

    def set(self, hive, name, value):
        self.values[(hive, name)] = value

    def delete(self, hive, name):
        self.values.pop((hive, name), None)


def test_windows_hkcu_run_entry_is_idempotent():
    reg = FakeRunKeys()
    auto = WindowsAutostart(reg)
    auto.enable()
    first = dict(reg.values)
    auto.enable()
    assert reg.values == first and list(first) == [("HKCU", NAME)]
    assert "trayagent" in first[("HKCU", NAME)] and first[("HKCU", NAME)].endswith("run")
    auto.disable()
    assert auto.state() == "off" and reg.values == {}


def test_windows_installer_entry_wins():
    reg = FakeRunKeys(HKLM_trayagent=r'"C:\Program Files\trayagent\python\pythonw.exe" -m trayagent run')
    auto = WindowsAutostart(reg)
    assert auto.state() == "managed"
    auto.enable()
    assert ("HKCU", NAME) not in reg.values
