"""The local command channel between `trayagent call|stop|status` and the running daemon.

Only the same user can reach it: a Unix socket in the user's private run folder (a named pipe on
Windows), and every connection must prove it knows a random key kept in a file only that user can
read. Messages are JSON, never pickles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sys
import threading
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Callable

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.storage.private import make_private_dir, open_private

log = logging.getLogger(__name__)


class NotRunning(TrayagentError):
    pass


def _address() -> tuple[str, str]:
    run = paths.runtime_dir()
    if sys.platform == "win32":
        tag = hashlib.sha256(str(run).encode()).hexdigest()[:16]
        return rf"\\.\pipe\trayagent-{tag}", "AF_PIPE"
    return str(run / "command.sock"), "AF_UNIX"


def _key_file() -> Path:
    return paths.runtime_dir() / "command.key"


def _new_key() -> bytes:
    make_private_dir(paths.runtime_dir())
    key = secrets.token_bytes(32)
    with open_private(_key_file(), "w") as f:
        f.write(key.hex())
    return key


def _read_key() -> bytes:
    try:
        return bytes.fromhex(_key_file().read_text().strip())
    except (OSError, ValueError):
        raise NotRunning("trayagent is not running") from None


class CommandServer:
    """Serves requests on a thread; `handle` gets the request dict and returns the reply dict."""

    def __init__(self, handle: Callable[[dict], dict]) -> None:
        self._handle = handle
        address, family = _address()
        if family == "AF_UNIX":
            Path(address).unlink(missing_ok=True)  # left by a crash; the instance lock says we own it
        self._key = _new_key()
        self._listener = Listener(address, family, authkey=self._key)
        if family == "AF_UNIX":
            os.chmod(address, 0o600)
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="command-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError) as e:  # includes a failed key check
                if self._stopping:
                    return
                log.warning("refused a command connection: %s", e)
                continue
            except Exception as e:  # AuthenticationError and friends
                log.warning("refused a command connection: %s", e)
                continue
            with conn:
                self._reply(conn)

    def _reply(self, conn: Connection) -> None:
        try:
            request = json.loads(conn.recv_bytes(65536))
            reply = self._handle(request) if isinstance(request, dict) else {"ok": False, "error": "bad request"}
        except (OSError, EOFError, ValueError) as e:
            log.warning("bad command: %s", e)
            return
        try:
            conn.send_bytes(json.dumps(reply).encode())
        except OSError:
            pass

    def close(self) -> None:
        # accept() may not wake on close on every platform; the serving thread is a daemon thread,
        # so it is left blocked rather than knocked awake (a knock can race its exit and hang).
        self._stopping = True
        self._listener.close()
        _key_file().unlink(missing_ok=True)


def send(request: dict, timeout_s: float = 10.0) -> dict:
    """Send one request to the running daemon and return its reply."""
    address, family = _address()
    key = _read_key()
    try:
        conn = Client(address, family, authkey=key)
    except (OSError, EOFError):
        raise NotRunning("trayagent is not running") from None
    except Exception as e:  # a stale key from a crashed daemon fails authentication
        raise NotRunning(f"trayagent is not running ({e})") from None
    with conn:
        conn.send_bytes(json.dumps(request).encode())
        if not conn.poll(timeout_s):
            raise TrayagentError("trayagent did not answer in time")
        return json.loads(conn.recv_bytes())
