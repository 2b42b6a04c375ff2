"""X11: pynput's GlobalHotKeys, when the optional `x11` extra is installed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trayagent.i18n import _
from trayagent.platform.hotkey.spec import KEYS, MODIFIER_ORDER, Hotkey, HotkeyUnavailable, guarded


def pynput_combo(hotkey: Hotkey) -> str:
    names = {"ctrl": "<ctrl>", "alt": "<alt>", "shift": "<shift>", "win": "<cmd>"}
    key = KEYS[hotkey.key][1]
    if key is None:
        raise HotkeyUnavailable(_("{key} cannot be used as a hotkey on X11; choose f1-f20 or another key").format(
            key=hotkey.key))
    return "+".join([names[m] for m in MODIFIER_ORDER if m in hotkey.modifiers] + [key])


def x11_problem(env: Mapping[str, str]) -> str:
    """Why an X11 global hotkey cannot work in this session ("" when it can)."""
    if env.get("XDG_SESSION_TYPE") == "wayland" or (env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")):
        return _("Wayland does not let apps register global hotkeys; add a keyboard shortcut in your "
                 "desktop settings that runs `trayagent call toggle`")
    if not env.get("DISPLAY"):
        return _("no X display (DISPLAY is not set)")
    return ""


class X11Hotkey:
    """pynput's GlobalHotKeys (an XRecord listener on its own thread). It ignores synthetic key
    events, so tests drive the callback path rather than xdotool."""

    def __init__(self, hotkey: Hotkey, callback: Callable[[], None], keyboard: Any) -> None:
        self.hotkey = hotkey
        self._listener = keyboard.GlobalHotKeys({pynput_combo(hotkey): guarded(hotkey, callback)})

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
        from pynput import keyboard  # optional extra, and importing it needs a display
    except ImportError as e:
        if getattr(e, "name", None) == "pynput":
            raise HotkeyUnavailable(_("pynput is not installed (pip install 'trayagent[x11]')")) from None
        raise HotkeyUnavailable(_("pynput cannot start: {error}").format(error=e)) from None
    except Exception as e:  # pynput raises various errors when its backend fails
        raise HotkeyUnavailable(_("pynput cannot start: {error}").format(error=e)) from None
    return keyboard


