"""The Windows registry: one adapter over winreg, and the reading interface tests fake."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Protocol

# winreg's value type numbers, so the fake and the real reader speak the same language off Windows too.
REG_SZ, REG_BINARY, REG_DWORD, REG_QWORD = 1, 3, 4, 11
TYPE_NAMES = {"REG_SZ": REG_SZ, "REG_BINARY": REG_BINARY, "REG_DWORD": REG_DWORD, "REG_QWORD": REG_QWORD}

RegValue = tuple[int, Any]  # (type, data): data is int for DWORD/QWORD, bytes for BINARY, str for SZ


class RegistryReader(Protocol):
    def subkeys(self, hive: str, path: str) -> list[str] | None:
        """Names of the key's subkeys; None when the key does not exist."""
        ...

    def values(self, hive: str, path: str) -> dict[str, RegValue]:
        """The key's values by name; empty when the key does not exist."""
        ...


class WinRegistry:
    """The real registry, for every Windows feature (autostart, the microphone signal). winreg is
    imported here only, so the module imports anywhere."""

    # winreg, typed as a plain module: its names exist only in Windows' stubs, and mypy checks on Linux too
    _w: ModuleType

    def __init__(self) -> None:
        import winreg  # Windows only

        self._w = winreg
        self._hives: dict[str, Any] = {"HKCU": self._w.HKEY_CURRENT_USER, "HKLM": self._w.HKEY_LOCAL_MACHINE}

    def _open(self, hive: str, path: str) -> Any:
        w = self._w
        try:
            return w.OpenKey(self._hives[hive], path, 0, w.KEY_READ | w.KEY_WOW64_64KEY)
        except OSError:  # FileNotFoundError, PermissionError
            return None

    def subkeys(self, hive: str, path: str) -> list[str] | None:
        key = self._open(hive, path)
        if key is None:
            return None
        with key:
            count = self._w.QueryInfoKey(key)[0]
            return [self._w.EnumKey(key, i) for i in range(count)]

    def values(self, hive: str, path: str) -> dict[str, RegValue]:
        key = self._open(hive, path)
        if key is None:
            return {}
        with key:
            count = self._w.QueryInfoKey(key)[1]
            out = {}
            for i in range(count):
                name, data, typ = self._w.EnumValue(key, i)
                out[name] = (typ, data)
            return out

    def get(self, hive: str, path: str, name: str) -> Any:
        """One value's data; None when the key or the value does not exist."""
        value = self.values(hive, path).get(name)
        return None if value is None else value[1]

    def set_string(self, hive: str, path: str, name: str, value: str) -> None:
        with self._w.CreateKey(self._hives[hive], path) as key:
            self._w.SetValueEx(key, name, 0, self._w.REG_SZ, value)

    def delete(self, hive: str, path: str, name: str) -> None:
        try:
            with self._w.OpenKey(self._hives[hive], path, 0, self._w.KEY_SET_VALUE | self._w.KEY_WOW64_64KEY) as key:
                self._w.DeleteValue(key, name)
        except OSError:
            pass
