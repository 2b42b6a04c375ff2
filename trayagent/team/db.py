"""The one place that talks to PostgreSQL (pg8000: pure Python, so the Windows bundle needs no
compiled driver). Every failure becomes one DatabaseProblem with a line a person can act on:
unreachable, wrong password, bad certificate, refused by a check, no permission."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
from trayagent.team.dsn import Dsn

NO_TLS = "no-tls"  # not a SQLSTATE: the server answered a TLS request with "no"


class DatabaseProblem(TrayagentError):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # SQLSTATE when the server answered, "" when it was never reached

    @property
    def permanent(self) -> bool:
        """A row the server refused as such (a CHECK, a type): sending it again cannot help."""
        return self.code[:2] in ("22", "23") and self.code != "23505"


@contextmanager
def connect(dsn: Dsn) -> Iterator[Connection]:
    import pg8000.native  # only here: a daemon with the team view off never loads it

    try:
        con = _open(pg8000.native, dsn, dsn.ssl_context())
    except DatabaseProblem as e:
        if dsn.sslmode not in ("prefer", "allow") or e.code != NO_TLS:
            raise
        # a server that offers no TLS is spoken to in plain text, as libpq does for these two
        con = _open(pg8000.native, dsn, None)
    try:
        yield Connection(con, dsn)
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone; nothing to do
            con.close()


class Connection:
    """pg8000's connection whose every failure is a DatabaseProblem."""

    def __init__(self, con: Any, dsn: Dsn) -> None:
        self._con, self.dsn = con, dsn

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        try:
            return self._con.run(sql, **params)
        except Exception as e:  # pg8000's and the socket's errors, into one line
            raise problem(e, self.dsn) from e


def _open(native: Any, dsn: Dsn, context: ssl.SSLContext | None) -> Any:
    try:
        return native.Connection(user=dsn.user, password=dsn.password, host=dsn.host, port=dsn.port,
                                 database=dsn.database, ssl_context=context, timeout=dsn.timeout,
                                 application_name="trayagent")
    except Exception as e:
        raise problem(e, dsn) from e


def problem(e: BaseException, dsn: Dsn) -> DatabaseProblem:
    """One line, in the reader's language, never the password."""
    if isinstance(e, DatabaseProblem):
        return e
    where = dsn.shown()
    args = e.args[0] if e.args else None
    if isinstance(args, dict) and "C" in args:  # the server's own error
        code, text = str(args["C"]), str(args.get("M", ""))
        if code == "28P01" or code == "28000":
            return DatabaseProblem(_("The team database refused the password for {where}").format(where=where), code)
        if code == "42501":
            return DatabaseProblem(_("The team database denied permission: {text}").format(text=text), code)
        if code == "3D000":
            return DatabaseProblem(_("The team database {where} does not exist").format(where=where), code)
        return DatabaseProblem(_("The team database {where} answered: {text}").format(where=where, text=text), code)
    text = str(e)
    if isinstance(e.__cause__, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text \
            or "certificate" in text.lower():
        return DatabaseProblem(_("The team database's TLS certificate was not accepted ({where}): {reason}").format(
            where=where, reason=getattr(e.__cause__, "verify_message", None) or text))
    if "refuses SSL" in text:
        return DatabaseProblem(_("The team database {where} does not offer TLS").format(where=where), NO_TLS)
    if "SSL" in text or "TLS" in text:
        return DatabaseProblem(_("TLS with the team database failed ({where}): {reason}").format(
            where=where, reason=text))
    if isinstance(e, (socket.timeout, TimeoutError)) or "timed out" in text:
        return DatabaseProblem(_("The team database {where} did not answer in time").format(where=where))
    return DatabaseProblem(_("The team database {where} cannot be reached: {reason}").format(
        where=where, reason=_reason(e)))


def _reason(e: BaseException) -> str:
    cause = e.__cause__ or e.__context__
    for err in (e, cause):
        if isinstance(err, OSError) and err.strerror:
            from trayagent.os_errors import reason
            return reason(err)
    return str(e).splitlines()[0] if str(e) else type(e).__name__
