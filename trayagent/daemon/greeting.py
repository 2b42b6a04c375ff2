"""What `trayagent run` says once when started by hand in a terminal, then it stays quiet: whether
there is a tray icon, how calls will be detected, the camera, where data goes and how to stop."""

from __future__ import annotations

from pathlib import Path

from trayagent.i18n import _


def greeting(*, tray: bool, asked_no_tray: bool, signal_name: str | None, hotkey: str | None,
             camera: int | Path, data: Path) -> list[str]:
    if tray:
        first = _("trayagent is running: its icon is in the system tray.")
    elif asked_no_tray:
        first = _("trayagent is running without a tray icon (--no-tray).")
    else:
        first = _("trayagent is running without a tray icon: no desktop tray was found.")
    if signal_name is None:
        calls = _("Calls start and end when you say so: `trayagent call start` and `trayagent call end`.")
    elif "microphone" in signal_name:
        calls = _("Calls are detected when a softphone uses the microphone; `trayagent call start` and "
                  "`trayagent call end` work too.")
    else:
        calls = _("Calls are detected from a softphone's network activity (no microphone signal here); "
                  "`trayagent call start` and `trayagent call end` work too")
    if hotkey:
        calls += " " + _("The hotkey {keys} starts and ends a call too.").format(keys=hotkey)
    if isinstance(camera, Path):
        cam = _("A video file plays the camera: {path}.").format(path=camera)
    else:
        cam = _("Camera {index} is opened only during calls.").format(index=camera)
    return [first, calls + " " + cam,
            _("Numbers only, never images, are kept in {folder}. To stop: Ctrl+C, or `trayagent stop`.").format(
                folder=data)]
