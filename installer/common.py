"""What every build step shares: the repository's paths, the error type, logging, hashing, running a
command, and the version numbers."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "installer"
PINS = HERE / "pins.toml"
LOCK = HERE / "requirements-win.txt"
CONSTRAINTS = HERE / "constraints-win.txt"
NSI = HERE / "trayagent.nsi"
MODEL = REPO / "models" / "emotion.onnx"


class BuildError(Exception):
    """A build step failed; the message says what to do."""


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(cmd: list[Any], **kw: Any) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def pip_cmd() -> list[str]:
    return [sys.executable, "-m", "pip"]


def read_version(repo: Path = REPO) -> str:
    text = (repo / "trayagent" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not m:
        raise BuildError("no __version__ = '...' in trayagent/__init__.py")
    return m.group(1)


def numeric_version(version: str) -> str:
    """X.Y.Z.W for the Windows version resource (pre/post/dev parts dropped)."""
    m = re.match(r"^(\d+(?:\.\d+)*)", version)
    nums = [int(n) for n in m.group(1).split(".")][:4] if m else [0]
    return ".".join(str(n) for n in (nums + [0, 0, 0, 0])[:4])


def load_pins(path: Path = PINS) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def folder_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under path."""
    total = count = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            count += 1
    return total, count
