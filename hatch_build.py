"""Hatchling build hook: compiles the gettext catalogues (trayagent/locale/*/LC_MESSAGES/*.po) into
the .mo files a wheel carries, with Babel. A source checkout or an editable install reads the .po
files directly (trayagent/i18n.py), so this runs for wheels only."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        out = Path(tempfile.mkdtemp(prefix="trayagent-mo-"))
        for po in sorted(Path(self.root, "trayagent", "locale").glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as f:
                catalogue = read_po(f)
            mo = out / po.relative_to(self.root).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as f:
                write_mo(f, catalogue)  # fuzzy entries left out, as msgfmt does
            build_data["force_include"][str(mo)] = mo.relative_to(out).as_posix()
