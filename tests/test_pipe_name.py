"""The Windows command pipe on a terminal server (issue 11 item 10): its name is random, kept in the
user's private run folder, and a pipe someone else made first is refused, never shared.

Windows is faked at its boundary (sys.platform, the pipe listener and the "does this pipe exist"
question). Checked by hand under wine: a daemon and `trayagent status` over the random name, and a
squatted name refused by the existence check; wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE,
which real Windows does (multiprocessing's PipeListener sets it on its first instance).
"""

from __future__ import annotations

import os

import pytest

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.daemon import ipc, ipc_address
from trayagent.platform.system import windows as windows_system


@pytest.fixture
def windows(monkeypatch):
    monkeypatch.setattr(ipc_address, "system", windows_system)  # the chooser's Windows side


def test_the_pipe_name_is_random_private_and_read_by_clients(windows):
    name, family = ipc._address(new=True)
    assert family == "AF_PIPE" and ipc.PIPE_NAME.fullmatch(name)
    kept = paths.runtime_dir() / "command.pipe"
    assert kept.read_text() == name and kept.parent == (paths.runtime_dir() / "command.key").parent
    if os.name == "posix":
        assert kept.stat().st_mode & 0o777 == 0o600
    assert ipc._address() == (name, "AF_PIPE")  # what `trayagent call|status|stop` connect to
    again, _ = ipc._address(new=True)
    assert again != name and ipc._address()[0] == again  # a new one at each start
    assert str(paths.runtime_dir()) not in name and name != "trayagent-" + "0" * 32


def test_no_or_a_bad_pipe_name_means_not_running(windows):
    with pytest.raises(ipc.NotRunning):
        ipc._address()
    ipc._address(new=True)
    (paths.runtime_dir() / "command.pipe").write_text(r"\\.\pipe\someone-elses")
    with pytest.raises(ipc.NotRunning, match="does not hold a pipe name"):
        ipc._address()


def test_a_pipe_someone_else_made_is_refused(windows, monkeypatch):
    listened: list[str] = []

    def listener(address, family, **kw):
        listened.append(address)
        # what CreateNamedPipe answers FILE_FLAG_FIRST_PIPE_INSTANCE when an instance exists
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(ipc, "Listener", listener)
    monkeypatch.setattr(ipc, "_pipe_taken", lambda name: False)  # made between the check and ours
    with pytest.raises(TrayagentError, match=r"command pipe \\\\\.\\pipe\\trayagent-[0-9a-f]{32} already exists, "
                                             r"made by another process; trayagent does not share it"):
        ipc.CommandServer(lambda r: {"ok": True})
    assert len(listened) == 1
    monkeypatch.setattr(ipc, "_pipe_taken", lambda name: True)  # there before (wine needs this check)
    with pytest.raises(TrayagentError, match="already exists, made by another process"):
        ipc.CommandServer(lambda r: {"ok": True})
    assert len(listened) == 1  # refused before making anything
