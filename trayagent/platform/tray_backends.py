"""pystray's backends, where pystray itself falls short: the GTK tooltip, an X11 loop that does not
end, a win32 menu left open at stop, and the win32 menu rebuilt as it opens. Each reaches into
pystray 0.19's internals (the Windows bundle pins that version) and does nothing where they are absent."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def gtk_tooltip(icon: Any) -> Callable[[str], None] | None:
    """pystray's GTK backend sets only the status icon's title, which no tray shows on hover: set its
    tooltip too, on GTK's own thread. None for backends without a GTK status icon."""
    status_icon = getattr(icon, "_status_icon", None)
    if status_icon is None or not hasattr(status_icon, "set_tooltip_text"):
        return None
    from gi.repository import GLib

    return lambda text: GLib.idle_add(status_icon.set_tooltip_text, text) and None


STOP_WAIT_S = 2.0  # for the icon's loop to end by itself after stop


def end_x11_loop(icon: Any) -> None:
    """pystray's bare Xlib loop ends when it sees its window destroyed; after the tray (trayer) has
    embedded the icon and the icon changed a few times, that notice sometimes never comes, and the
    loop waited on X until a signal (`trayagent stop` unanswered). Closing its X connection ends the
    wait: the loop logs the closed connection and returns. Uses pystray 0.19's _xorg internals."""
    display = getattr(icon, "_display", None)
    if type(icon).__module__.endswith("_xorg") and display is not None:
        log.info("tray: the X11 icon's loop did not end by itself; closing its X connection")
        display.close()


WM_RBUTTONUP = 0x0205  # the notification pystray's win32 icon answers with its menu
WM_CANCELMODE = 0x001F


def close_open_menu(icon: Any) -> None:
    """Close a win32 menu left open (the agent walked away from it, or never clicked off it) before
    pystray's stop: the menu's own message loop takes the quit message meant for pystray's loop (under
    wine it is lost, and the daemon kept running after it had closed its call). WM_CANCELMODE to the
    menu's owner is how another thread ends a menu; with no menu open it does nothing."""
    owner = getattr(icon, "_menu_hwnd", None)
    if sys.platform == "win32" and owner:
        import ctypes

        ctypes.windll.user32.PostMessageW(owner, WM_CANCELMODE, 0, 0)  # type: ignore[attr-defined]


def refresh_on_open(icon: Any) -> bool:
    """Rebuild pystray's win32 menu on the icon's own thread just before it pops up, so the status
    line is current whenever someone looks and no other thread destroys the menu while it is open.
    Uses pystray 0.19's win32 internals (the bundle pins that version); False where they are absent."""
    handlers = getattr(icon, "_message_handlers", None)
    rebuild = getattr(icon, "_update_menu", None)
    if not isinstance(handlers, dict) or rebuild is None:
        return False
    notify_code = next((code for code, h in handlers.items() if getattr(h, "__name__", "") == "_on_notify"), None)
    if notify_code is None:
        return False
    on_notify = handlers[notify_code]

    def refreshed(wparam: int, lparam: int) -> Any:
        if lparam == WM_RBUTTONUP:
            try:
                rebuild()
            except Exception:  # an old menu is better than none
                log.exception("cannot rebuild the tray menu")
        return on_notify(wparam, lparam)

    handlers[notify_code] = refreshed
    return True
