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
from trayagent.platform.registry import WinRegistry

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


class RunKeys:
    """The Run keys through the registry adapter."""

    def __init__(self, registry: WinRegistry | None = None) -> None:
        self._reg = registry or WinRegistry()

    def get(self, hive: str, name: str) -> str | None:
        return self._reg.get(hive, RUN_KEY, name)

    def set(self, hive: str, name: str, value: str) -> None:
        self._reg.set_string(hive, RUN_KEY, name, value)

    def delete(self, hive: str, name: str) -> None:
        self._reg.delete(hive, RUN_KEY, name)


class WindowsAutostart:
    def __init__(self, registry: Registry | None = None) -> None:
        self.reg = registry or RunKeys()

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
