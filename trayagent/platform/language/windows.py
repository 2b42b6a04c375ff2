"""The user's language on Windows: the user interface language Windows shows, else as on POSIX."""

from __future__ import annotations

from trayagent.platform.language import posix


def system_language() -> str:
    """'ko' when the Windows user interface is Korean, else 'en'."""
    try:
        import ctypes

        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        return "ko" if lang_id & 0x3FF == 0x12 else "en"  # LANG_KOREAN
    except (AttributeError, OSError):
        return posix.system_language()
