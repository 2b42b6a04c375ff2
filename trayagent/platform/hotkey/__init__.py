"""The global hotkey that starts or ends a call (calls.hotkey, e.g. "ctrl+alt+shift+s").

Windows: RegisterHotKey through ctypes on a thread of its own with its own message loop (no keyboard
hook, no dependency). X11: pynput's GlobalHotKeys, when the optional `x11` extra is installed.
Wayland gives apps no global hotkeys: bind a desktop shortcut to `trayagent call toggle` instead.

The callback runs on the hotkey's thread: it must only enqueue work (a slow callback delays or, on
Windows, drops the next key press).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from trayagent.i18n import _
from trayagent.platform.hotkey.spec import (  # noqa: F401 - the package's interface
    KEYS,
    MODIFIER_ORDER,
    Hotkey,
    HotkeyError,
    HotkeyHandle,
    HotkeyUnavailable,
    parse_hotkey,
)
from trayagent.platform.hotkey.windows import (  # noqa: F401
    ERROR_HOTKEY_ALREADY_REGISTERED,
    HOTKEY_ID,
    MOD_NOREPEAT,
    MSG,
    WM_HOTKEY,
    WM_QUIT,
    WindowsHotkey,
)
from trayagent.platform.hotkey.x11 import X11Hotkey, _pynput_keyboard, pynput_combo, x11_problem

log = logging.getLogger(__name__)


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


def probe(spec: str) -> tuple[bool, str]:
    """For `trayagent doctor`: whether the hotkey can be used, and one line saying which backend it
    would use or why there is none. Does not register anything (a registration would compete with
    the running daemon's)."""
    if not spec.strip():
        return True, _("hotkey turned off (calls.hotkey is empty)")
    hotkey = parse_hotkey(spec)
    if sys.platform == "win32":
        return True, _("hotkey {hotkey} via RegisterHotKey (Windows)").format(hotkey=hotkey)
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        try:
            problem = x11_problem(os.environ)
            if problem:
                raise HotkeyUnavailable(problem)
            _pynput_keyboard()
            pynput_combo(hotkey)
        except HotkeyUnavailable as e:
            return False, _("no global hotkey: {reason}").format(reason=e)
        return True, _("hotkey {hotkey} via pynput (X11)").format(hotkey=hotkey)
    return False, _("no global hotkey on {platform}; use the tray menu or `trayagent call toggle`").format(
        platform=sys.platform)
