"""Settings: defaults < machine policy (IT) < user file, where a key set by policy stays locked.

Each setting is declared once in SETTINGS with its default, what is allowed and a comment; the
validation, the error messages and the commented default file all come from that table.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.core.stress import Thresholds

log = logging.getLogger(__name__)

SOFTPHONES = (
    "microsip.exe", "zoiper5.exe", "zoiper.exe", "3cxdesktopapp.exe", "briaenterprise.exe", "bria5.exe",
    "ciscojabber.exe", "ms-teams.exe", "teams.exe", "zoom.exe", "ciscocollabhost.exe", "webex.exe",
    "microsip", "zoiper", "linphone", "baresip",
)


class ConfigError(TrayagentError):
    pass


@dataclass(frozen=True)
class Setting:
    default: Any
    allowed: str  # said to the user when a value is refused
    check: Callable[[Any], bool]
    comment: str


def _int(lo: int, hi: int) -> tuple[str, Callable[[Any], bool]]:
    return f"an integer from {lo} to {hi}", lambda v: type(v) is int and lo <= v <= hi


def _num(lo: float, hi: float) -> tuple[str, Callable[[Any], bool]]:
    return (f"a number from {lo:g} to {hi:g}",
            lambda v: type(v) in (int, float) and lo <= v <= hi)


def _choice(*options: str) -> tuple[str, Callable[[Any], bool]]:
    return "one of " + ", ".join(f'"{o}"' for o in options), lambda v: v in options


_BOOL = ("true or false", lambda v: type(v) is bool)
_STR = ("a string", lambda v: type(v) is str)
_STRS = ("a list of strings", lambda v: type(v) is list and all(type(s) is str for s in v))


def _s(default: Any, rule: tuple[str, Callable[[Any], bool]], comment: str) -> Setting:
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
        "max_call_min": _s(240.0, _num(1, 1440), "A call still open after this long is ended."),
    },
    "stress": {
        "calm_below": _s(Thresholds.calm_below, _num(-10, 10),
                         "Below this index the icon is green (about 6 s of net stressed expression at 2 fps)."),
        "alert_from": _s(Thresholds.alert_from, _num(-10, 10),
                         "From this index the icon is red and a break is suggested after the call."),
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


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None


def _validated(path: Path, doc: dict[str, Any]) -> dict[tuple[str, str], Any]:
    out = {}
    for section, table in doc.items():
        if section not in SETTINGS:
            raise ConfigError(f"{path}: unknown section [{section}]; known: {', '.join(SETTINGS)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of settings")
        for key, value in table.items():
            setting = SETTINGS[section].get(key)
            if setting is None:
                raise ConfigError(f"{path}: unknown key {section}.{key}; "
                                  f"[{section}] has {', '.join(SETTINGS[section])}")
            if not setting.check(value):
                raise ConfigError(f"{path}: {section}.{key} = {value!r} is not allowed; use {setting.allowed}")
            out[(section, key)] = float(value) if type(setting.default) is float else value
    return out


def defaults() -> Config:
    return Config({s: {k: st.default for k, st in keys.items()} for s, keys in SETTINGS.items()})


def load_or_defaults() -> Config:
    """The settings for whatever must run anyway (the daemon, a graph window, a command): a broken
    file is logged, and the defaults stand in with the problem on `problem` for the tray to show."""
    try:
        cfg = load()
    except ConfigError as e:
        log.error("%s; using the default settings", e)
        return replace(defaults(), problem=str(e))
    for w in cfg.warnings:
        log.warning("%s", w)
    return cfg


def load(policy: Path | None = None, user: Path | None = None) -> Config:
    policy = paths.policy_file() if policy is None else policy
    user = paths.config_file() if user is None else user
    values = defaults().values
    locked: set[tuple[str, str]] = set()
    warnings: list[str] = []
    sources = []
    if policy.exists():
        sources.append(policy)
        for (s, k), v in _validated(policy, _read(policy)).items():
            values[s][k] = v
            locked.add((s, k))
    if user.exists():
        sources.append(user)
        for (s, k), v in _validated(user, _read(user)).items():
            if (s, k) in locked:
                warnings.append(f"{user}: {s}.{k} is set by your organisation's policy ({policy}); "
                                "your value is ignored")
                continue
            values[s][k] = v
    if values["stress"]["calm_below"] > values["stress"]["alert_from"]:
        raise ConfigError(f"{', '.join(map(str, sources))}: stress.calm_below "
                          f"({values['stress']['calm_below']}) must not exceed stress.alert_from "
                          f"({values['stress']['alert_from']})")
    return Config(values, frozenset(locked), tuple(warnings), tuple(sources))


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
