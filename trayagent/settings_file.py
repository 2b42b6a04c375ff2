"""Reading one settings file as Windows editors save it (size, encoding, TOML, nesting): its text
decoded and parsed, nothing checked against the settings (settings_schema.py does that)."""

from __future__ import annotations

import codecs
import re
import tomllib
from pathlib import Path
from typing import Any

from trayagent import os_errors
from trayagent.core.errors import ConfigError
from trayagent.i18n import _, current_language
from trayagent.wording import short

__all__ = ["MAX_FILE_BYTES", "ConfigError", "read"]

MAX_FILE_BYTES = 16 << 20  # settings files are a few KB; far bigger is a mistake, not settings


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))


def _decode(path: Path, data: bytes) -> str:
    """Text as Windows editors save it: UTF-8 with or without a BOM (Notepad), UTF-16 with a BOM
    (PowerShell 5.1 `>` and Out-File), or CP949 (Notepad's "ANSI" on Korean Windows)."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise ConfigError(_("{path}: starts as {encoding} but is not valid {encoding}; "
                                    "save it again as UTF-8").format(path=path, encoding=name)) from None
    if b"\x00" in data:  # never in TOML text; every other character in UTF-16
        raise ConfigError(_("{path}: looks like UTF-16 without a byte-order mark; save it as UTF-8").format(path=path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError:
        raise ConfigError(_("{path}: neither UTF-8 nor CP949 text; save it as UTF-8").format(path=path)) from None


_NESTED = re.compile(r"^\s*([^=\n]{1,60}?)\s*=\s*(?:[\[{]\s*){32}", re.MULTILINE)


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)$")


def _toml_problem(e: tomllib.TOMLDecodeError) -> str:
    """What tomllib found wrong. Its words are English ("Expected ']' at the end of a table
    declaration (at line 1, column 9)"), kept for English readers; other languages get where it is
    in their own words, all a reader needs to find the mistake."""
    text = str(e)
    if current_language() == "en":
        return short(text, 120)[1:-1]
    m = _TOML_AT.search(text)
    if m:
        return _("at line {line}, column {column}").format(line=m[1], column=m[2])
    if text.endswith("(at end of document)"):
        return _("at the end of the file")
    return short(text, 120)[1:-1]  # a wording this Python's tomllib does not use


def read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ConfigError(_("{path}: cannot read ({reason})").format(path=path, reason=os_errors.reason(e))) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(_("{path}: larger than {size} MB; a settings file is a few KB").format(
            path=path, size=MAX_FILE_BYTES >> 20))
    text = _decode(path, data)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(_("{path}: not valid TOML ({error})").format(path=path, error=_toml_problem(e))) from None
    except RecursionError:
        m = _NESTED.search(text)
        where = f"{m.group(1).strip()}: " if m else ""
        raise ConfigError(_("{path}: {where}values nested too deeply; settings are flat").format(
            path=path, where=where)) from None
