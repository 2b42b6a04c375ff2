"""makensis: compiles trayagent.nsi (target amd64-unicode) around the staged folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from common import NSI, BuildError, numeric_version, run


def find_makensis() -> str:
    exe = shutil.which("makensis")
    if exe:
        return exe
    if os.name == "nt":
        for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
            if base and Path(base, "NSIS", "makensis.exe").is_file():
                return str(Path(base, "NSIS", "makensis.exe"))
    raise BuildError("makensis not found: apt-get install nsis (Windows: install NSIS 3 and put it on PATH)")


def run_makensis(stage: Path, out: Path, version: str, compressor: str, installed_kb: int) -> None:
    makensis = find_makensis()
    flag = "-" if os.name != "nt" else "/"
    defines = {
        "VERSION": version,
        "VERSION_NUMERIC": numeric_version(version),
        "STAGE": str(stage),
        "OUTFILE": str(out),
        "COMPRESSOR": compressor,
        "INSTALLED_KB": str(installed_kb),
    }
    cmd = [makensis, f"{flag}V2", f"{flag}INPUTCHARSET", "UTF8"]
    cmd += [f"{flag}D{k}={v}" for k, v in defines.items()]
    cmd.append(str(NSI))
    run(cmd)
