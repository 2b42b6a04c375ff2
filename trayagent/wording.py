"""How numbers, lengths of time, clock times, days and bands read in the user's language.

"4 min 7 s" and "Tue 5 Mar" in English; "4분 7초", "3월 5일 (화)" and "오후 10:26" in Korean. Every
pattern is a catalogue entry, so a translator can change the order of its parts; EXTRA_FIELDS names
the parts a translation may use that the English pattern does not.
"""

from __future__ import annotations

import gettext
import unicodedata
from datetime import date, datetime

from trayagent.i18n import N_, current_language, translation

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))
BANDS = {"calm": N_("calm"), "elevated": N_("raised"), "alert": N_("high")}
EMOTIONS = {"happy": N_("happy"), "neutral": N_("neutral"), "stress": N_("stressed"), "surprise": N_("surprised")}

CLOCK = N_("{hour:02d}:{minute:02d}")
EXTRA_FIELDS = {CLOCK: {"hour12", "ampm"}}  # Korean reads "오후 10:26"


def _t(language: str | None) -> gettext.NullTranslations:
    return translation(language or current_language())


def index(value: float) -> str:
    """+0.42, -1.10, and 0.00 for anything that rounds to zero (never "-0.00")."""
    rounded = round(value, 2)
    return "0.00" if rounded == 0 else f"{rounded:+.2f}"


def level(value: float) -> str:
    """The index as shown to the person (tray, graphs): 0.42, never below 0. The index itself may dip
    under 0 after calm moments (Table 3); a negative level reads as a puzzle, not as calmer."""
    return f"{max(0.0, round(value, 2)):.2f}"


def duration(seconds: float, language: str | None = None) -> str:
    """A length of time, exact to the second under an hour: 45 s, 4 min 7 s, 1 h 5 min."""
    t = _t(language)
    s = max(0, round(seconds))
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    if h:
        return t.gettext("{h} h {m} min").format(h=h, m=m) if m else t.gettext("{h} h").format(h=h)
    if m:
        return t.gettext("{m} min {s} s").format(m=m, s=sec) if sec else t.gettext("{m} min").format(m=m)
    return t.gettext("{s} s").format(s=sec)


def minutes_words(seconds: float, language: str | None = None) -> str:
    """A length in a sentence, rounded: "14 minutes", "40 seconds", "1 hour 5 minutes"."""
    t = _t(language)
    s = max(0, round(seconds))
    if s < 60:
        return t.ngettext("{n} second", "{n} seconds", s).format(n=s)
    m = round(s / 60)
    if m < 60:
        return t.ngettext("{n} minute", "{n} minutes", m).format(n=m)
    h, m = divmod(m, 60)
    hours = t.ngettext("{n} hour", "{n} hours", h).format(n=h)
    return hours if not m else t.gettext("{hours} {minutes}").format(
        hours=hours, minutes=t.ngettext("{n} minute", "{n} minutes", m).format(n=m))


def clock(moment: datetime, language: str | None = None) -> str:
    t = _t(language)
    h = moment.hour
    return t.gettext(CLOCK).format(hour=h, minute=moment.minute, hour12=(h % 12) or 12,
                                   ampm=t.gettext("AM") if h < 12 else t.gettext("PM"))


def day(d: date, language: str | None = None, *, year: bool = False) -> str:
    """Tue 5 Mar (2026) / (2026년) 3월 5일 (화)."""
    t = _t(language)
    pattern = N_("{weekday} {day} {month} {year}") if year else N_("{weekday} {day} {month}")
    return t.gettext(pattern).format(weekday=t.gettext(WEEKDAYS[d.weekday()]), day=d.day,
                                     month=t.gettext(MONTHS[d.month - 1]), year=d.year)


def width(text: str) -> int:
    """Columns a text takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """Text padded to `columns` terminal columns (str.ljust counts a Hangul syllable as one)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def band(name: str, language: str | None = None) -> str:
    return _t(language).gettext(BANDS[name])


def emotion(name: str, language: str | None = None) -> str:
    return _t(language).gettext(EMOTIONS[name])


def short(value: object, limit: int = 60) -> str:
    """A value as the user wrote it (repr), cut so that a 10 MB value still gives a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 10]}... ({len(text)} characters)"
