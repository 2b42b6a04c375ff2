"""The gettext catalogues: every text the code marks is translated into Korean, with the same
placeholders, in the polite style; the runtime's reading of a .po matches Babel's compiled .mo."""

from __future__ import annotations

import gettext
import io
import os
import re
import string
from functools import lru_cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import trayagent
from tests.korean import NAMES
from tests.korean import code_removed as _code_removed
from trayagent import i18n, paths, wording

PACKAGE = Path(trayagent.__file__).parent
KO_PO = paths.catalogue("ko")


def _fields(s: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(s) if f}


# argparse's own messages (listed in trayagent/cli_language.py) have %-style placeholders, which
# string.Formatter does not see: %(name)s by name, %s in order.
_PERCENT = re.compile(r"%(?:\(([a-z_]+)\))?[sdr]")
# ... except the type in "invalid %(type)s value", Python's name for it (int, float), which a translation
# leaves out (see cli_language.py); argparse fills the message from a dict, so an unused name is no error.
_PERCENT_LEFT_OUT = {"invalid %(type)s value: %(value)r": {"type"}}


def _percent_fields(s: str) -> tuple[int, set[str]]:
    """How many unnamed %s, and the names of the %(name)s."""
    found = [m[1] for m in _PERCENT.finditer(s)]
    return found.count(None), {name for name in found if name}


def _catalogue():
    with KO_PO.open("rb") as f:
        return read_po(f, locale="ko")


@lru_cache(maxsize=1)
def _marked_in_code() -> frozenset[str]:
    return frozenset((m[2][0] if isinstance(m[2], tuple) else m[2]) for m in extract_from_dir(str(PACKAGE)))


def _ko_entries():
    return [m for m in _catalogue() if m.id]


def test_every_marked_text_has_a_korean_translation():
    cat = _catalogue()
    marked = _marked_in_code()
    assert len(marked) > 50
    missing = sorted(mid for mid in marked if mid not in cat or not all(
        cat[mid].string if isinstance(cat[mid].string, tuple) else (cat[mid].string,)))
    assert not missing, f"no Korean for {missing} (pybabel update, then translate; trayagent/locale/README.md)"
    fuzzy = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def test_the_catalogue_has_no_text_the_code_no_longer_uses():
    marked = _marked_in_code()
    stale = sorted(mid for m in _ko_entries() if (mid := m.id if isinstance(m.id, str) else m.id[0]) not in marked)
    assert not stale, f"remove from the catalogue (pybabel update drops them): {stale}"


@pytest.mark.parametrize("entry", _ko_entries(), ids=lambda m: (m.id if isinstance(m.id, str) else m.id[0])[:40])
def test_translation_keeps_the_placeholders_and_reads_korean(entry):
    msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    for msgstr in strings:
        extra = wording.EXTRA_FIELDS.get(msgid, set())
        if extra:
            assert _fields(msgstr) <= _fields(msgid) | extra, msgstr
        else:
            assert _fields(msgstr) == _fields(msgid), (msgid, msgstr)
        unnamed, names = _percent_fields(msgid)
        assert _percent_fields(msgstr) == (unnamed, names - _PERCENT_LEFT_OUT.get(msgid, set())), (msgid, msgstr)
        # Untranslated: Latin words left outside placeholders and names.
        bare = _code_removed(msgstr)
        latin = {w for w in re.findall(r"[A-Za-z]{2,}", bare)} - NAMES
        assert not latin, f"{msgstr!r} keeps English words {latin}"
        words = set(re.findall(r"[A-Za-z]+", _code_removed(msgid)))
        if words - NAMES:
            assert re.search(r"[\uac00-\ud7a3]", msgstr), f"{msgstr!r} has no Hangul"
        # Sentences in the polite formal style of the rest of the interface (합니다체 / 해요체 requests).
        if msgstr.endswith("."):
            assert re.search(r"(니다|세요|시오)( \([^)]*\))?\.$", msgstr), f"{msgstr!r}: end with -니다 or -세요"


def test_runtime_reading_of_the_po_matches_babels_compiled_mo():
    buf = io.BytesIO()
    write_mo(buf, _catalogue())
    babel = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    ours = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(KO_PO.read_text(encoding="utf-8"))))
    assert ours._catalog == babel._catalog  # type: ignore[attr-defined]
    assert ours.ngettext("{n} call", "{n} calls", 3) == "통화 {n}건"


def test_a_compiled_mo_is_preferred_only_while_it_is_up_to_date(tmp_path, monkeypatch):
    po = tmp_path / "ko" / "LC_MESSAGES" / "trayagent.po"
    po.parent.mkdir(parents=True)
    po.write_text(KO_PO.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(paths, "catalogue", lambda lang: tmp_path / lang / "LC_MESSAGES" / "trayagent.po")
    i18n.translation.cache_clear()
    try:
        assert i18n.translation("ko").gettext("Quit") == "끝내기"
        buf = io.BytesIO()
        cat = _catalogue()
        cat["Quit"].string = "그만"
        write_mo(buf, cat)
        po.with_suffix(".mo").write_bytes(buf.getvalue())
        i18n.translation.cache_clear()
        assert i18n.translation("ko").gettext("Quit") == "그만"  # as a wheel: the .mo is read
        os.utime(po.with_suffix(".mo"), (0, 0))  # older than the .po: ignored
        i18n.translation.cache_clear()
        assert i18n.translation("ko").gettext("Quit") == "끝내기"
    finally:
        i18n.translation.cache_clear()


def test_korean_formats_dates_and_lengths_the_korean_way():
    from datetime import date, datetime

    assert wording.day(date(2026, 3, 5), "ko") == "3월 5일 (목)"
    assert wording.day(date(2026, 3, 5), "ko", year=True) == "2026년 3월 5일 (목)"
    assert wording.day(date(2026, 3, 5), "en") == "Thu 5 Mar"
    assert wording.clock(datetime(2026, 3, 5, 22, 26), "ko") == "오후 10:26"
    assert wording.clock(datetime(2026, 3, 5, 0, 5), "ko") == "오전 12:05"
    assert wording.clock(datetime(2026, 3, 5, 22, 26), "en") == "22:26"
    assert wording.duration(247, "ko") == "4분 7초"
    assert wording.duration(3900, "ko") == "1시간 5분"
    assert wording.duration(45, "en") == "45 s"
    assert wording.minutes_words(14 * 60 + 10, "ko") == "14분"
    assert wording.minutes_words(60, "en") == "1 minute"
    assert wording.minutes_words(3900, "en") == "1 hour 5 minutes"


def test_an_index_that_rounds_to_zero_has_no_sign():
    assert wording.index(-1.7e-18) == "0.00"
    assert wording.index(-0.004) == "0.00"
    assert wording.index(0.4249) == "+0.42"
    assert wording.index(-0.1) == "-0.10"


@pytest.mark.slow
def test_a_wheel_carries_the_compiled_catalogues(tmp_path):
    import subprocess
    import sys
    import zipfile

    repo = PACKAGE.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(repo)],
                   check=True, timeout=600)
    (wheel,) = tmp_path.glob("trayagent-*.whl")
    with zipfile.ZipFile(wheel) as z:
        mo = z.read("trayagent/locale/ko/LC_MESSAGES/trayagent.mo")
    assert gettext.GNUTranslations(io.BytesIO(mo)).gettext("Quit") == "끝내기"


GLOSSARY = Path(__file__).resolve().parent.parent / "trayagent" / "locale" / "glossary.md"


def _glossary() -> list[dict[str, list[str]]]:
    """The rows of trayagent/locale/glossary.md: each cell split on ' / '."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("term", "") or set(cells[0]) <= set("-"):
            continue
        rows.append({k: [w.strip() for w in v.split(" / ") if w.strip()]
                     for k, v in zip(("term", "korean", "where", "why", "never"), cells)})
    return rows


@pytest.mark.parametrize("row", _glossary(), ids=lambda r: r["term"][0])
def test_the_korean_follows_the_glossary(row):
    """Each text the glossary names uses its Korean term, and the words it rules out appear nowhere."""
    catalogue = _catalogue()
    for msgid in row["where"]:
        entry = catalogue.get(msgid)
        assert entry is not None, f"glossary names {msgid!r}, which the catalogue does not hold"
        assert any(term in entry.string for term in row["korean"]), (msgid, entry.string, row["korean"])
    for entry in catalogue:
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for word in row["never"]:
            assert not any(word in s for s in strings if s), (word, entry.id, entry.string)
