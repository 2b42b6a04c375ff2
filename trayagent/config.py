"""Settings: defaults < machine policy (IT) < user file, where a key set by policy stays locked.

Each setting is declared once in settings_table.py with its default, what is allowed and a comment
(settings_schema.py says what those are and checks values); settings_file.py reads a file and
settings_template.py writes the commented default file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trayagent import paths
from trayagent.core.errors import ConfigError
from trayagent.core.stress import Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import _
from trayagent.platform import policy_owner
from trayagent.settings_file import read as _read
from trayagent.settings_schema import Setting
from trayagent.settings_schema import check_bands as _check_bands
from trayagent.settings_schema import validated as _validated
from trayagent.settings_table import SETTINGS, SOFTPHONES
from trayagent.settings_template import default_text, policy_template

__all__ = ["SETTINGS", "SOFTPHONES", "Config", "ConfigError", "Setting", "default_text", "defaults", "load",
           "load_or_defaults", "policy_template"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    values: dict[str, dict[str, Any]]
    locked: frozenset[tuple[str, str]] = frozenset()  # (section, key) set by policy
    warnings: tuple[str, ...] = ()
    sources: tuple[Path, ...] = field(default=())
    problem: str | None = None  # why these are the defaults instead (load_or_defaults)

    def __getitem__(self, dotted: str) -> Any:
        section, key = dotted.split(".")
        return self.values[section][key]

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self["stress.calm_below"], self["stress.alert_from"])

    @property
    def visibility(self) -> VisibilityThresholds:
        return VisibilityThresholds(**self.values["visibility"])


def defaults() -> Config:
    return Config({s: {k: st.default for k, st in keys.items()} for s, keys in SETTINGS.items()})


def load_or_defaults() -> Config:
    """The settings for whatever must run anyway (the daemon, a graph window, a command): a bad
    value falls back alone, a policy key IT got wrong stays locked at its default, and only a policy
    that cannot be read at all leaves pure defaults (never the user's file: it must not escape a
    policy). Problems are logged and kept on `problem` for the tray to show."""
    try:
        cfg = load(strict_policy=False)
    except ConfigError as e:
        log.error("%s; using the default settings", e)
        return replace(defaults(), problem=str(e))
    for w in cfg.warnings:
        log.warning("%s", w)
    return cfg


def load(policy: Path | None = None, user: Path | None = None, *, strict_policy: bool = True) -> Config:
    """Defaults < policy < user. A problem in the user's file costs only the value at fault (a
    warning, and `problem` set); the policy always holds. With `strict_policy` (the installer's
    check, the default) any problem in the policy raises ConfigError; without it a refused policy
    value still locks its key, at the default. A policy that cannot be read raises either way."""
    env_policy = os.environ.get("TRAYAGENT_POLICY")
    policy_given = policy is not None
    policy = paths.policy_file() if policy is None else policy
    user = paths.config_file() if user is None else user
    values = defaults().values
    locked: set[tuple[str, str]] = set()
    notes: list[str] = []  # worth knowing, nothing to fix
    problems: list[str] = []  # a value refused: shown in the tray, doctor says FIX
    sources = []
    if not policy_given and env_policy and Path(env_policy) != policy:
        notes.append(_("{variable} is ignored: your organisation's policy {policy} applies").format(
            variable="TRAYAGENT_POLICY", policy=policy))
    if os.path.lexists(policy):
        if not policy_given and policy == paths.machine_policy_file():
            policy_owner.check(policy)  # IT's policy only: a user's stand-in (TRAYAGENT_POLICY) is their own
        sources.append(policy)
        policy_problems: list[str] = []
        refused: list[str] = []  # values refused (not unknown keys): their keys stay locked at the default
        doc = _read(policy)
        for (s, k), v in _validated(policy, doc, policy_problems, SETTINGS, refused).items():
            values[s][k] = v
            locked.add((s, k))
        if policy_problems and strict_policy:
            raise ConfigError(policy_problems[0])
        for section, table in doc.items():  # a key IT meant to set stays out of the user's reach
            if section in SETTINGS and isinstance(table, dict):
                locked.update((section, k) for k in table if k in SETTINGS[section])
        problems += [_("{problem} (kept at the default, locked)").format(problem=p) if p in refused else p
                     for p in policy_problems]
        _check_bands(values, policy, raise_error=True)
    if os.path.lexists(user):
        try:
            doc = _read(user)
        except ConfigError as e:
            problems.append(_("{problem}; your settings file is not used").format(problem=e))
            doc = {}
        if doc:
            sources.append(user)
        before = {s: dict(t) for s, t in values.items()}
        for (s, k), v in _validated(user, doc, problems, SETTINGS).items():
            if (s, k) in locked:
                notes.append(_("{path}: {key} is set by your organisation's policy ({policy}); your value is "
                               "ignored").format(path=user, key=f"{s}.{k}", policy=policy))
                continue
            values[s][k] = v
        if not _check_bands(values, user, raise_error=False, problems=problems):
            values["stress"] = before["stress"]
    problem = None
    if problems:
        problem = problems[0] if len(problems) == 1 else _("{problem} (and {n} more)").format(
            problem=problems[0], n=len(problems) - 1)
    return Config(values, frozenset(locked), tuple(problems + notes), tuple(sources), problem)


def policy_problem(policy: Path) -> str | None:
    """What is wrong with a policy file IT is about to deploy, in the user's language, or None when
    the app would take it whole. Setup runs this before it changes anything (installer/trayagent.nsi);
    the installing administrator's own settings have no say, so the user file is the empty null device."""
    try:
        load(policy=policy, user=Path(os.devnull))
    except ConfigError as e:
        return str(e)
    return None
