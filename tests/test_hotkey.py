"""The global call hotkey: config parsing, the Windows message loop (driven through a fake user32),
the X11 backend (through a fake pynput), and what happens where there is no global hotkey."""

from __future__ import annotations

import ctypes
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import wait_for
from trayagent.core.errors import TrayagentError
from trayagent.platform import hotkey as hk
from trayagent.platform.hotkey import (
    HOTKEY_ID,
    MOD_NOREPEAT,
    WM_HOTKEY,
    WM_QUIT,
    Hotkey,
    HotkeyError,
    HotkeyUnavailable,
    WindowsHotkey,
    X11Hotkey,
    parse_hotkey,
    pynput_combo,
    start_hotkey,
    x11_problem,
)

# --- parsing calls.hotkey ------------------------------------------------------------------------


@pytest.mark.parametrize("spec, mods, key", [
    ("ctrl+alt+shift+s", {"ctrl", "alt", "shift"}, "s"),
    (" Control + ALT + S ", {"ctrl", "alt"}, "s"),
    ("super+shift+9", {"win", "shift"}, "9"),
    ("ctrl+alt+f9", {"ctrl", "alt"}, "f9"),
    ("shift+PageDown", {"shift"}, "pagedown"),
    ("f13", set(), "f13"),  # a macro-pad key may stand alone
])
def test_valid_hotkeys(spec, mods, key):
    assert parse_hotkey(spec) == Hotkey(frozenset(mods), key)


def test_a_hotkey_prints_in_canonical_order():
    assert str(parse_hotkey("s+shift+alt+ctrl")) == "ctrl+alt+shift+s"


@pytest.mark.parametrize("spec, problem", [
    ("", "no hotkey given"),
    ("ctrl+alt", "no key after the modifiers"),
    ("s", "without a modifier"),
    ("ctrl+alt+shft+s", 'unknown key "shft"'),
    ("ctrl+a+b", "more than one key (a, b)"),
    ("ctrl+control+s", '"control" appears twice'),
    ("ctrl++s", "empty part"),
    ("ctrl+alt+ß", 'unknown key "ß"'),
])
def test_invalid_hotkeys_say_what_is_wrong_and_how_to_write_one(spec, problem):
    with pytest.raises(HotkeyError) as e:
        parse_hotkey(spec)
    msg = str(e.value)
    assert f'calls.hotkey = "{spec}"' in msg and problem in msg and "ctrl+alt+shift+s" in msg
    assert isinstance(e.value, TrayagentError)  # one line, no traceback; the daemon shows it in the tray


def test_empty_spec_turns_the_hotkey_off_and_a_bad_one_is_an_error():
    assert start_hotkey("  ", lambda: None) is None
    with pytest.raises(HotkeyError):
        start_hotkey("ctrl+alt+nokey", lambda: None)


# --- Windows: RegisterHotKey on its own thread, through a fake user32 ---------------------------

class FakeUser32:
    """Just enough of user32 for one thread's message queue. GetMessageW blocks like the real one."""

    def __init__(self, register_ok: bool = True) -> None:
        self.register_ok = register_ok
        self.queue: queue.Queue[tuple[int, int]] = queue.Queue()
        self.registered: list[tuple[Any, int, int, int]] = []
        self.unregistered: list[int] = []
        self.loop_thread: threading.Thread | None = None
        self.peeked = threading.Event()

    def PeekMessageW(self, pmsg, hwnd, lo, hi, flags) -> int:  # Windows' names
        self.peeked.set()
        return 0

    def RegisterHotKey(self, hwnd, id_, mods, vk) -> int:
        self.registered.append((hwnd, id_, mods, vk))
        self.loop_thread = threading.current_thread()
        return 1 if self.register_ok else 0

    def UnregisterHotKey(self, hwnd, id_) -> int:
        self.unregistered.append(id_)
        return 1

    def GetMessageW(self, pmsg, hwnd, lo, hi) -> int:
        message, wparam = self.queue.get()
        msg = pmsg._obj  # the MSG behind ctypes.byref
        msg.message, msg.wParam = message, wparam
        return 0 if message == WM_QUIT else 1

    def PostThreadMessageW(self, tid, message, wparam, lparam) -> int:
        assert self.peeked.is_set(), "WM_QUIT posted before the thread had a message queue"
        self.queue.put((message, wparam))
        return 1

    def press(self, id_: int = HOTKEY_ID) -> None:
        self.queue.put((WM_HOTKEY, id_))


class FakeKernel32:
    def GetCurrentThreadId(self) -> int:
        return threading.get_ident() & 0xFFFFFFFF


def windows(user32: FakeUser32, callback: Callable[[], None], spec: str = "ctrl+alt+shift+s",
            last_error: int = 0) -> WindowsHotkey:
    return WindowsHotkey(parse_hotkey(spec), callback, (user32, FakeKernel32(), lambda: last_error)).start()


def test_windows_registers_on_its_own_thread_and_enqueues_on_each_press():
    u = FakeUser32()
    commands: queue.Queue[str] = queue.Queue()
    handle = windows(u, lambda: commands.put("toggle"))
    try:
        # ctrl|alt|shift, without auto-repeat, VK 'S'
        assert u.registered == [(None, HOTKEY_ID, 0x2 | 0x1 | 0x4 | MOD_NOREPEAT, ord("S"))]
        assert u.loop_thread is not threading.current_thread()
        u.press()
        u.press(id_=HOTKEY_ID + 1)  # someone else's hotkey id: not ours
        u.press()
        assert [commands.get(timeout=5), commands.get(timeout=5)] == ["toggle", "toggle"]
        assert commands.empty()
        assert "ctrl+alt+shift+s via RegisterHotKey" in handle.describe() and "active" in handle.describe()
    finally:
        handle.stop()
    assert u.unregistered == [HOTKEY_ID]
    assert u.loop_thread is not None and not u.loop_thread.is_alive()
    assert "stopped" in handle.describe()


def test_windows_function_key_maps_to_its_virtual_key():
    u = FakeUser32()
    handle = windows(u, lambda: None, "win+f9")
    handle.stop()
    assert u.registered[0][2:] == (0x8 | MOD_NOREPEAT, 0x78)


def test_windows_hotkey_taken_by_another_program_is_unavailable_with_a_reason():
    u = FakeUser32(register_ok=False)
    with pytest.raises(HotkeyUnavailable, match="already taken by another program"):
        windows(u, lambda: None, last_error=hk.ERROR_HOTKEY_ALREADY_REGISTERED)
    assert u.loop_thread is not None and wait_for(lambda: not u.loop_thread.is_alive())
    assert u.unregistered == []  # nothing was registered, nothing to undo


def test_a_failing_callback_does_not_end_the_hotkey(caplog):
    u = FakeUser32()
    presses: list[int] = []

    def callback() -> None:
        presses.append(1)
        if len(presses) == 1:
            raise RuntimeError("handler bug")

    handle = windows(u, callback)
    try:
        with caplog.at_level(logging.ERROR):
            u.press()
            u.press()
            assert wait_for(lambda: len(presses) == 2)
        assert "handler bug" in caplog.text
    finally:
        handle.stop()


def test_a_slow_callback_is_called_out(caplog):
    u = FakeUser32()
    done = threading.Event()
    handle = windows(u, lambda: (time.sleep(0.15), done.set()))  # the slow callback itself (a sleep that stays)
    try:
        with caplog.at_level(logging.WARNING):
            u.press()
            assert done.wait(5)
            assert wait_for(lambda: "should only enqueue work" in caplog.text)
    finally:
        handle.stop()


def test_msg_layout_matches_win32():
    # MSG on 64-bit Windows is 48 bytes with wParam at offset 16; a wrong layout reads garbage ids.
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        assert ctypes.sizeof(hk.MSG) == 48 and hk.MSG.wParam.offset == 16


# --- X11 through pynput (faked: GlobalHotKeys ignores synthetic key events anyway) --------------

class FakeGlobalHotKeys:
    instances: list[FakeGlobalHotKeys] = []

    def __init__(self, hotkeys: dict[str, Callable[[], None]]) -> None:
        self.hotkeys = hotkeys
        self.alive = False
        FakeGlobalHotKeys.instances.append(self)

    def start(self) -> None:
        self.alive = True

    def stop(self) -> None:
        self.alive = False

    def is_alive(self) -> bool:
        return self.alive


class FakeKeyboard:
    GlobalHotKeys = FakeGlobalHotKeys


def test_x11_hotkey_hands_pynput_its_combo_and_runs_the_callback():
    commands: queue.Queue[str] = queue.Queue()
    handle = X11Hotkey(parse_hotkey("ctrl+alt+shift+s"), lambda: commands.put("toggle"), FakeKeyboard()).start()
    listener = FakeGlobalHotKeys.instances[-1]
    assert list(listener.hotkeys) == ["<ctrl>+<alt>+<shift>+s"]
    listener.hotkeys["<ctrl>+<alt>+<shift>+s"]()  # what pynput calls on the key press
    assert commands.get_nowait() == "toggle"
    assert "via pynput (X11), active" in handle.describe()
    handle.stop()
    assert not listener.alive


@pytest.mark.parametrize("spec, combo", [
    ("super+pagedown", "<cmd>+<page_down>"),
    ("ctrl+alt+f9", "<ctrl>+<alt>+<f9>"),
    ("shift+alt+7", "<alt>+<shift>+7"),
])
def test_pynput_combos(spec, combo):
    assert pynput_combo(parse_hotkey(spec)) == combo


def test_x11_cannot_use_keys_pynput_does_not_know():
    with pytest.raises(HotkeyUnavailable, match="f21 cannot be used"):
        pynput_combo(parse_hotkey("ctrl+f21"))


@pytest.mark.parametrize("env, problem", [
    ({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "trayagent call toggle"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "Wayland"),
    ({}, "DISPLAY is not set"),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, ""),
])
def test_which_sessions_can_have_an_x11_hotkey(env, problem):
    got = x11_problem(env)
    assert (problem in got) if problem else got == ""


def test_where_there_is_no_global_hotkey_start_returns_none_and_logs_why(monkeypatch, caplog):
    monkeypatch.setattr(hk.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)

    def no_pynput() -> Any:
        raise HotkeyUnavailable("pynput is not installed (pip install 'trayagent[x11]')")

    monkeypatch.setattr(hk, "_pynput_keyboard", no_pynput)
    with caplog.at_level(logging.WARNING):
        assert start_hotkey("ctrl+alt+shift+s", lambda: None) is None
    assert "pynput is not installed" in caplog.text
    usable, detail = hk.probe("ctrl+alt+shift+s")
    assert not usable and "pynput is not installed" in detail


def test_start_hotkey_uses_pynput_on_x11(monkeypatch):
    monkeypatch.setattr(hk.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.setattr(hk, "_pynput_keyboard", lambda: FakeKeyboard())
    handle = start_hotkey("ctrl+alt+shift+s", lambda: None)
    assert handle is not None and "pynput (X11), active" in handle.describe()
    handle.stop()
    assert hk.probe("ctrl+alt+shift+s") == (True, "hotkey ctrl+alt+shift+s via pynput (X11)")


def test_missing_pynput_is_reported_as_the_extra_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pynput" or name.startswith("pynput."):
            raise ModuleNotFoundError("No module named 'pynput'", name="pynput")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(HotkeyUnavailable, match=r"trayagent\[x11\]"):
        hk._pynput_keyboard()
