"""Start at login for this user: HKCU Run (Windows), XDG autostart (Linux), a LaunchAgent (macOS).

Idempotent, and never a second entry beside the one IT's installer made for all users (HKLM Run,
/etc/xdg/autostart): then the state is "managed" and the user's switch is greyed out.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from pathlib import Path
from typing import Protocol

from trayagent.platform.launch import login_command

NAME = "trayagent"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class Autostart(Protocol):
    def state(self) -> str: ...  # "on", "off" or "managed"

    def enable(self) -> None: ...

    def disable(self) -> None: ...


class XdgAutostart:
    def __init__(self, config_home: Path | None = None, system_dirs: list[Path] | None = None) -> None:
        home = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = home / "autostart" / f"{NAME}.desktop"
        dirs = system_dirs if system_dirs is not None else [
            Path(d) for d in (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if d]
        self.system = [d / "autostart" / f"{NAME}.desktop" for d in dirs]

    def state(self) -> str:
        if any(p.exists() for p in self.system):
            return "managed"
        return "on" if self.path.exists() else "off"

    def enable(self) -> None:
        if self.state() != "off":
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join([
            "[Desktop Entry]", "Type=Application", "Name=trayagent",
            "Comment=Per-call stress at a glance", f"Exec={shlex.join(login_command())}",
            "X-GNOME-Autostart-enabled=true", "NoDisplay=false", ""]))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class Registry(Protocol):
    """The two Run keys, as the winreg module or a test's dict sees them."""

    def get(self, hive: str, name: str) -> str | None: ...

    def set(self, hive: str, name: str, value: str) -> None: ...

    def delete(self, hive: str, name: str) -> None: ...


class WinReg:
    def __init__(self) -> None:
        import winreg

        self._w = winreg
        self._hives = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}

    def get(self, hive: str, name: str) -> str | None:
        try:
            with self._w.OpenKey(self._hives[hive], RUN_KEY) as key:
                return self._w.QueryValueEx(key, name)[0]
        except OSError:
            return None

    def set(self, hive: str, name: str, value: str) -> None:
        with self._w.CreateKey(self._hives[hive], RUN_KEY) as key:
            self._w.SetValueEx(key, name, 0, self._w.REG_SZ, value)

    def delete(self, hive: str, name: str) -> None:
        try:
            with self._w.OpenKey(self._hives[hive], RUN_KEY, 0, self._w.KEY_SET_VALUE) as key:
                self._w.DeleteValue(key, name)
        except OSError:
            pass


class WindowsAutostart:
    def __init__(self, registry: Registry | None = None) -> None:
        self.reg = registry or WinReg()

    def state(self) -> str:
        if self.reg.get("HKLM", NAME):
            return "managed"
        return "on" if self.reg.get("HKCU", NAME) else "off"

    def enable(self) -> None:
        if self.state() == "off":
            self.reg.set("HKCU", NAME, " ".join(f'"{a}"' if " " in a else a for a in login_command()))

    def disable(self) -> None:
        self.reg.delete("HKCU", NAME)


class LaunchAgent:
    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / "org.trayagent.plist"

    def state(self) -> str:
        if Path("/Library/LaunchAgents/org.trayagent.plist").exists():
            return "managed"
        return "on" if self.path.exists() else "off"

    def enable(self) -> None:
        if self.state() == "off":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(plistlib.dumps({"Label": "org.trayagent", "ProgramArguments": login_command(),
                                                  "RunAtLoad": True}))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def for_platform() -> Autostart:
    if sys.platform == "win32":
        return WindowsAutostart()
    if sys.platform == "darwin":
        return LaunchAgent()
    return XdgAutostart()
