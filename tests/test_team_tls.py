"""TLS follows the DSN's sslmode, as libpq does, against a real PostgreSQL serving a certificate:
verify-full accepts the right host with the right root and refuses anything else in one line."""

from __future__ import annotations

import os
import pwd
import subprocess

import pytest

from tests import pg
from tests.team import needs_pg
from trayagent.team import db, dsn


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    c = pg.create()
    try:
        c.stop()
        # A certificate for "localhost" (not 127.0.0.1), self-signed: its own root.
        key, cert = c.folder / "server.key", c.folder / "server.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                        "-out", str(cert)], check=True, capture_output=True)
        os.chmod(key, 0o600)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for f in (key, cert):
                os.chown(f, pw.pw_uid, pw.pw_gid)
        c.options = f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
        c.start()
        root = tmp_path_factory.mktemp("ca") / "root.crt"
        root.write_bytes(cert.read_bytes())
        yield c, root
    finally:
        pg.remove(c)


def connects(text: str) -> bool:
    with db.connect(dsn.parse(text)) as con:
        return con.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[True]]


@pytest.mark.slow
@needs_pg
def test_verify_full_accepts_the_named_host_with_its_root(tls_cluster):
    c, root = tls_cluster
    assert connects(c.dsn(sslmode="verify-full", sslrootcert=str(root)).replace("127.0.0.1", "localhost"))


@pytest.mark.slow
@needs_pg
def test_verify_full_refuses_another_host_name_or_an_unknown_root_in_one_line(tls_cluster):
    c, root = tls_cluster
    for text in (c.dsn(sslmode="verify-full", sslrootcert=str(root)),  # 127.0.0.1 is not the certificate's name
                 c.dsn(sslmode="verify-full").replace("127.0.0.1", "localhost")):  # the system's roots
        with pytest.raises(db.DatabaseProblem) as e:
            connects(text)
        assert "certificate was not accepted" in str(e.value) and "\n" not in str(e.value)
        assert pg.ADMIN_PASSWORD not in str(e.value)


@pytest.mark.slow
@needs_pg
def test_require_and_prefer_encrypt_without_verifying(tls_cluster):
    c, _root = tls_cluster
    assert connects(c.dsn(sslmode="require"))
    assert connects(c.dsn())  # prefer, the default


@pytest.mark.slow
@needs_pg
def test_prefer_falls_back_to_plain_text_where_the_server_has_no_tls():
    c = pg.create()
    try:
        with db.connect(dsn.parse(c.dsn())) as con:
            assert con.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[False]]
        with pytest.raises(db.DatabaseProblem) as e, db.connect(dsn.parse(c.dsn(sslmode="require"))):
            pass
        assert "does not offer TLS" in str(e.value)
    finally:
        pg.remove(c)
