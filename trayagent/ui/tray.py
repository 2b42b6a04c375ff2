"""The tray icon and its menu (pystray). Every callback only posts to the controller's queue."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trayagent import wording
from trayagent.core.measured import call_measured
from trayagent.core.requests import Command
from trayagent.core.stress import Thresholds
from trayagent.core.tray_status import TrayStatus
from trayagent.messages import Messages
from trayagent.platform import tray_backends
from trayagent.platform.desktop import quiet_notify
from trayagent.ui import icons

log = logging.getLogger(__name__)


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Entry:
    """One line of the menu as data. The callables are asked each time the menu is drawn, so a line
    follows the status; pystray (PystrayView) or a test reads them."""

    label: Callable[[], str] = str
    action: Callable[[], None] | None = None  # None: a line to read, not to click
    enabled: Callable[[], bool] = _always
    visible: Callable[[], bool] = _always
    checked: Callable[[], bool] | None = None  # a tick box
    default: bool = False  # what a click on the icon itself does
    submenu: Callable[[], list[Entry]] | None = None  # built as it opens (today's calls change)
    separator: bool = False


SEPARATOR = Entry(separator=True)


class MenuModel:
    """The menu as data: what each item says, whether it is enabled or checked, and what it posts.
    Kept apart from pystray so it can be tested without a desktop."""

    def __init__(self, text: Messages, post: Callable[..., None], autostart_state: Callable[[], str],
                 thresholds: Thresholds = Thresholds()) -> None:
        self.text, self.post, self.autostart_state = text, post, autostart_state
        self.thresholds = thresholds
        self.status = TrayStatus("idle", text("idle"))

    def call_items(self) -> list[tuple[str, str]]:
        """(label, call id) for today's calls, newest first: "오후 10:26 · 4분 7초 · 약간 높음", the band
        being the highest the call reached, or "측정 안 됨" for a call whose face was not seen well
        enough (core/measured.py): never a calm band it did not measure."""
        lang = self.text.language
        return [(self.text("call_item", start=wording.clock(c.start.astimezone(), lang),
                           duration=wording.duration(c.duration_s, lang),
                           band=wording.band(self.thresholds.band(c.peak).value, lang) if call_measured(c)
                           else self.text.gettext("not measured")), c.id)
                for c in reversed(self.status.today)]

    @property
    def calibrate_label(self) -> str:
        """Marked as recommended until the person has a baseline that fits the model."""
        return self.text("calibrate_recommended" if self.status.calibrated is False else "calibrate")

    @property
    def can_calibrate(self) -> bool:
        """Not during a call (a relaxed face, away from calls), nor while calibrating already."""
        return not self.status.in_call and self.status.look != "calibrating"

    def entries(self) -> list[Entry]:
        """The whole menu, top to bottom: the status line (and what would help, on its own line so the
        menu stays narrow), measuring, today's calls and graphs, the baseline, pause, the rest."""
        t, post = self.text, self.post

        def status() -> TrayStatus:
            return self.status

        def managed() -> bool:  # IT set it: the agent cannot change it
            return self.autostart_state() == "managed"

        def fixed(text: str) -> Callable[[], str]:
            return lambda: text

        def posts(command: Command, **kw: Any) -> Callable[[], None]:
            return lambda: post(command, **kw)

        from trayagent.team import menu as team

        return [
            Entry(lambda: status().line),
            Entry(lambda: status().hint, visible=lambda: bool(status().hint)),
            SEPARATOR,
            Entry(lambda: t("end_call") if status().in_call else t("start_call"), posts(Command.TOGGLE), default=True),
            Entry(fixed(t("todays_calls")), submenu=self.call_entries),
            Entry(fixed(t("show_today")), posts(Command.OPEN_GRAPH, call_id=None)),
            Entry(fixed(t("show_week")), posts(Command.OPEN_WEEK)),
            Entry(lambda: self.calibrate_label, posts(Command.CALIBRATE), enabled=lambda: self.can_calibrate),
            SEPARATOR,
            Entry(fixed(t("resume")), posts(Command.RESUME), visible=lambda: status().paused),
            Entry(fixed(t("pause")), visible=lambda: not status().paused, submenu=lambda: [
                Entry(fixed(t("pause_30")), posts(Command.PAUSE, minutes=30)),
                Entry(fixed(t("pause_60")), posts(Command.PAUSE, minutes=60)),
                Entry(fixed(t("pause_forever")), posts(Command.PAUSE, minutes=None))]),
            Entry(fixed(t("open_data")), posts(Command.OPEN_DATA)),
            Entry(lambda: t("start_at_login_it") if managed() else t("start_at_login"),
                  lambda: post(Command.AUTOSTART, enable=self.autostart_state() == "off"),
                  enabled=lambda: not managed(), checked=lambda: self.autostart_state() != "off"),
            Entry(team.title, posts(Command.TEAM), visible=team.offered, checked=team.joined),
            Entry(fixed(t("about")), posts(Command.ABOUT)),
            SEPARATOR,
            Entry(fixed(t("quit")), posts(Command.STOP)),
        ]

    def call_entries(self) -> list[Entry]:
        """Today's calls, newest first; each opens its graph."""
        def line(label: str, call_id: str) -> Entry:
            return Entry(lambda: label, lambda: self.post(Command.OPEN_GRAPH, call_id=call_id))

        return [line(label, cid) for label, cid in self.call_items()] or [Entry(lambda: self.text("no_calls_today"))]


def _linux_backend() -> str:
    """pystray's own probing stops at the first GObject namespace it cannot load, so pick here:
    AppIndicator where installed, else GTK (full menus, XEmbed trays), else bare Xlib (no menu)."""
    try:
        import gi
    except ImportError:
        return "xorg"
    for namespace, name in (("AyatanaAppIndicator3", "appindicator"), ("AppIndicator3", "appindicator"),
                            ("Gtk", "gtk")):
        try:
            gi.require_version(namespace, "0.1" if "Indicator" in namespace else "3.0")
            return name
        except ValueError:
            continue
    return "xorg"


class PystrayView:
    def __init__(self, model: MenuModel) -> None:
        if sys.platform.startswith("linux"):
            os.environ.setdefault("PYSTRAY_BACKEND", _linux_backend())
        import pystray

        log.info("tray backend: %s", pystray.Icon.__module__.rsplit("_", 1)[-1])

        self._pystray = pystray
        self.model = model
        # pystray's bare Xlib backend writes the title as the window's Latin-1 name, which fails on
        # Hangul (no tray at all in Korean); that backend shows no tooltip, so it keeps the app's name.
        self._title_is_name = pystray.Icon.__module__.endswith("_xorg")
        self.icon = pystray.Icon("trayagent", icons.icon("idle"),
                                 "trayagent" if self._title_is_name else model.text("idle"),
                                 menu=_pystray_menu(pystray, model.entries()))
        self._look = "idle"
        self._menu_key: tuple | None = None
        # pystray builds its menus (win32, GTK, AppIndicator) once, not when opened, so the status
        # line would stay at the call's first second. On win32 the menu is rebuilt as it opens (see
        # tray_backends.refresh_on_open), which also keeps every rebuild on the icon's thread; elsewhere the line
        # is pushed at most once a second (a rebuild per frame would be waste, and would race an
        # open menu more often).
        self._built_on_open = sys.platform == "win32" and tray_backends.refresh_on_open(self.icon)
        self._tooltip = tray_backends.gtk_tooltip(self.icon)
        self._push_line = not self._built_on_open
        self._line_pushed = ""
        self._line_pushed_at = 0.0
        self._tooltip_shown = ""
        self._ended = threading.Event()  # the icon's loop has returned

    def show(self, status: TrayStatus) -> None:
        self.model.status = status
        if status.look != self._look:
            self._look = status.look
            self.icon.icon = icons.icon(status.look)
        if not self._title_is_name:
            self.icon.title = status.line  # AppIndicator has no tooltip: hosts show the title instead
        if self._tooltip is not None and status.line != self._tooltip_shown:
            self._tooltip_shown = status.line
            self._tooltip(status.line)
        if self._built_on_open:
            return
        menu_key = (status.in_call, status.paused, status.today, status.hint, status.look == "calibrating",
                    status.calibrated)
        now = time.monotonic()
        if menu_key != self._menu_key:
            self._menu_key = menu_key
        elif not (self._push_line and status.line != self._line_pushed and now - self._line_pushed_at >= 1.0):
            return
        self._line_pushed, self._line_pushed_at = status.line, now
        self.icon.update_menu()

    def notify(self, title: str, body: str) -> None:
        if self.icon.HAS_NOTIFICATION:
            try:
                self.icon.notify(body, title)
                return
            except Exception:
                log.exception("tray notification failed")
        quiet_notify(title, body)

    def run(self, on_ready: Callable[[], None]) -> None:
        def setup(icon: Any) -> None:
            icon.visible = True
            on_ready()

        try:
            self.icon.run(setup)
        except Exception as e:  # e.g. GTK's tear-down asking a missing notification service
            log.warning("tray shut down with an error: %s", e)
        finally:
            self._ended.set()

    def stop(self) -> None:
        tray_backends.close_open_menu(self.icon)
        self.icon.stop()
        if not self._ended.wait(tray_backends.STOP_WAIT_S):
            tray_backends.end_x11_loop(self.icon)


def _pystray_menu(pystray: Any, entries: list[Entry]) -> Any:
    """pystray's menu from the data; each line asks its entry whenever the menu is drawn."""
    return pystray.Menu(*(_pystray_item(pystray, e) for e in entries))


def _pystray_item(pystray: Any, e: Entry) -> Any:
    if e.separator:
        return pystray.Menu.SEPARATOR
    action: Any = None
    if e.submenu is not None:
        submenu = e.submenu
        action = pystray.Menu(lambda: [_pystray_item(pystray, s) for s in submenu()])  # built as it opens
    elif e.action is not None:
        # No parameters at all: pystray counts a callable's parameters, defaults included, and would
        # pass the icon as `act` (whose call opens the menu again: a recursion, no action)
        action = (lambda act: lambda: act())(e.action)
    clickable = action is not None
    kw: dict[str, Any] = {"enabled": lambda _i: clickable and e.enabled(), "visible": lambda _i: e.visible(),
                          "default": e.default}
    if e.checked is not None:
        kw["checked"] = lambda _i, checked=e.checked: checked()
    return pystray.MenuItem(lambda _i: e.label(), action, **kw)


class HeadlessView:
    """No tray (no display, or `--no-tray`): status changes go to the log, notifications too."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.status: TrayStatus | None = None

    def show(self, status: TrayStatus) -> None:
        if self.status is None or status.look != self.status.look or status.in_call != self.status.in_call:
            log.info("status: %s", status.line)
        self.status = status

    def notify(self, title: str, body: str) -> None:
        quiet_notify(title, body)

    def run(self, on_ready: Callable[[], None]) -> None:
        on_ready()
        self._done.wait()

    def stop(self) -> None:
        self._done.set()
