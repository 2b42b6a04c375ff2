"""Windows: RegisterHotKey through ctypes on a thread of its own with its own message loop (no
keyboard hook, no dependency)."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

from trayagent.platform.hotkey.spec import KEYS, Hotkey, HotkeyUnavailable, guarded

WM_HOTKEY = 0x0312
WM_QUIT = 0x0012
WM_USER = 0x0400
PM_NOREMOVE = 0
MOD_BITS = {"alt": 0x1, "ctrl": 0x2, "shift": 0x4, "win": 0x8}
MOD_NOREPEAT = 0x4000  # holding the keys down fires once, not at the keyboard's repeat rate
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
HOTKEY_ID = 0x7A11  # any id in 0x0000-0xBFFF, unique within this thread


class POINT(ctypes.Structure):
    # LONG is 32 bits on Windows; ctypes.c_long is 64 on Linux, where the tests exercise the loop
    _fields_ = [("x", ctypes.c_int32), ("y", ctypes.c_int32)]


class MSG(ctypes.Structure):
    # Declared here rather than from ctypes.wintypes so the loop can be exercised off Windows.
    _fields_ = [("hwnd", ctypes.c_void_p), ("message", ctypes.c_uint), ("wParam", ctypes.c_size_t),
                ("lParam", ctypes.c_ssize_t), ("time", ctypes.c_uint32), ("pt", POINT),
                ("lPrivate", ctypes.c_uint32)]


def _win32() -> tuple[Any, Any, Callable[[], int]]:
    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    pmsg = ctypes.POINTER(MSG)
    user32.RegisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
    user32.UnregisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int]
    user32.GetMessageW.argtypes = [pmsg, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    user32.PeekMessageW.argtypes = [pmsg, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
    user32.PostThreadMessageW.argtypes = [ctypes.c_uint32, ctypes.c_uint, ctypes.c_size_t, ctypes.c_ssize_t]
    for f in ("RegisterHotKey", "UnregisterHotKey", "GetMessageW", "PeekMessageW", "PostThreadMessageW"):
        getattr(user32, f).restype = ctypes.c_int
    kernel32.GetCurrentThreadId.restype = ctypes.c_uint32
    return user32, kernel32, ctypes.get_last_error  # type: ignore[attr-defined]


class WindowsHotkey:
    """RegisterHotKey with no window: WM_HOTKEY then arrives in the registering thread's queue, so
    registration, the message loop and unregistration all happen on one dedicated thread."""

    def __init__(self, hotkey: Hotkey, callback: Callable[[], None],
                 win32: tuple[Any, Any, Callable[[], int]] | None = None) -> None:
        self.hotkey = hotkey
        self._fire = guarded(hotkey, callback)
        self._user32, self._kernel32, self._last_error = win32 or _win32()
        self._ready = threading.Event()
        self._error = ""
        self._tid = 0
        self._thread = threading.Thread(target=self._run, name="hotkey", daemon=True)

    def start(self) -> WindowsHotkey:
        self._thread.start()
        if not self._ready.wait(5):
            raise HotkeyUnavailable("the hotkey thread did not start")
        if self._error:
            self._thread.join(2)
            raise HotkeyUnavailable(self._error)
        return self

    def _run(self) -> None:
        u = self._user32
        msg = MSG()
        try:
            self._tid = self._kernel32.GetCurrentThreadId()
            # Create this thread's message queue now, so stop()'s WM_QUIT can never arrive too early.
            u.PeekMessageW(ctypes.byref(msg), None, WM_USER, WM_USER, PM_NOREMOVE)
            mods = sum(MOD_BITS[m] for m in self.hotkey.modifiers) | MOD_NOREPEAT
            if not u.RegisterHotKey(None, HOTKEY_ID, mods, KEYS[self.hotkey.key][0]):
                err = self._last_error()
                self._error = (f"{self.hotkey} is already taken by another program; choose another calls.hotkey"
                               if err == ERROR_HOTKEY_ALREADY_REGISTERED else
                               f"RegisterHotKey({self.hotkey}) failed with Windows error {err}")
        except Exception as e:  # reported to start(), which says the hotkey is unavailable
            self._error = f"cannot register {self.hotkey}: {type(e).__name__}: {e}"
        finally:
            self._ready.set()
        if self._error:
            return
        try:
            while True:
                got = u.GetMessageW(ctypes.byref(msg), None, 0, 0)
                if got == 0 or got == -1:  # WM_QUIT, or an invalid argument (nothing to recover)
                    break
                if msg.message == WM_HOTKEY and msg.wParam == HOTKEY_ID:
                    self._fire()
        finally:
            u.UnregisterHotKey(None, HOTKEY_ID)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._user32.PostThreadMessageW(self._tid, WM_QUIT, 0, 0)
            self._thread.join(2)

    def describe(self) -> str:
        state = "active" if self._thread.is_alive() else "stopped"
        return f"hotkey {self.hotkey} via RegisterHotKey (Windows), {state}"


