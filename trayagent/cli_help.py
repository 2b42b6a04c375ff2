"""The CLI's --help laid out in screen columns: a Hangul syllable (any wide character) takes two,
where argparse counts one."""

from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from trayagent.i18n import _


def _columns(text: str) -> int:
    """The columns `text` takes on a terminal: a Hangul syllable (any wide character) takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken between words as Korean is; a word wider
    than that gets a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and _columns(lines[-1]) + 1 + _columns(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


class ColumnFormatter(argparse.HelpFormatter):
    """argparse's layout measured in screen columns: argparse wraps text by its number of characters,
    which runs Korean twice as wide as it should past the terminal's edge. Text of narrow characters
    only is left to argparse, so English is laid out as before."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        if _columns(text) == len(text):
            return super()._split_lines(text, width)
        return _wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if _columns(text) == len(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in _wrap(text, width - len(indent)))

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        # argparse indents the lines after the first by the prefix's length, and "사용법: " is wider
        # than that: those lines move right by the difference, so all are wrapped that much narrower.
        shown = _("usage: ") if prefix is None else prefix
        extra = _columns(shown) - len(shown)
        self._width -= extra
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += extra
        return text.replace("\n ", "\n" + " " * extra + " ")


class HelpParser(argparse.ArgumentParser):
    """A parser whose help is laid out by ColumnFormatter; add_subparsers makes its commands' parsers of the
    same class."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=ColumnFormatter, **kwargs)
