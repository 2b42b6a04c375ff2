"""The local command channel between `trayagent call|stop|status` and the running daemon.

Only the same user can reach it: a Unix socket in the user's private run folder (a named pipe on
Windows), and every connection must prove it knows a random key kept in a file only that user can
read. Messages are JSON, never pickles.

No client can hold the channel up: each connection is served on a thread of its own (at most
MAX_CLIENTS at once), and on POSIX it is cut off if its handshake and request take longer than
DEADLINE_S. No request can take the server down: requests are capped in size and nesting, and
anything malformed gets an error reply. The client gives up on a daemon that does not answer.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

from trayagent.core.errors import TrayagentError
from trayagent.core.tray_status import refusal
from trayagent.daemon.ipc_address import (
    PIPE_NAME,
    NotRunning,
    _address,
    _key_file,
    _new_key,
    _pipe_file,
    _pipe_taken,
    _read_key,
    _start_problem,
    check_address,
)
from trayagent.daemon.ipc_message import MAX_DEPTH, parse_message
from trayagent.i18n import _

# Also the channel's names, for its clients and tests: one import for all of it.
__all__ = ["MAX_DEPTH", "PIPE_NAME", "CommandServer", "NoReply", "NotRunning", "_address", "_read_key",
           "check_address", "parse_message", "send"]

log = logging.getLogger(__name__)

MAX_REQUEST = 65536  # bytes; a real request is under 100, a malformed one up to this gets an error reply
MAX_REPLY = 1 << 20
MAX_CLIENTS = 16  # connections served at once; more are closed at once
DEADLINE_S = 5.0  # a connection's handshake and request, on the server
CONNECT_TIMEOUT_S = 5.0  # the client's connect and handshake
REPLY_TIMEOUT_S = 30.0  # the client's wait for a reply: longer than the controller's longest answer


class NoReply(TrayagentError):
    """The daemon took the request but closed the connection without answering (it was stopping)."""


class _Deadline:
    """Cuts a connection's socket after `seconds` (POSIX), waking a read that waits on a silent peer.
    On Windows the connection's own thread and the cap on connections do the protecting."""

    def __init__(self, conn: Connection, family: str, seconds: float) -> None:
        self._sock: socket.socket | None = None
        if family == "AF_UNIX":
            try:
                self._sock = socket.socket(fileno=os.dup(conn.fileno()))
            except OSError:
                self._sock = None
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        if self._sock is not None:
            self._timer.start()
        return self

    def _expire(self) -> None:
        self.expired = True
        try:
            if self._sock is not None:
                self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()

    def __exit__(self, *exc: object) -> None:
        self.cancel()
        if self._sock is not None:
            self._sock.close()


class CommandServer:
    """Serves requests, each connection on its own thread; `handle` gets the request dict and returns
    the reply dict. TrayagentError (one line saying how to fix it) when the channel cannot be opened."""

    def __init__(self, handle: Callable[[dict], dict]) -> None:
        self._handle = handle
        address, self._family = _address(new=True)
        if self._family == "AF_UNIX":
            try:
                Path(address).unlink(missing_ok=True)  # left by a crash; the instance lock says we own it
            except OSError as e:
                raise _start_problem(address, _("cannot replace the command socket"), e) from None
        self._key = _new_key()
        try:
            # On Windows the first pipe instance is made with FILE_FLAG_FIRST_PIPE_INSTANCE
            # (multiprocessing's PipeListener does so), so a name someone else made first is refused
            # with access denied instead of joining their pipe.
            if self._family == "AF_PIPE" and _pipe_taken(address):
                raise PermissionError(errno.EACCES, "the pipe exists", address)
            self._listener = Listener(address, self._family, backlog=MAX_CLIENTS)
        except PermissionError as e:
            if self._family == "AF_PIPE":
                raise TrayagentError(_("cannot start: the command pipe {address} already exists, made by another "
                                       "process; trayagent does not share it: start trayagent again").format(
                    address=address)) from None
            raise _start_problem(address, _("cannot open the command channel"), e) from None
        except OSError as e:
            raise _start_problem(address, _("cannot open the command channel"), e) from None
        if self._family == "AF_UNIX":
            os.chmod(address, 0o600)
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="command-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping:
            try:
                conn = self._listener.accept()
            except Exception as e:  # the listener closed, or out of descriptors: never end the loop
                if self._stopping:
                    return
                log.warning("command channel: accept failed: %s", e)
                time.sleep(0.1)
                continue
            if not self._slots.acquire(blocking=False):
                log.warning("command channel: %d connections already open; closed a new one", MAX_CLIENTS)
                conn.close()
                continue
            threading.Thread(target=self._serve_one, args=(conn,), name="command-connection", daemon=True).start()

    def _serve_one(self, conn: Connection) -> None:
        try:
            with conn, _Deadline(conn, self._family, DEADLINE_S) as deadline:
                try:
                    deliver_challenge(conn, self._key)
                    answer_challenge(conn, self._key)
                    body = conn.recv_bytes(MAX_REQUEST)
                except AuthenticationError as e:
                    log.warning("refused a command connection: %s", e)
                    return
                except (OSError, EOFError) as e:
                    log.warning("dropped a command connection%s: %s",
                                " that said nothing in time" if deadline.expired else "", e or type(e).__name__)
                    return
                deadline.cancel()
                reply = self._answer(body)
                with contextlib.suppress(OSError):  # the client went away; what was asked was done
                    conn.send_bytes(json.dumps(reply).encode())
        except Exception:  # one connection must never end the server
            log.exception("command connection failed")
        finally:
            self._slots.release()

    def _answer(self, body: bytes) -> dict:
        try:
            request = parse_message(body)
        except ValueError as e:
            log.warning("bad command: %s", e)
            return refusal(f"bad request: {e}")
        try:
            return self._handle(request)
        except Exception as e:
            log.exception("command failed")
            return refusal(str(e) or type(e).__name__)

    def close(self) -> None:
        # accept() may not wake on close on every platform; the serving thread is a daemon thread,
        # so it is left blocked rather than knocked awake (a knock can race its exit and hang).
        self._stopping = True
        self._listener.close()
        _key_file().unlink(missing_ok=True)
        _pipe_file().unlink(missing_ok=True)


def send(request: dict, timeout_s: float = REPLY_TIMEOUT_S, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> dict:
    """Send one request to the running daemon and return its reply. NotRunning when no daemon is
    there, NoReply when it closed the connection without answering, TrayagentError when it does not
    answer in time."""
    address, family = _address()
    key = _read_key()
    got: dict[str, Any] = {}

    def connect() -> None:  # multiprocessing's connect and handshake have no timeout of their own
        try:
            got["conn"] = Client(address, family, authkey=key)
        except BaseException as e:
            got["error"] = e

    t = threading.Thread(target=connect, name="command-client", daemon=True)
    t.start()
    t.join(connect_timeout_s)
    if t.is_alive():
        raise TrayagentError(_("trayagent did not answer in time (no handshake within {seconds} s); if it stays "
                               "stuck, end it in the task manager and start it again").format(
            seconds=f"{connect_timeout_s:.0f}"))
    error = got.get("error")
    if isinstance(error, EOFError):
        raise TrayagentError(_("trayagent closed the connection before answering (busy with many requests?); "
                               "try again")) from None
    if isinstance(error, OSError):
        raise NotRunning(_("trayagent is not running")) from None
    if isinstance(error, AuthenticationError):  # a stale key from a crashed daemon
        raise NotRunning(_("trayagent is not running (its command key did not match)")) from None
    if error is not None:
        raise NotRunning(_("trayagent is not running ({error})").format(error=error)) from None
    conn = got["conn"]
    with conn:
        try:
            conn.send_bytes(json.dumps(request).encode())
            if not conn.poll(timeout_s):
                raise TrayagentError(_("trayagent did not answer within {seconds} s; the request may still be "
                                       "carried out: see `trayagent status`").format(seconds=f"{timeout_s:.0f}"))
            body = conn.recv_bytes(MAX_REPLY)
        except (EOFError, OSError):
            raise NoReply(_("trayagent closed the connection without answering (it may have stopped): "
                            "see `trayagent status`")) from None
    try:
        reply = json.loads(body)
    except (ValueError, RecursionError):
        reply = None
    if not isinstance(reply, dict):
        raise TrayagentError(_("trayagent answered with something unreadable"))
    return reply
