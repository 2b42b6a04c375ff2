"""A font that has Hangul for everything matplotlib draws, whatever the language (a Korean name or
folder can turn up in English text too).

matplotlib's default, DejaVu Sans, has no Hangul: Korean would come out as empty boxes with a
"Glyph ... missing from font" warning. Each platform's usual Korean font is tried in turn; DejaVu
Sans stays last in the family list, so Latin text falls back cleanly when none is installed.
"""

from __future__ import annotations

import logging
from functools import lru_cache

log = logging.getLogger(__name__)

HANGUL_FONTS = (
    "Malgun Gothic",  # Windows 8 and later
    "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",  # Linux desktops (fonts-noto-cjk)
    "NanumGothic", "NanumBarunGothic",  # Debian/Ubuntu fonts-nanum (what CI installs)
    "Apple SD Gothic Neo", "AppleGothic",  # macOS
    "Gulim", "Dotum",  # older Windows
)

FILE_HINTS = ("malgun", "notosanscjk", "notosanskr", "sourcehansans", "nanum", "applesdgothic", "gulim")


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The first installed font of HANGUL_FONTS, or None (then Korean cannot be drawn)."""
    from matplotlib import font_manager

    def first() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in HANGUL_FONTS if name in installed), None)

    found = first()
    if found is None:
        # matplotlib's font list is cached from its first run: a font installed since is missing.
        for path in font_manager.findSystemFonts():
            if any(k in path.lower() for k in FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = first()
    if found is None:
        log.warning("no font with Hangul found (tried %s); Korean text in graphs will not show",
                    ", ".join(HANGUL_FONTS))
    return found


def use_hangul_font() -> str | None:
    """Put the Hangul font first in matplotlib's sans-serif family; returns its name."""
    import matplotlib

    found = hangul_font()
    if found:
        rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f != found]
        matplotlib.rcParams["font.sans-serif"] = [found, *rest]
        matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # U+2212 is missing from some Korean fonts
    return found
