"""Translations: gettext catalogues in trayagent/locale/<language>/LC_MESSAGES/trayagent.po.

English is the source language (the msgids), Korean the translation (the paper's agents are Korean).
A wheel carries the .mo files compiled at build time (hatch_build.py, with Babel); a source checkout
or an editable install has only the .po files, so a catalogue without an up-to-date .mo is compiled
in memory here. Either way gettext's own GNUTranslations does the lookup and the plural rules.

Code marks text with `_()` (translated now, in the language chosen by `use()`), `ngettext()` and
`N_()` (marked for the catalogue, translated later); `pybabel extract` and tests/test_i18n.py find
exactly these calls.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
from functools import cache

from trayagent import paths
from trayagent.platform.language import system_language

__all__ = ["DOMAIN", "LANGUAGES", "N_", "_", "compile_po", "current_language", "ngettext", "parse_po", "resolve",
           "system_language", "translation", "use"]

DOMAIN = "trayagent"
LANGUAGES = ("en", "ko")


def N_(message: str) -> str:
    """Marks a message for the catalogue where it must be translated later (tables, defaults)."""
    return message


def resolve(language: str) -> str:
    """'auto' (the settings' default) becomes the OS language; anything else must be known."""
    if language == "auto":
        return system_language()
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return language


@cache
def translation(language: str) -> gettext.NullTranslations:
    language = resolve(language)
    if language == "en":
        return gettext.NullTranslations()  # the msgids are the English text
    po = paths.catalogue(language)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    return gettext.GNUTranslations(io.BytesIO(compile_po(po.read_text(encoding="utf-8"))))


_language = "auto"


def use(language: str) -> None:
    """Choose the language of `_()` for this process (the CLI does, from `ui.language`)."""
    global _language
    _language = resolve(language)


def current_language() -> str:
    return resolve(_language)


def _(message: str) -> str:
    return translation(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translation(_language).ngettext(singular, plural, n)


# -- a minimal .po reader and .mo writer (GNU gettext's file formats), so that a source checkout
# needs no build step. Babel compiles the wheel's .mo files; tests check both read the same.

def parse_po(text: str) -> dict[str, str]:
    """{msgid: msgstr} with plural forms joined by NUL as in a .mo file; fuzzy and untranslated
    entries are left out, as msgfmt does. The header is the entry with the empty msgid."""
    entries: dict[str, str] = {}
    fields: dict[str, list[str]] = {}
    key: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, fuzzy
        if "msgid" in fields:
            msgid = "".join(fields["msgid"])
            if "msgid_plural" in fields:
                msgid += "\0" + "".join(fields["msgid_plural"])
                forms = [("".join(v)) for k, v in sorted(fields.items()) if k.startswith("msgstr[")]
                msgstr = "\0".join(forms)
                translated = all(forms)
            else:
                msgstr = "".join(fields.get("msgstr", []))
                translated = bool(msgstr)
            if "msgctxt" in fields:
                msgid = "".join(fields["msgctxt"]) + "\x04" + msgid
            if translated and (not fuzzy or not msgid):
                entries[msgid] = msgstr
        fields, fuzzy = {}, False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        complete = any(k.startswith("msgstr") for k in fields)
        if line.startswith("#"):  # comments open the next entry
            if complete:
                flush()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            if key is None:
                raise ValueError(f"stray string in catalogue: {raw!r}")
            fields[key].append(ast.literal_eval(line))
            continue
        word, _sep, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and complete:
            flush()
        key = word
        fields[key] = [ast.literal_eval(rest.strip())]
    flush()
    return entries


def compile_po(text: str) -> bytes:
    """The .mo bytes of a .po file's text (little-endian, no hash table: gettext needs none)."""
    entries = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in parse_po(text).items())
    n = len(entries)
    ids_at, strs_at = 28, 28 + n * 8
    data_at = 28 + n * 16
    ids, strs, blob = [], [], b""
    for k, _v in entries:
        ids.append((len(k), data_at + len(blob)))
        blob += k + b"\0"
    for _k, v in entries:
        strs.append((len(v), data_at + len(blob)))
        blob += v + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, n, ids_at, strs_at, 0, 0)
    table = b"".join(struct.pack("<2I", *e) for e in ids) + b"".join(struct.pack("<2I", *e) for e in strs)
    return header + table + blob
