"""What stays as typed in Korean text (names, settings keys, commands), for tests that look for English left over."""

from __future__ import annotations

import re

from trayagent import config

# Names that stay as they are in Korean text: products, formats, the face detectors, "IT" (the department),
# the systems and programs the call signals and the hotkey work through.
NAMES = {"trayagent", "CSV", "JSON", "ONNX", "OpenCV", "TOML", "UTF", "Haar", "YuNet", "IT",
         "UDP", "Windows", "Wayland", "Debian", "Ubuntu", "pactl", "pynput",
         "CP", "MB", "KB", "GB", "CPU",  # CP949 (Korean Windows text), file sizes, the processor
         "PID", "pid",  # a process id, as Windows' Task Manager says it in Korean too
         "FER"}  # FER2013, the data set the model learnt from
# Settings keys ("camera.index") are typed as they are in every language; taken from config's table.
SETTING_KEYS = sorted((f"{section}.{key}" for section, keys in config.SETTINGS.items() for key in keys),
                      key=len, reverse=True)


def code_removed(s: str) -> str:
    """Text less what stays as typed in every language: placeholders ({name}, and argparse's %(name)s
    and %s), `commands`, --options, dates, settings keys, environment variables."""
    for pattern in (r"\{[^}]*\}", r"%(\([a-z_]+\))?[sdr]", r"`[^`]*`", r"--[a-z][a-z-]*", r"YYYY-MM-DD",
                    r"(?<!\w)\.(csv|json|onnx|png|jpg|avi|mp4)(?![A-Za-z0-9])",  # "VIDEO.png를": a particle may follow
                    r"Ctrl\+C", r"(?<![A-Za-z0-9_])[A-Z]+(_[A-Z]+)+(?![A-Za-z0-9_])"):  # last: TRAYAGENT_HOME
        s = re.sub(pattern, "", s)
    for key in SETTING_KEYS:
        s = re.sub(rf"(?<![A-Za-z0-9_.]){re.escape(key)}(?![A-Za-z0-9_])", "", s)
    return s


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def english_left(text: str, home) -> set[str]:
    """Latin words a Korean reader would meet in `text`, less paths (`home` and any absolute one)
    and what stays as typed."""
    text = text.replace(str(home), "")
    text = re.sub(r"(?:[A-Za-z]:)?[\\/][^\s,;()]+", "", text)  # other absolute paths (the model, the package)
    return {w for w in re.findall(r"[A-Za-z]{2,}", code_removed(text))} - NAMES - {"gray", "bgr", "rgb"}
