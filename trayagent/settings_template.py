"""The settings files trayagent writes: every setting commented out at its default, for the user's
first run and for IT's policy template."""

from __future__ import annotations

from typing import Any

from trayagent.settings_table import SETTINGS


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
    """The machine policy template the installer puts beside policy.toml, and as policy.toml when
    it is given no /POLICY."""
    return _template([
        "# trayagent machine policy template, installed as %ProgramData%\\trayagent\\policy.example.toml",
        "# (and as policy.toml, enforcing nothing, when setup is given no policy).",
        "#",
        "# To enforce settings on every account of this PC, uncomment the keys to enforce in a copy and",
        "# install it with /POLICY=path\\to\\policy.toml. A key set in policy.toml wins over the user's own",
        "# settings and cannot be changed by users; keys left commented stay under each user's control,",
        "# starting from the default shown. Only the policy.toml setup wrote counts: setup moves any other",
        "# aside (policy.toml.found-DATE), and trayagent refuses one a user owns or may change.",
        "# trayagent reads the policy when it starts."])
