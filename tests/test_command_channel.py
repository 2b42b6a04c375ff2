"""The command channel under hostile or unlucky clients (issue 12, items 1-3): a silent client holds
up no one, a silent daemon holds up no client, no request can take the server down, and a daemon
that stops before it answers `stop` has stopped."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Client, Listener
from types import SimpleNamespace

import pytest

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.daemon import ipc

unix_only = pytest.mark.skipif(sys.platform == "win32", reason="raw Unix sockets play the hostile client")


def in_thread(work: Callable[[], object], timeout: float = 30.0) -> object:
    """Run `work` on a thread; fails the test if it is still stuck after `timeout` (a hang, not a speed)."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except BaseException as e:  # handed to the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "stuck"
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out["value"]


@pytest.fixture
def server():
    seen: list[dict] = []

    def handle(request: dict) -> dict:
        seen.append(request)
        return {"ok": True, "state": "idle", "status": "Idle"}

    s = ipc.CommandServer(handle)
    s.seen = seen
    yield s
    s.close()


def address() -> str:
    return ipc._address()[0]


@unix_only
def test_a_client_that_never_speaks_holds_up_no_one(server):
    silent = [socket.socket(socket.AF_UNIX) for _ in range(3)]
    for s in silent:
        s.connect(address())  # and says nothing, ever
    try:
        for _ in range(3):
            assert in_thread(lambda: ipc.send({"cmd": "status"}))["state"] == "idle"
    finally:
        for s in silent:
            s.close()


@pytest.mark.slow
@unix_only
def test_a_daemon_that_never_answers_times_the_client_out(tmp_path):
    paths.runtime_dir().mkdir(parents=True)
    (paths.runtime_dir() / "command.key").write_text("00" * 32)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(address())
    listener.listen(4)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    try:
        with pytest.raises(TrayagentError, match="did not answer"):
            in_thread(lambda: ipc.send({"cmd": "status"}, timeout_s=1.0))
    finally:
        listener.close()
        for s in held:
            s.close()


def authenticated() -> object:
    return Client(*ipc._address(), authkey=ipc._read_key())


@pytest.mark.parametrize("body", [b"[" * 60000, b"{\"a\":" * 12000, b"[" * 3000 + b"]" * 3000, b"\xff\xfe",
                                  b"{\"cmd\": \"status\"", b"null", b"[1, 2]"],
                         ids=["deep-open", "deep-objects", "deep-closed", "not-utf8", "cut-off", "null", "list"])
def test_any_malformed_request_gets_an_error_and_the_server_stays_up(server, body):
    def ask() -> dict:
        with authenticated() as conn:
            conn.send_bytes(body)
            return json.loads(conn.recv_bytes())

    reply = in_thread(ask)
    assert reply["ok"] is False and reply["error"]
    assert in_thread(lambda: ipc.send({"cmd": "status"}))["state"] == "idle"
    assert server.seen == [{"cmd": "status"}]  # nothing malformed reached the daemon


def test_an_oversized_request_is_refused_and_the_server_stays_up(server):
    def ask() -> None:
        with authenticated() as conn:
            try:  # the server may hang up on the length alone, before the rest is sent
                conn.send_bytes(json.dumps({"cmd": "status", "pad": "x" * 200_000}).encode())
                reply = json.loads(conn.recv_bytes())
            except (EOFError, OSError):
                return None
            return reply

    reply = in_thread(ask)
    assert reply is None or reply["ok"] is False
    assert in_thread(lambda: ipc.send({"cmd": "status"}))["state"] == "idle"


def _daemon_gone_before_replying() -> tuple[Listener, Callable[[], None]]:
    """A command channel whose daemon reads one request and closes without answering."""
    paths.runtime_dir().mkdir(parents=True)
    key = b"k" * 32
    (paths.runtime_dir() / "command.key").write_text(key.hex())
    listener = Listener(*ipc._address(), authkey=key)

    def daemon() -> None:
        conn = listener.accept()
        conn.recv_bytes()
        conn.close()  # gone before replying

    return listener, daemon


def test_a_daemon_that_stops_before_answering_stop_has_stopped(capsys):
    """The daemon may exit between reading `stop` and answering it: that is a stop, not a traceback."""
    from trayagent.commands import control

    listener, daemon = _daemon_gone_before_replying()

    t = threading.Thread(target=daemon, daemon=True)
    t.start()
    try:
        assert in_thread(lambda: control.stop_command(SimpleNamespace())) == 0
    finally:
        listener.close()
    assert "trayagent stopped" in capsys.readouterr().out


def test_a_reply_that_never_comes_for_other_commands_is_a_clear_error():
    listener, daemon = _daemon_gone_before_replying()

    threading.Thread(target=daemon, daemon=True).start()
    try:
        with pytest.raises(TrayagentError, match="closed the connection"):
            in_thread(lambda: ipc.send({"cmd": "status"}))
    finally:
        listener.close()
