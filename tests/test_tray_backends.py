"""`trayagent stop` ends the tray on every Linux backend pystray offers (plain X11, GTK, AppIndicator),
after the icon has changed a few times as in a call, and GTK's icon carries the status as its tooltip.
Each runs here under Xvfb and trayer; GTK and AppIndicator need PyGObject, which the distribution's
Python carries (.ci/run). Windows' stop is pinned by test_tray_menu_win32.py and, for real, by the
installer tests under wine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tray_probe import LINE

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
if not all(shutil.which(t) for t in ("Xvfb", "trayer", "dbus-daemon", "xwininfo")):
    pytest.skip("needs Xvfb, trayer, dbus-daemon, xwininfo", allow_module_level=True)


def _with_gi(namespace: str, version: str) -> str | None:
    """A Python that can load `namespace` through PyGObject and run trayagent: this one, or the system's."""
    check = f"import gi; gi.require_version({namespace!r}, {version!r})"
    for python in (sys.executable, SYSTEM_PYTHON):
        if os.path.exists(python) and subprocess.run([python, "-c", check], capture_output=True).returncode == 0:
            return python
    return None


def _probe(desktop, python: str, backend: str) -> dict:
    env, _procs = desktop
    env = dict(env, PYTHONPATH=os.pathsep.join([str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))]))
    done = subprocess.run([python, "-m", "tests.tray_probe", backend], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_stop_ends_the_plain_x11_tray_after_icon_changes(desktop):
    found = _probe(desktop, sys.executable, "xorg")
    assert found["backend"] == "xorg" and found["ended_s"] < 30


@pytest.mark.slow
@pytest.mark.parametrize("backend,namespace,version", [("gtk", "Gtk", "3.0"),
                                                       ("appindicator", "AyatanaAppIndicator3", "0.1")])
def test_stop_ends_the_gtk_trays_and_gtk_shows_the_status_on_hover(desktop, backend, namespace, version):
    python = _with_gi(namespace, version)
    if python is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PyGObject with {namespace} {version} (see .ci/run)")
        pytest.skip(f"no Python here loads {namespace} {version}")
    found = _probe(desktop, python, backend)
    assert found["backend"] == backend and found["ended_s"] < 30
    if backend == "gtk":
        assert found["tooltip"] == LINE  # pystray sets only a title, which no tray shows on hover


def test_stop_ends_the_x11_loop_even_when_its_window_notice_is_lost(monkeypatch):
    """What trayer sometimes does to pystray's bare X11 icon (reproduced by hand under Xvfb, not on
    every desktop): the window is destroyed but its loop never hears of it, and waits on X. The
    icon is faked at pystray's boundary: a loop that only a closed X connection ends."""
    import threading
    import types

    from trayagent.messages import Messages
    from trayagent.platform import tray_backends
    from trayagent.ui import tray

    class Display:
        def __init__(self) -> None:
            self.closed = threading.Event()

        def close(self) -> None:
            self.closed.set()

    class Icon:  # pystray 0.19's _xorg Icon as far as trayagent touches it
        HAS_NOTIFICATION = False

        def __init__(self, name, icon, title, menu) -> None:
            self.icon, self.title, self._display = icon, title, Display()

        def run(self, setup) -> None:
            setup(self)
            self._display.closed.wait(30)  # the lost DestroyNotify: only the connection's end wakes it

        def stop(self) -> None:
            pass  # destroys the window; the notice never comes

        def update_menu(self) -> None:
            pass

    Icon.__module__ = "pystray._xorg"
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")
    monkeypatch.setitem(sys.modules, "pystray", types.SimpleNamespace(Icon=Icon, MenuItem=lambda *a, **k: None,
                                                                       Menu=_Menu))
    monkeypatch.setattr(tray_backends, "STOP_WAIT_S", 0.2)
    view = tray.PystrayView(tray.MenuModel(Messages("en"), lambda *a, **k: None, lambda: "off"))
    ended = threading.Event()
    loop = threading.Thread(target=lambda: (view.run(lambda: None), ended.set()))
    loop.start()
    view.stop()
    assert ended.wait(10) and view.icon._display.closed.is_set()
    loop.join()


class _Menu:
    SEPARATOR = None

    def __init__(self, *items) -> None:
        self.items = items
