"""Settings: defaults < machine policy (IT) < user file, where a key set by policy stays locked.

Each setting is declared once in SETTINGS with its default, what is allowed and a comment; the
validation, the error messages and the commented default file all come from that table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trayagent import paths
from trayagent.core.stress import Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import N_, _
from trayagent.platform import policy_owner
from trayagent.settings_file import ConfigError
from trayagent.settings_file import check_bands as _check_bands
from trayagent.settings_file import read as _read
from trayagent.settings_file import validated as _validated

__all__ = ["SETTINGS", "SOFTPHONES", "Config", "ConfigError", "Setting", "default_text", "defaults", "load",
           "load_or_defaults", "policy_template"]

log = logging.getLogger(__name__)

# Matched by family (signals/softphone.py): "linphone" also covers linphonec and linphone-daemon,
# "zoiper" covers zoiper5, with or without ".exe".
SOFTPHONES = (
    "microsip.exe", "zoiper5.exe", "zoiper.exe", "3cxdesktopapp.exe", "briaenterprise.exe", "bria5.exe",
    "ciscojabber.exe", "ms-teams.exe", "teams.exe", "zoom.exe", "ciscocollabhost.exe", "webex.exe",
    "phonerlite.exe", "onexcui.exe",
    "microsip", "zoiper", "linphone", "baresip", "jami", "twinkle",
)


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


def _int(lo: int, hi: int) -> tuple[Allowed, Callable[[Any], bool]]:
    return (Allowed(N_("an integer from {lo} to {hi}"), (("lo", str(lo)), ("hi", str(hi)))),
            lambda v: type(v) is int and lo <= v <= hi)


def _num(lo: float, hi: float) -> tuple[Allowed, Callable[[Any], bool]]:
    return (Allowed(N_("a number from {lo} to {hi}"), (("lo", f"{lo:g}"), ("hi", f"{hi:g}"))),
            lambda v: type(v) in (int, float) and lo <= v <= hi)


def _choice(*options: str) -> tuple[Allowed, Callable[[Any], bool]]:
    return (Allowed(N_("one of {choices}"), (("choices", ", ".join(f'"{o}"' for o in options)),)),
            lambda v: v in options)


_BOOL = (Allowed(N_("{true} or {false}"), (("true", "true"), ("false", "false"))), lambda v: type(v) is bool)
MAX_TEXT = 4096  # longest string value (a Windows long path is at most 32767, a real one far less)
_STR = (Allowed(N_("a string of at most {n} characters"), (("n", str(MAX_TEXT)),)),
        lambda v: type(v) is str and len(v) <= MAX_TEXT)
_STRS = (Allowed(N_("a list of at most {n} strings"), (("n", "256"),)), lambda v: type(v) is list and len(v) <= 256
         and all(type(s) is str and len(s) <= 260 for s in v))


def _s(default: Any, rule: tuple[Allowed, Callable[[Any], bool]], comment: str) -> Setting:
    return Setting(default, rule[0], rule[1], comment)


SETTINGS: dict[str, dict[str, Setting]] = {
    "camera": {
        "index": _s(0, _int(0, 63), "Which webcam (0 is the first)."),
        "backend": _s("auto", _choice("auto", "dshow", "msmf", "v4l2"),
                      "OpenCV capture backend; try dshow on Windows if the camera opens slowly."),
        "fps": _s(2.0, _num(0.2, 15), "Frames analysed per second during a call."),
        "warmup_s": _s(1.5, _num(0, 10), "Seconds of frames dropped after opening (auto-exposure)."),
    },
    "model": {
        "path": _s("", _STR, "Another emotion model (.onnx) to use; empty means the shipped one."),
    },
    "calls": {
        "auto_detect": _s(True, _BOOL, "Start and end calls from softphone and microphone activity."),
        "softphones": _s(list(SOFTPHONES), _STRS, "Process names counted as softphones (any case)."),
        "microphone": _s(True, _BOOL, "Use 'microphone in use' as a call signal."),
        "hotkey": _s("ctrl+alt+shift+s", _STR, "Global hotkey that starts or ends a call; empty turns it off."),
        "start_confirm_s": _s(2.0, _num(0, 60), "A call signal must hold this long before a call starts."),
        "end_confirm_s": _s(3.0, _num(0, 60), "Signals must stay off this long before a call ends."),
        "min_call_s": _s(5.0, _num(0, 600), "Shorter calls are dropped, not recorded."),
        "udp_hold_s": _s(30.0, _num(0, 600),
                         "Where no microphone signal exists: a softphone's extra UDP sockets count as a call "
                         "only once held this long (ringing opens them too)."),
        "max_call_min": _s(240.0, _num(1, 1440), "A call still open after this long is ended."),
    },
    "stress": {
        "calm_below": _s(Thresholds.calm_below, _num(-10, 10),
                         "Below this index the icon is green (about 6 s of net stressed expression at 2 fps)."),
        "alert_from": _s(Thresholds.alert_from, _num(-10, 10),
                         "From this index the icon is red and a break is suggested after the call."),
    },
    "visibility": {  # defaults measured on the test videos: models/README.md, "Seeing the face"
        "window_s": _s(VisibilityThresholds.window_s, _num(2, 120),
                       "Seconds of a call judged together before the tray says the camera cannot see you."),
        "unseen_share": _s(VisibilityThresholds.unseen_share, _num(0.1, 1),
                           "Share of those seconds the face must be unseen, too dark or backlit to say so."),
        "dark_face": _s(VisibilityThresholds.dark_face, _num(0, 255),
                        "A face darker than this mean grey level (0-255) is too dark to read."),
        "dark_frame": _s(VisibilityThresholds.dark_frame, _num(0, 255),
                         "With no face found, a picture darker than this mean grey level is too dark."),
        "covered_contrast": _s(VisibilityThresholds.covered_contrast, _num(0, 128),
                               "With no face found, a dark picture flatter than this (grey levels' standard "
                               "deviation) means the camera is covered."),
        "backlit": _s(VisibilityThresholds.backlit, _num(1, 50),
                      "The picture around the face this many times brighter than the face: light from behind."),
    },
    "calibration": {
        "strength": _s(1.0, _num(0, 1),
                       "How much of your calibration to apply: 1 maps your relaxed face onto a typical "
                       "neutral one, 0 turns calibration off (models/README.md, Personal calibration)."),
        "clip": _s(1.5, _num(0, 5),
                   "Largest correction of any class, in log-probability (1.5: a factor of 4.5); guards "
                   "against a class the model almost never gives you."),
    },
    "privacy": {
        "retention_days": _s(90, _int(0, 3650), "Calls older than this are deleted; 0 keeps them forever."),
    },
    "ui": {
        "language": _s("auto", _choice("auto", "en", "ko"), "Language of menus and messages."),
        "notify": _s(True, _BOOL, "Suggest a short break after a call that ended in the alert band."),
    },
}


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


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _template(header: list[str]) -> str:
    """Every setting, commented out at its default, under a header saying how the file is used."""
    lines = [*header, ""]
    for section, keys in SETTINGS.items():
        lines.append(f"[{section}]")
        for key, s in keys.items():
            lines.append(f"# {s.comment} Allowed: {s.allowed}.")
            lines.append(f"# {key} = {_toml_value(s.default)}")
        lines.append("")
    return "\n".join(lines)


def default_text() -> str:
    """The user file written at first run."""
    return _template(["# trayagent settings. Uncomment a line to change it. Keys your organisation's policy",
                      "# sets cannot be changed here. Restart trayagent after editing."])


def policy_template() -> str:
    """The machine policy template the installer puts beside policy.toml."""
    return _template([
        "# trayagent machine policy template, installed as %ProgramData%\\trayagent\\policy.example.toml.",
        "#",
        "# To enforce settings on every account of this PC, save a copy as policy.toml in the same folder",
        "# (or pass /POLICY=path\\to\\policy.toml to the installer) and uncomment the keys to enforce.",
        "# A key set in policy.toml wins over the user's own settings and cannot be changed by users;",
        "# keys left commented stay under each user's control, starting from the default shown.",
        "# The installer rewrites this template on every install and never touches policy.toml unless",
        "# given /POLICY=. trayagent reads the policy when it starts."])
