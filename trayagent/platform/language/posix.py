"""The user's language on Linux (and any POSIX): the locale's environment variables, then Python's locale."""

from __future__ import annotations

import locale
import os


def system_language() -> str:
    """'ko' when the user's locale is Korean, else 'en'."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    code = locale.getlocale()[0] or ""
    return "ko" if code.lower().startswith("ko") else "en"
