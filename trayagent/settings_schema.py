"""What a setting is and what it allows: a small language for declaring settings (Setting, Allowed
and the rules), checking a file's values against the table (settings_table.py) and the one rule
across settings, that the stress bands are in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayagent.core.errors import ConfigError
from trayagent.i18n import N_, _
from trayagent.wording import short

Rule = tuple["Allowed", Callable[[Any], bool]]


@dataclass(frozen=True)
class Allowed:
    """What a setting allows, kept in parts: worded in the reader's language when a value is refused
    (the table is built before the language is known); str() is the English the settings template writes."""
    pattern: str  # marked with N_ for the catalogue
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.pattern.format(**dict(self.fields))

    def words(self) -> str:
        return _(self.pattern).format(**dict(self.fields))


@dataclass(frozen=True)
class Setting:
    default: Any
    allowed: Allowed  # said to the user when a value is refused
    check: Callable[[Any], bool]
    comment: str


def integer(lo: int, hi: int) -> Rule:
    return (Allowed(N_("an integer from {lo} to {hi}"), (("lo", str(lo)), ("hi", str(hi)))),
            lambda v: type(v) is int and lo <= v <= hi)


def number(lo: float, hi: float) -> Rule:
    return (Allowed(N_("a number from {lo} to {hi}"), (("lo", f"{lo:g}"), ("hi", f"{hi:g}"))),
            lambda v: type(v) in (int, float) and lo <= v <= hi)


def choice(*options: str) -> Rule:
    return (Allowed(N_("one of {choices}"), (("choices", ", ".join(f'"{o}"' for o in options)),)),
            lambda v: v in options)


BOOL = (Allowed(N_("{true} or {false}"), (("true", "true"), ("false", "false"))), lambda v: type(v) is bool)
MAX_TEXT = 4096  # longest string value (a Windows long path is at most 32767, a real one far less)
STR = (Allowed(N_("a string of at most {n} characters"), (("n", str(MAX_TEXT)),)),
       lambda v: type(v) is str and len(v) <= MAX_TEXT)
STRS = (Allowed(N_("a list of at most {n} strings"), (("n", "256"),)), lambda v: type(v) is list and len(v) <= 256
        and all(type(s) is str and len(s) <= 260 for s in v))


def setting(default: Any, rule: Rule, comment: str) -> Setting:
    return Setting(default, rule[0], rule[1], comment)


def validated(path: Path, doc: dict[str, Any], problems: list[str],
              settings: dict[str, dict[str, Setting]],
              refused: list[str] | None = None) -> dict[tuple[str, str], Any]:
    """The valid settings of a file; each refused section, key or value adds one line to `problems`
    (the lines about refused values also to `refused`, when given)."""
    out = {}
    for section, table in doc.items():
        if section not in settings:
            problems.append(_("{path}: unknown section [{section}]; known: {known}").format(
                path=path, section=short(section)[1:-1], known=", ".join(settings)))
            continue
        if not isinstance(table, dict):
            problems.append(_("{path}: [{section}] must be a table of settings").format(path=path, section=section))
            continue
        for key, value in table.items():
            setting = settings[section].get(key)
            if setting is None:
                problems.append(_("{path}: unknown key {key}; [{section}] has {known}").format(
                    path=path, key=f"{section}.{short(key)[1:-1]}", section=section,
                    known=", ".join(settings[section])))
            elif not setting.check(value):
                line = _("{path}: {key} = {value} is not allowed; use {allowed}").format(
                    path=path, key=f"{section}.{key}", value=short(value), allowed=setting.allowed.words())
                problems.append(line)
                if refused is not None:
                    refused.append(line)
            else:
                out[(section, key)] = float(value) if type(setting.default) is float else value
    return out


def check_bands(values: dict[str, dict[str, Any]], path: Path, raise_error: bool,
                 problems: list[str] | None = None) -> bool:
    calm, alert = values["stress"]["calm_below"], values["stress"]["alert_from"]
    if calm <= alert:
        return True
    message = _("{path}: stress.calm_below ({calm}) must not exceed stress.alert_from ({alert})").format(
        path=path, calm=calm, alert=alert)
    if raise_error:
        raise ConfigError(message)
    assert problems is not None
    problems.append(message + _("; both stay as before"))
    return False
