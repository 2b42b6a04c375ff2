"""Sign-out and shutdown on Windows: a call open then is closed out then, not at the next sign-in.

Windows asks every top-level window before a session ends (WM_QUERYENDSESSION) and then tells it
the session does end (WM_ENDSESSION); once that handler returns, the process may be killed at any
moment. So the call is closed out while WM_ENDSESSION is being handled: the daemon is asked to stop
and the handler waits (a few seconds at most) for it to have done so. A hidden top-level window of
our own gets these messages whether or not there is a tray icon (message-only windows do not).
A console run also gets CTRL_CLOSE/LOGOFF/SHUTDOWN events through SetConsoleCtrlHandler (which
Windows does not send to processes with windows, so the window is the main path).

`SessionEnd` decides what each message means and is tested with the messages handed to it; only
`start` touches Windows.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

WM_CLOSE = 0x0010
WM_QUERYENDSESSION = 0x0011
WM_ENDSESSION = 0x0016
WM_DESTROY = 0x0002
ENDSESSION_LOGOFF = 0x80000000
CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT = 2, 5, 6
GRACE_S = 4.0  # Windows lets a window keep a session open about 5 s before it offers to force it


class SessionEnd:
    """`close_out` asks the daemon to stop (post Command.STOP); `wait(seconds)` waits for it to have
    stopped and says whether it did. Both may be called from any thread."""

    def __init__(self, close_out: Callable[[], None], wait: Callable[[float], bool], grace_s: float = GRACE_S) -> None:
        self._close_out, self._wait, self.grace_s = close_out, wait, grace_s
        self._lock = threading.Lock()
        self.ended: str | None = None  # why the session ended, once it has

    def on_message(self, msg: int, wparam: int, lparam: int) -> int | None:
        """The window procedure's answer, or None for DefWindowProc."""
        if msg == WM_QUERYENDSESSION:
            return 1  # never block a sign-out; nothing is done until it is certain
        if msg == WM_ENDSESSION:
            if wparam:  # False: another application cancelled it, the session goes on
                self.end("sign-out" if lparam & ENDSESSION_LOGOFF else "shutdown")
            return 0
        return None

    def on_console_event(self, event: int) -> bool:
        """SetConsoleCtrlHandler's answer: True when handled (Windows then ends the process)."""
        why = {CTRL_CLOSE_EVENT: "console closed", CTRL_LOGOFF_EVENT: "sign-out",
               CTRL_SHUTDOWN_EVENT: "shutdown"}.get(event)
        if why is None:
            return False  # Ctrl+C and Ctrl+Break go on to Python's own handler
        self.end(why)
        return True

    def end(self, why: str) -> None:
        with self._lock:
            first, self.ended = self.ended is None, self.ended or why
        if first:
            log.info("session ending (%s): closing out", why)
            self._close_out()
        if self._wait(self.grace_s):
            log.info("closed out before the session ended")
        else:
            log.warning("not closed out within %.0f s of the session ending", self.grace_s)


class Watcher:
    """The hidden window's thread; `stop` closes the window (its thread ends with it)."""

    def __init__(self, hwnd: int, thread: threading.Thread, keep: list[Any]) -> None:
        self.hwnd, self.thread, self._keep = hwnd, thread, keep

    def stop(self) -> None:
        if sys.platform == "win32":  # a Watcher is only ever made there
            import ctypes

            ctypes.windll.user32.PostMessageW(self.hwnd, WM_CLOSE, 0, 0)
        self.thread.join(timeout=2)


def start(session: SessionEnd) -> Watcher | None:
    """Watch for the session's end on Windows; None elsewhere or when the window cannot be made."""
    if sys.platform != "win32":
        return None
    try:
        return _start_windows(session)
    except Exception:  # the daemon runs on without it, as before
        log.exception("cannot watch for sign-out; a call open at sign-out is closed at the next start")
        return None


def _start_windows(session: SessionEnd) -> Watcher:  # pragma: no cover - Windows (and wine) only
    if sys.platform != "win32":  # ctypes' Windows names exist only there (and mypy knows it)
        raise OSError("the end of a Windows session is watched only on Windows")
    import ctypes

    api = _WindowsApi()
    proc = api.WNDPROC(_window_procedure(session, api))
    console = api.HANDLER(lambda event: bool(session.on_console_event(event)))
    hwnd, thread = _window_thread(api, proc, f"trayagent.session-end.{id(session)}")
    if not api.kernel32.SetConsoleCtrlHandler(console, True):
        log.warning("no console sign-out handler: %s", ctypes.WinError(ctypes.get_last_error()))
    log.info("watching for sign-out and shutdown")
    return Watcher(hwnd, thread, [proc, console])


class _WindowsApi:  # pragma: no cover - Windows (and wine) only
    """user32 and kernel32 with the prototypes the hidden window needs."""

    # ctypes objects, whose functions and fields are looked up by name at run time
    user32: Any
    kernel32: Any
    WNDPROC: Any
    HANDLER: Any
    WNDCLASSW: Any

    def __init__(self) -> None:
        if sys.platform != "win32":  # ctypes' Windows names exist only there (and mypy knows it)
            raise OSError("the end of a Windows session is watched only on Windows")
        import ctypes
        from ctypes import wintypes

        self.user32 = user32 = ctypes.WinDLL("user32", use_last_error=True)
        self.kernel32 = kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        LRESULT = ctypes.c_ssize_t
        self.WNDPROC = WNDPROC = ctypes.WINFUNCTYPE(LRESULT, wintypes.HWND, wintypes.UINT, wintypes.WPARAM,
                                                    wintypes.LPARAM)
        self.HANDLER = HANDLER = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)

        class WNDCLASSW(ctypes.Structure):
            _fields_ = [("style", wintypes.UINT), ("lpfnWndProc", WNDPROC), ("cbClsExtra", ctypes.c_int),
                        ("cbWndExtra", ctypes.c_int), ("hInstance", wintypes.HINSTANCE), ("hIcon", wintypes.HICON),
                        ("hCursor", wintypes.HANDLE), ("hbrBackground", wintypes.HBRUSH),
                        ("lpszMenuName", wintypes.LPCWSTR), ("lpszClassName", wintypes.LPCWSTR)]

        self.WNDCLASSW = WNDCLASSW
        user32.DefWindowProcW.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM]
        user32.DefWindowProcW.restype = LRESULT
        user32.RegisterClassW.argtypes = [ctypes.POINTER(WNDCLASSW)]
        user32.RegisterClassW.restype = wintypes.ATOM
        user32.CreateWindowExW.argtypes = [wintypes.DWORD, wintypes.LPCWSTR, wintypes.LPCWSTR, wintypes.DWORD,
                                           ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, wintypes.HWND,
                                           wintypes.HMENU, wintypes.HINSTANCE, wintypes.LPVOID]
        user32.CreateWindowExW.restype = wintypes.HWND
        user32.GetMessageW.argtypes = [ctypes.POINTER(wintypes.MSG), wintypes.HWND, wintypes.UINT, wintypes.UINT]
        user32.DispatchMessageW.argtypes = [ctypes.POINTER(wintypes.MSG)]
        user32.TranslateMessage.argtypes = [ctypes.POINTER(wintypes.MSG)]
        user32.PostMessageW.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM]
        kernel32.GetModuleHandleW.restype = wintypes.HMODULE
        kernel32.SetConsoleCtrlHandler.argtypes = [HANDLER, wintypes.BOOL]


def _window_procedure(session: SessionEnd, api: _WindowsApi) -> Callable[[int, int, int, int], int]:
    """The hidden window's procedure: the session's answer, else Windows' default."""

    def wndproc(hwnd: int, msg: int, wparam: int, lparam: int) -> int:  # pragma: no cover - Windows only
        try:
            answer = session.on_message(msg, wparam, lparam)
        except Exception:  # an exception must not cross back into Windows
            log.exception("end-of-session message %#x", msg)
            answer = None
        if answer is not None:
            return answer
        if msg == WM_DESTROY:
            api.user32.PostQuitMessage(0)
            return 0
        return int(api.user32.DefWindowProcW(hwnd, msg, wparam, lparam))

    return wndproc


def _window_thread(api: _WindowsApi, proc: Any, class_name: str) -> tuple[int, threading.Thread]:
    """Make the hidden top-level window on a thread of its own, which then runs its message loop;
    the window's handle once it exists, OSError when it cannot be made."""
    import ctypes
    from ctypes import wintypes

    user32, kernel32 = api.user32, api.kernel32
    made: list[int] = []
    failed: list[OSError] = []
    ready = threading.Event()

    def loop() -> None:  # pragma: no cover - Windows (and wine) only
        if sys.platform != "win32":
            return
        try:
            hinstance = kernel32.GetModuleHandleW(None)
            wc = api.WNDCLASSW(lpfnWndProc=proc, hInstance=hinstance, lpszClassName=class_name)
            if not user32.RegisterClassW(ctypes.byref(wc)):
                raise ctypes.WinError(ctypes.get_last_error())
            # Top-level and never shown: hidden windows get the end-of-session messages too.
            hwnd = user32.CreateWindowExW(0, wc.lpszClassName, "trayagent", 0, 0, 0, 0, 0, None, None, hinstance, None)
            if not hwnd:
                raise ctypes.WinError(ctypes.get_last_error())
            made.append(hwnd)
        except OSError as e:
            failed.append(e)
            return
        finally:
            ready.set()
        msg = wintypes.MSG()
        while user32.GetMessageW(ctypes.byref(msg), None, 0, 0) > 0:
            user32.TranslateMessage(ctypes.byref(msg))
            user32.DispatchMessageW(ctypes.byref(msg))

    thread = threading.Thread(target=loop, name="session-end", daemon=True)
    thread.start()
    ready.wait(10)
    if not made:
        raise failed[0] if failed else OSError("the session-end window was not made in time")
    return made[0], thread
