"""The language of the OS user interface, 'ko' or 'en': one module per OS with the same function,
chosen once. Below trayagent.i18n (which asks it for "auto"), so it has no words of its own."""

import sys

if sys.platform == "win32":
    from trayagent.platform.language.windows import system_language
else:
    from trayagent.platform.language.posix import system_language

__all__ = ["system_language"]
