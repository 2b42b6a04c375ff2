"""A throw-away PostgreSQL cluster for the team-view tests: Debian's PostgreSQL, initdb into a
temporary folder, served on a loopback port with password (SCRAM) authentication only, and removed
afterwards. PostgreSQL refuses to run as root and CI runs as root, so there the cluster belongs to
the `postgres` account the Debian package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ADMIN = "admin"
ADMIN_PASSWORD = "admin-pw-for-tests"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path
    options: str = ""  # more server settings, as `-c name=value ...` (the benchmark's)

    def dsn(self, user: str = ADMIN, password: str = ADMIN_PASSWORD, database: str = "postgres",
            **query: str) -> str:
        q = "&".join(f"{k}={quote(v)}" for k, v in query.items())
        return (f"postgresql://{quote(user)}:{quote(password, safe='')}@127.0.0.1:{self.port}/{database}"
                + (f"?{q}" if q else ""))

    def _as_owner(self, *cmd: str | Path) -> list[str]:
        argv = [str(c) for c in cmd]
        if os.geteuid() == 0:
            return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]
        return argv

    def start(self) -> None:
        subprocess.run(self._as_owner(
            self.bin / "pg_ctl", "-D", self.folder / "data", "-l", self.folder / "server.log", "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off {self.options}",
            "start"),
            check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash: no checkpoint, open transactions lost, as when the server is killed."""
        subprocess.run(self._as_owner(self.bin / "pg_ctl", "-D", self.folder / "data", "-m", mode, "-w", "stop"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def log(self) -> str:
        p = self.folder / "server.log"
        return p.read_text(errors="replace") if p.exists() else ""


def create(base: Path | None = None, options: str = "") -> Cluster:
    """initdb and start; the caller stops it and removes `folder`."""
    pg = bin_dir()
    assert pg is not None, "PostgreSQL is missing (apt install postgresql; see .ci/run)"
    # Not under pytest's tmp_path: that is 0700 and root's, and the server runs as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="trayagent-pg-", dir=base))
    os.chmod(folder, 0o700)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    cluster = Cluster(folder, _free_port(), pg, options)
    pwfile = folder / "pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    subprocess.run(cluster._as_owner(
        pg / "initdb", "-D", folder / "data", "-U", ADMIN, f"--pwfile={pwfile}", "--auth=scram-sha-256",
        "--encoding=UTF8", "--locale=C.UTF-8"), check=True, stdout=subprocess.DEVNULL)
    pwfile.unlink()
    cluster.start()
    return cluster


def remove(cluster: Cluster) -> None:
    cluster.stop("immediate")
    shutil.rmtree(cluster.folder, ignore_errors=True)
