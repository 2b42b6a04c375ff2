"""A PostgreSQL connection string, as libpq reads it, turned into pg8000's arguments.

Both forms IT writes: `postgresql://user:password@host:port/database?sslmode=verify-full` and
`host=... port=... dbname=... user=... password=... sslmode=...`. TLS follows `sslmode` as in libpq:
disable (never), allow and prefer (the default: TLS when the server offers it, unverified), require (TLS,
unverified), verify-ca (the certificate must chain to `sslrootcert`, or the system's roots without
it), verify-full (that, and the host name must match: what the README tells IT to use).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from trayagent.core.errors import TrayagentError
from trayagent.i18n import _

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_KNOWN = {"host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "sslrootcert", "connect_timeout",
          "application_name"}


class DsnError(TrayagentError):
    pass


@dataclass(frozen=True)
class Dsn:
    host: str = "localhost"
    port: int = 5432
    database: str = "postgres"
    user: str = ""
    password: str | None = None
    sslmode: str = "prefer"
    sslrootcert: str | None = None
    timeout: float = 10.0

    def ssl_context(self) -> ssl.SSLContext | None:
        """None for a plain connection. allow and prefer both try TLS first here (unverified),
        then plain text (db.connect)."""
        if self.sslmode == "disable":
            return None
        if self.sslmode in ("verify-ca", "verify-full"):
            ctx = ssl.create_default_context(cafile=self.sslrootcert)
            ctx.check_hostname = self.sslmode == "verify-full"
            return ctx
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return ctx

    def shown(self) -> str:
        """For messages: never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def parse(text: str) -> Dsn:
    text = text.strip()
    if not text:
        raise DsnError(_("The team database's address (team.dsn) is empty"))
    fields = _uri(text) if re.match(r"^postgres(ql)?://", text) else _keywords(text)
    unknown = sorted(set(fields) - _KNOWN)
    if unknown:
        raise DsnError(_("The team database's address has a setting trayagent does not know: {key}").format(
            key=unknown[0]))
    sslmode = fields.get("sslmode", "prefer")
    if sslmode not in SSLMODES:
        raise DsnError(_("`sslmode` must be one of {choices}, not {value}").format(
            choices=", ".join(SSLMODES), value=sslmode))
    try:
        port = int(fields.get("port") or 5432)
        timeout = float(fields.get("connect_timeout") or 10)
    except ValueError:
        raise DsnError(_("The team database's `port` and `connect_timeout` must be numbers")) from None
    return Dsn(host=fields.get("hostaddr") or fields.get("host") or "localhost", port=port,
               database=fields.get("dbname") or "postgres", user=fields.get("user", ""),
               password=fields.get("password"), sslmode=sslmode, sslrootcert=fields.get("sslrootcert"),
               timeout=timeout)


def _uri(text: str) -> dict[str, str]:
    try:
        u = urlsplit(text)
        port = u.port
    except ValueError:
        raise DsnError(_("The team database's address cannot be read: {dsn}").format(dsn=_hidden(text))) from None
    fields = {k: v for k, v in parse_qsl(u.query)}
    if u.hostname:
        fields["host"] = u.hostname
    if port:
        fields["port"] = str(port)
    if u.username:
        fields["user"] = unquote(u.username)
    if u.password is not None:
        fields["password"] = unquote(u.password)
    if u.path.strip("/"):
        fields["dbname"] = unquote(u.path.strip("/"))
    return fields


_PAIR = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")


def _keywords(text: str) -> dict[str, str]:
    fields, pos = {}, 0
    while pos < len(text.rstrip()):
        m = _PAIR.match(text, pos)
        if not m:
            raise DsnError(_("The team database's address cannot be read: {dsn}").format(dsn=_hidden(text)))
        value = m.group(2)
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[m.group(1)] = value
        pos = m.end()
    return fields


def _hidden(text: str) -> str:
    """A connection string with its password masked, for a message."""
    text = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", r"\1***", text)
