"""Run by tests/test_tray_backends.py in a desktop: the real tray on one pystray backend, shown a few
statuses from another thread as the controller does, then stopped as `trayagent stop` does. Prints
one JSON line: the backend, the tooltip GTK holds (if any), and how long until the tray's loop ended."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

LINE = "통화 중 00:03: 스트레스 약간 높음 (0.31)"


def main(backend: str) -> None:
    os.environ["PYSTRAY_BACKEND"] = backend
    from trayagent.core.tray_status import TrayStatus
    from trayagent.messages import Messages
    from trayagent.ui.tray import MenuModel, PystrayView

    view = PystrayView(MenuModel(Messages("ko"), lambda *a, **k: None, lambda: "off"))
    found: dict = {"backend": type(view.icon).__module__.rsplit("_", 1)[-1], "tooltip": None}

    def controller() -> None:
        time.sleep(0.5)  # as the controller's thread does, after the tray came up
        looks = ("calm", "elevated", "unseen", "alert") * 3 + ("elevated",)  # a lively call: the icon changes
        for i, look in enumerate(looks):
            view.show(TrayStatus(look, LINE if i == len(looks) - 1 else f"통화 중 00:{i:02d}", in_call=True))
            time.sleep(0.1)
        status_icon = getattr(view.icon, "_status_icon", None)
        if status_icon is not None:
            from gi.repository import GLib

            read = threading.Event()
            GLib.idle_add(lambda: found.update(tooltip=status_icon.get_tooltip_text()) or read.set())
            read.wait(5)
        view.stop()

    started = time.monotonic()
    view.run(lambda: threading.Thread(target=controller, daemon=True).start())
    found["ended_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(found, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
