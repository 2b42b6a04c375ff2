"""The global hotkey that starts or ends a call (calls.hotkey, e.g. "ctrl+alt+shift+s").

Windows: RegisterHotKey through ctypes on a thread of its own with its own message loop (no keyboard
hook, no dependency). X11: pynput's GlobalHotKeys, when the optional `x11` extra is installed.
Wayland gives apps no global hotkeys: bind a desktop shortcut to `trayagent call toggle` instead.

The callback runs on the hotkey's thread: it must only enqueue work (a slow callback delays or, on
Windows, drops the next key press).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from trayagent.config import ConfigError

log = logging.getLogger(__name__)

MODIFIER_ALIASES = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift",
                    "win": "win", "super": "win", "cmd": "win", "meta": "win"}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "win")

# Virtual-key codes (Windows) and pynput names (X11) of the keys a hotkey may end in.
_NAMED_KEYS: dict[str, tuple[int, str | None]] = {
    "space": (0x20, "<space>"), "tab": (0x09, "<tab>"), "enter": (0x0D, "<enter>"),
    "insert": (0x2D, "<insert>"), "delete": (0x2E, "<delete>"), "home": (0x24, "<home>"), "end": (0x23, "<end>"),
    "pageup": (0x21, "<page_up>"), "pagedown": (0x22, "<page_down>"), "left": (0x25, "<left>"),
    "up": (0x26, "<up>"), "right": (0x27, "<right>"), "down": (0x28, "<down>"), "pause": (0x13, "<pause>"),
    "scrolllock": (0x91, "<scroll_lock>"),
}
KEYS: dict[str, tuple[int, str | None]] = {
    **{c: (ord(c.upper()), c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"},
    # pynput's Key enum stops at F20 on X11
    **{f"f{n}": (0x70 + n - 1, f"<f{n}>" if n <= 20 else None) for n in range(1, 25)},
    **_NAMED_KEYS,
}
# Keys rarely on a keyboard (macro pads) may stand alone; anything else alone would eat a normal key.
ALONE_OK = frozenset(f"f{n}" for n in range(13, 25))

EXAMPLES = 'e.g. "ctrl+alt+shift+s" or "ctrl+alt+f9"'


class HotkeyError(ConfigError):
    """calls.hotkey cannot be understood."""


@dataclass(frozen=True)
class Hotkey:
    modifiers: frozenset[str]  # of MODIFIER_ORDER
    key: str  # a name in KEYS

    def __str__(self) -> str:
        return "+".join([m for m in MODIFIER_ORDER if m in self.modifiers] + [self.key])


def parse_hotkey(spec: str) -> Hotkey:
    """"Ctrl + Alt + S" -> Hotkey({ctrl, alt}, "s"); any other shape is a HotkeyError that says what
    is wrong with the calls.hotkey setting."""

    def bad(problem: str) -> HotkeyError:
        return HotkeyError(f'calls.hotkey = "{spec}": {problem}; write modifiers ({", ".join(MODIFIER_ORDER)}) '
                           f'and one key joined by "+", {EXAMPLES}')

    parts = [p.strip().lower() for p in spec.split("+")]
    if not spec.strip():
        raise bad("no hotkey given (an empty calls.hotkey turns the hotkey off)")
    if any(not p for p in parts):
        raise bad("an empty part between '+' signs")
    mods: set[str] = set()
    keys: list[str] = []
    for p in parts:
        if p in MODIFIER_ALIASES:
            m = MODIFIER_ALIASES[p]
            if m in mods:
                raise bad(f'"{p}" appears twice')
            mods.add(m)
        elif p in KEYS:
            keys.append(p)
        else:
            raise bad(f'unknown key "{p}" (keys: a-z, 0-9, f1-f24, {", ".join(_NAMED_KEYS)})')
    if len(keys) != 1:
        raise bad("no key after the modifiers" if not keys else f"more than one key ({', '.join(keys)})")
    if not mods and keys[0] not in ALONE_OK:
        raise bad("a key without a modifier would be taken from every other program")
    return Hotkey(frozenset(mods), keys[0])


class HotkeyHandle(Protocol):
    def stop(self) -> None: ...

    def describe(self) -> str: ...


class HotkeyUnavailable(Exception):
    """No global hotkey here; the message says why and what to do instead."""


def _guarded(hotkey: Hotkey, callback: Callable[[], None]) -> Callable[[], None]:
    """What a key press runs: the callback, never letting it kill the hotkey thread, and a warning
    when it does more than enqueue."""

    def fire() -> None:
        t0 = time.perf_counter()
        try:
            callback()
        except Exception:  # noqa: BLE001 - a broken handler must not end the hotkey
            log.exception("hotkey %s: the callback failed", hotkey)
        spent = time.perf_counter() - t0
        if spent > 0.1:
            log.warning("hotkey %s: the callback took %.0f ms; it should only enqueue work", hotkey, spent * 1000)

    return fire


# --- Windows -------------------------------------------------------------------------------------

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
        self._fire = _guarded(hotkey, callback)
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
        except Exception as e:  # noqa: BLE001 - reported to start(), which says the hotkey is unavailable
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


# --- X11 -----------------------------------------------------------------------------------------

def pynput_combo(hotkey: Hotkey) -> str:
    names = {"ctrl": "<ctrl>", "alt": "<alt>", "shift": "<shift>", "win": "<cmd>"}
    key = KEYS[hotkey.key][1]
    if key is None:
        raise HotkeyUnavailable(f"{hotkey.key} cannot be used as a hotkey on X11; choose f1-f20 or another key")
    return "+".join([names[m] for m in MODIFIER_ORDER if m in hotkey.modifiers] + [key])


def x11_problem(env: Mapping[str, str]) -> str:
    """Why an X11 global hotkey cannot work in this session ("" when it can)."""
    if env.get("XDG_SESSION_TYPE") == "wayland" or (env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")):
        return ("Wayland does not let apps register global hotkeys; add a keyboard shortcut in your "
                "desktop settings that runs `trayagent call toggle`")
    if not env.get("DISPLAY"):
        return "no X display (DISPLAY is not set)"
    return ""


class X11Hotkey:
    """pynput's GlobalHotKeys (an XRecord listener on its own thread). It ignores synthetic key
    events, so tests drive the callback path rather than xdotool."""

    def __init__(self, hotkey: Hotkey, callback: Callable[[], None], keyboard: Any) -> None:
        self.hotkey = hotkey
        self._listener = keyboard.GlobalHotKeys({pynput_combo(hotkey): _guarded(hotkey, callback)})

    def start(self) -> X11Hotkey:
        self._listener.start()
        return self

    def stop(self) -> None:
        self._listener.stop()

    def describe(self) -> str:
        state = "active" if self._listener.is_alive() else "stopped"
        return f"hotkey {self.hotkey} via pynput (X11), {state}"


def _pynput_keyboard() -> Any:
    try:
        from pynput import keyboard  # noqa: PLC0415 - optional extra, and importing it needs a display
    except ImportError as e:
        if getattr(e, "name", None) == "pynput":
            raise HotkeyUnavailable("pynput is not installed (pip install 'trayagent[x11]')") from None
        raise HotkeyUnavailable(f"pynput cannot start: {e}") from None
    except Exception as e:  # noqa: BLE001 - pynput raises various errors when its backend fails
        raise HotkeyUnavailable(f"pynput cannot start: {e}") from None
    return keyboard


# --- choosing a backend --------------------------------------------------------------------------

def _start(hotkey: Hotkey, callback: Callable[[], None]) -> HotkeyHandle:
    if sys.platform == "win32":
        return WindowsHotkey(hotkey, callback).start()
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        problem = x11_problem(os.environ)
        if problem:
            raise HotkeyUnavailable(problem)
        return X11Hotkey(hotkey, callback, _pynput_keyboard()).start()
    raise HotkeyUnavailable(f"no global hotkey support on {sys.platform}; use the tray menu or `trayagent call toggle`")


def start_hotkey(spec: str, callback: Callable[[], None]) -> HotkeyHandle | None:
    """Listen for the hotkey in `spec` and run `callback` (which must only enqueue work) on each press.
    None when `spec` is empty (turned off) or this system offers no global hotkey (logged with the
    reason, see `probe`). Raises HotkeyError when `spec` is not a valid hotkey."""
    if not spec.strip():
        return None
    hotkey = parse_hotkey(spec)
    try:
        handle = _start(hotkey, callback)
    except HotkeyUnavailable as e:
        log.warning("no global hotkey %s: %s", hotkey, e)
        return None
    log.info("%s", handle.describe())
    return handle


def probe(spec: str) -> str:
    """One line for `trayagent doctor`: which backend the hotkey would use, or why there is none.
    Does not register anything (a registration would compete with the running daemon's)."""
    if not spec.strip():
        return "hotkey turned off (calls.hotkey is empty)"
    hotkey = parse_hotkey(spec)
    if sys.platform == "win32":
        return f"hotkey {hotkey} via RegisterHotKey (Windows)"
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        try:
            problem = x11_problem(os.environ)
            if problem:
                raise HotkeyUnavailable(problem)
            _pynput_keyboard()
            pynput_combo(hotkey)
        except HotkeyUnavailable as e:
            return f"no global hotkey: {e}"
        return f"hotkey {hotkey} via pynput (X11)"
    return f"no global hotkey on {sys.platform}; use the tray menu or `trayagent call toggle`"
