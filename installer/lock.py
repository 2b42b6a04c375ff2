"""The Windows wheels: resolved by uv for the bundled runtime, pinned with their hashes in
requirements-win.txt, fetched with pip --require-hashes.

uv resolves for a platform other than the one it runs on (`--python-platform`), markers included,
so a Linux build machine pins exactly what Windows needs. The lock keeps one hash a package: the
win_amd64 cp311 wheel the runtime gets (uv lists every file of each release).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from common import CONSTRAINTS, LOCK, REPO, BuildError, log, pip_cmd, run, sha256_file
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

# What pip must pretend to be when fetching wheels for the bundled runtime.
WIN_TARGET = [
    "--only-binary=:all:",
    "--platform", "win_amd64",
    "--python-version", "3.11",
    "--implementation", "cp",
]
# The same target for uv's resolver (x86_64-pc-windows-msvc is uv's "windows").
UV_TARGET = [
    "--python-platform", "x86_64-pc-windows-msvc",
    "--python-version", "3.11",
    "--only-binary", ":all:",
]
# PEP 508 marker environment of the bundled runtime, to check pyproject.toml's dependencies
# against the lock.
WIN_MARKER_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.9",
    "os_name": "nt",
    "platform_machine": "AMD64",
    "platform_python_implementation": "CPython",
    "platform_release": "10",
    "platform_system": "Windows",
    "platform_version": "10.0.19045",
    "python_full_version": "3.11.9",
    "python_version": "3.11",
    "sys_platform": "win32",
    "extra": "",
}

Lock = dict[str, tuple[str, set[str]]]  # normalized name -> (version, {sha256, ...})


def project_dependencies(repo: Path = REPO) -> list[str]:
    with open(repo / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def parse_lock(path: Path = LOCK) -> Lock:
    """name -> (version, {sha256, ...}) from a pip requirements file with --hash options."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    out: Lock = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not m:
            raise BuildError(f"{path.name}: not a pinned requirement: {line!r}")
        hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        if not hashes:
            raise BuildError(f"{path.name}: {m.group(1)} has no --hash=sha256:...")
        out[canonicalize_name(m.group(1))] = (m.group(2), hashes)
    return out


def check_lock_covers(deps: list[str], lock: Lock) -> None:
    """Every runtime dependency of the project must be pinned for Windows."""
    missing = []
    for dep in deps:
        req = Requirement(dep)
        if req.marker is not None and not req.marker.evaluate(WIN_MARKER_ENV):
            continue
        pinned = lock.get(canonicalize_name(req.name))
        if pinned is None or (req.specifier and not req.specifier.contains(pinned[0], prereleases=True)):
            missing.append(dep)
    if missing:
        raise BuildError(
            "installer/requirements-win.txt does not satisfy pyproject.toml dependencies "
            f"{missing}: run `python installer/build.py --lock` and commit the result"
        )


def constraint_notes(path: Path = CONSTRAINTS) -> dict[str, str]:
    """name -> the comment lines above its pin in constraints-win.txt (why it is held back)."""
    notes: dict[str, str] = {}
    comment: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif line.strip():
            notes[canonicalize_name(Requirement(line.split("#", 1)[0]).name)] = "\n".join(comment)
            comment = []
        else:
            comment = []
    return notes


def wheel_name_version(wheel: Path) -> tuple[str, Version]:
    name, version, _build, _tags = parse_wheel_filename(wheel.name)
    return str(name), version


def download_wheels(requirements: Path, dest: Path) -> None:
    """The Windows wheel of every pin, each checked by pip against the pinned hashes."""
    dest.mkdir(parents=True, exist_ok=True)
    run(pip_cmd() + ["download", "--no-deps", "--require-hashes", *WIN_TARGET,
                     "-r", requirements, "-d", dest], stdout=subprocess.DEVNULL)


def pick_wheels(lock: Lock, folder: Path) -> list[Path]:
    """One downloaded wheel for each pin, whose sha256 the lock lists."""
    wheels = []
    for name, (version, hashes) in sorted(lock.items()):
        found = [w for w in folder.glob("*.whl") if wheel_name_version(w) == (name, Version(version))]
        if len(found) != 1:
            raise BuildError(f"wheel for {name}=={version} not found in {folder}")
        if sha256_file(found[0]) not in hashes:
            raise BuildError(f"{found[0].name}: sha256 not in installer/requirements-win.txt")
        wheels.append(found[0])
    return wheels


def fetch_dependency_wheels(dest: Path) -> list[Path]:
    lock = parse_lock()
    check_lock_covers(project_dependencies(), lock)
    download_wheels(LOCK, dest)
    wheels = pick_wheels(lock, dest)
    log(f"{len(wheels)} Windows wheels: sha256 ok")
    return wheels


LOCK_HEADER = """\
# Windows (win_amd64, CPython 3.11) wheels bundled into the installer's runtime.
# Generated by `python installer/build.py --lock`: pyproject.toml's dependencies resolved by
# `uv pip compile` for Windows, held back by constraints-win.txt, one hash a wheel.
# build.py fetches exactly these with pip --require-hashes.
"""


def render_lock(wheels: list[Path], notes: dict[str, str]) -> str:
    parts = [LOCK_HEADER]
    for w in sorted(wheels, key=lambda w: wheel_name_version(w)[0]):
        name, version = wheel_name_version(w)
        if name in notes:
            parts.append(notes[name] + "\n")
        parts.append(f"{name}=={version} \\\n    --hash=sha256:{sha256_file(w)}  # {w.name}\n")
    return "".join(parts)


def lock(out: Path = LOCK) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        resolved = Path(tmp) / "resolved.txt"
        run([sys.executable, "-m", "uv", "pip", "compile", REPO / "pyproject.toml",
             "--constraint", CONSTRAINTS, *UV_TARGET, "--generate-hashes",
             "--no-header", "--no-annotate", "--quiet", "--output-file", resolved])
        resolved_lock = parse_lock(resolved)
        download_wheels(resolved, Path(tmp) / "wheels")
        wheels = pick_wheels(resolved_lock, Path(tmp) / "wheels")
        out.write_text(render_lock(wheels, constraint_notes()), encoding="utf-8")
    log(f"wrote {out.relative_to(REPO)} ({len(wheels)} wheels)")
