"""The staged folder makensis packs: the app's wheel and the pinned Windows wheels installed into the
runtime's site-packages (by pypa's `installer`), third-party test suites pruned, byte-compiled, and
the policy template rendered by the app itself."""

from __future__ import annotations

import compileall
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from common import MODEL, REPO, BuildError, folder_size, log, pip_cmd, run

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.records import RecordEntry
from installer.sources import WheelFile

# Stands for a file the runtime does not get (see RuntimeDestination); never written to RECORD.
_SKIPPED = RecordEntry("<not installed>", None, None)


class RuntimeDestination(SchemeDictionaryDestination):
    """The bundled runtime's site-packages, as a wheel installer sees it, less what it never uses.

    No console-script launchers: the installer starts the app with `pythonw.exe -m trayagent`, and
    the runtime is private to the app (a launcher would also pin the build machine's idea of the
    install folder). No C headers: nothing is compiled on the target PC.
    """

    def write_script(self, name: str, module: str, attr: str, section: str) -> RecordEntry:  # type: ignore[override]
        return _SKIPPED

    def write_file(self, scheme: str, path: str, stream: BinaryIO, is_executable: bool) -> RecordEntry:  # type: ignore[override]
        if scheme == "headers":
            return _SKIPPED
        return super().write_file(scheme, path, stream, is_executable)  # type: ignore[arg-type]

    def finalize_installation(self, scheme: str, record_file_path: str,  # type: ignore[override]
                              records: Iterable[tuple[str, RecordEntry]]) -> None:
        kept = [(s, r) for s, r in records if r is not _SKIPPED]
        super().finalize_installation(scheme, record_file_path, kept)  # type: ignore[arg-type]


def install_wheel(wheel: Path, site_packages: Path, prefix: Path) -> None:
    """Unpack a wheel as pip would (purelib/platlib into site-packages, .data/ mapped, RECORD checked)."""
    destination = RuntimeDestination(
        scheme_dict={
            "purelib": str(site_packages),
            "platlib": str(site_packages),
            "scripts": str(prefix / "Scripts"),
            "data": str(prefix),
            "headers": str(prefix / "Include"),
        },
        interpreter="python.exe",
        script_kind="win-amd64",
    )
    try:
        with WheelFile.open(wheel) as source:
            source.validate_record()  # every file listed in RECORD, with its size and sha256
            install(source, destination, additional_metadata={"INSTALLER": b"trayagent-installer\n"})
    except (InstallerError, ValueError, FileExistsError) as e:
        raise BuildError(f"{wheel.name}: cannot be installed: {e}") from e


def build_app_wheel(dest: Path) -> Path:
    if not MODEL.is_file():
        raise BuildError(
            f"{MODEL.relative_to(REPO)} is missing: the app wheel ships the emotion model. "
            "Train/export it first (see models/), then rebuild the installer."
        )
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("trayagent-*.whl"):
        old.unlink()
    run(pip_cmd() + ["wheel", "--no-deps", "-w", dest, REPO])
    wheels = list(dest.glob("trayagent-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one trayagent wheel in {dest}, found {wheels}")
    with zipfile.ZipFile(wheels[0]) as z:
        if "trayagent/model/emotion.onnx" not in z.namelist():
            raise BuildError(f"{wheels[0].name} does not contain trayagent/model/emotion.onnx")
    return wheels[0]


def byte_compile(site_packages: Path, default_root: str) -> bool:
    """Pre-compile .py files so the daemon never tries to write into Program Files.

    unchecked-hash .pyc files are valid whatever the files' times are after installation.
    Only possible when this interpreter has the runtime's bytecode version (3.11).
    """
    if sys.version_info[:2] != (3, 11):
        log(f"WARNING: build Python is {sys.version.split()[0]}, runtime is 3.11: not byte-compiling")
        return False
    ok = compileall.compile_dir(
        str(site_packages), quiet=1, workers=0,
        stripdir=str(site_packages), prependdir=default_root + "\\runtime\\Lib\\site-packages",
        invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        log("WARNING: some files did not byte-compile (they will be compiled in memory at run time)")
    return True


# Test suites of third-party packages: never imported by the app, 70 MiB of the runtime.
PRUNE_DIRS = ("tests",)


def prune_tests(site_packages: Path) -> int:
    removed = 0
    for d in sorted(site_packages.glob("*/**/"), key=lambda p: len(p.parts), reverse=True):
        rel = d.relative_to(site_packages)
        if rel.parts[0] == "trayagent" or d.name not in PRUNE_DIRS or not d.is_dir():
            continue
        if not (d / "__init__.py").exists() and not any(d.glob("test_*.py")):
            continue  # a data folder that happens to be called tests
        removed += folder_size(d)[0]
        shutil.rmtree(d)
    return removed


# Rendered with the app's own settings table (trayagent.config.SETTINGS) from the staged
# site-packages, so the template can never drift from what the app accepts.
POLICY_TEMPLATE_SCRIPT = r"""
import sys
from trayagent import config

sys.stdout.write(config.policy_template().replace("\n", "\r\n"))
"""


def write_policy_template(site_packages: Path, dest: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site_packages)!r})\n"
         + POLICY_TEMPLATE_SCRIPT],
        capture_output=True,
    )
    if proc.returncode != 0:
        raise BuildError("could not render the policy template from trayagent.config:\n"
                         + proc.stderr.decode(errors="replace"))
    dest.write_bytes(proc.stdout)
