"""The tray menu's status line keeps up with a call on Windows, where pystray builds the menu once.

pystray's win32 icon is faked at its boundary: a message-handler table answering WM_NOTIFY, and a
menu build that records the status line as the real one would read it.
"""

from __future__ import annotations

import sys
import types

from trayagent.core.stress import Thresholds
from trayagent.daemon.status import CallFacts, tray_status
from trayagent.messages import Messages
from trayagent.platform import tray_backends
from trayagent.ui import tray

WM_NOTIFY, WM_LBUTTONUP = 0x400 + 1, 0x0202


class _Item:
    def __init__(self, text, action=None, **kw) -> None:
        self.text, self.action = text, action

    def label(self) -> str:
        return self.text(self) if callable(self.text) else self.text


class _Menu:
    SEPARATOR = _Item("-")

    def __init__(self, *items) -> None:
        self.items = items


class _Win32Icon:
    """pystray 0.19.5's win32 Icon as far as trayagent touches it."""

    HAS_NOTIFICATION = True

    def __init__(self, name, icon, title, menu) -> None:
        self.icon, self.title, self.menu = icon, title, menu
        self.built: list[str] = []  # the status line each time the native menu was (re)built
        self.popped: list[str] = []  # the status line of the menu that popped up
        self.update_menu_calls = 0
        self._message_handlers = {WM_NOTIFY: self._on_notify}

    def _update_menu(self) -> None:
        self.built.append(self.menu.items[0].label())

    def update_menu(self) -> None:
        self.update_menu_calls += 1
        self._update_menu()

    def _on_notify(self, wparam, lparam) -> None:
        if lparam == tray_backends.WM_RBUTTONUP and self.built:
            self.popped.append(self.built[-1])

    def right_click(self) -> None:
        self._message_handlers[WM_NOTIFY](0, tray_backends.WM_RBUTTONUP)


class _OtherIcon(_Win32Icon):
    """A backend without the win32 internals the open hook relies on."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        del self._message_handlers


def _view(monkeypatch, icon_class, platform: str = "win32") -> tray.PystrayView:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")
    monkeypatch.setitem(sys.modules, "pystray", types.SimpleNamespace(Icon=icon_class, MenuItem=_Item, Menu=_Menu))
    return tray.PystrayView(tray.MenuModel(Messages("en"), lambda *a, **k: None, lambda: "off"))


def _on_call(seconds: float, index: float = 0.0):
    return tray_status(Messages("en"), Thresholds(), (), call=CallFacts(seconds, index))


def test_win32_menu_is_rebuilt_as_it_opens_with_the_current_line(monkeypatch):
    view = _view(monkeypatch, _Win32Icon)
    icon = view.icon
    for s in range(0, 75):
        view.show(_on_call(s, 0.01 * s))
    assert icon.update_menu_calls == 0  # nothing rebuilt from the controller's thread
    icon.right_click()
    assert icon.popped == [_on_call(74, 0.74).line] and "01:14" in icon.popped[0]
    view.show(_on_call(80, 0.5))
    icon._message_handlers[WM_NOTIFY](0, WM_LBUTTONUP)  # a left click opens no menu: nothing to build
    icon.right_click()
    assert icon.popped[-1] == _on_call(80, 0.5).line and len(icon.built) == 2


def test_without_the_hook_the_line_is_pushed_at_most_once_a_second(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(tray.time, "monotonic", lambda: clock[0])
    view = _view(monkeypatch, _OtherIcon)
    icon = view.icon
    view.show(_on_call(0))
    assert icon.built == [_on_call(0).line]  # a call starting changes the menu
    for i in range(1, 31):  # 30 frames in a third of a second: the line changes, the menu waits
        clock[0] += 0.01
        view.show(_on_call(0.01 * i, 0.01 * i))
    assert len(icon.built) == 1
    clock[0] += 1.0
    view.show(_on_call(1.3, 0.3))
    assert icon.built[-1] == _on_call(1.3, 0.3).line and "00:01" in icon.built[-1]
    clock[0] += 5.0
    view.show(_on_call(1.3, 0.3))  # the same line is not pushed again
    assert len(icon.built) == 2


def test_other_platforms_rebuild_only_when_the_menu_changes(monkeypatch):
    view = _view(monkeypatch, _Win32Icon, platform="linux")
    for s in range(5):
        view.show(_on_call(s * 2.0, 0.1 * s))
    view.show(tray_status(Messages("en"), Thresholds(), ()))
    assert view.icon.update_menu_calls == 2  # the call starting, the call ending
