"""Private folders on Windows: every level made is given its user-only ACL, the account is named by
its SID, and an icacls failure is raised (and retried next time), never ignored.

Windows is faked at its boundary: the token's SID and the icacls process. What wine can show (the
SID read from the token, icacls' exit codes) is checked by hand there; ACL enforcement needs real
Windows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trayagent.platform import windows_acl
from trayagent.platform.system import windows as windows_system
from trayagent.storage import private
from trayagent.storage.calls import CallStore, RecordingError

SID = "S-1-5-21-3623811015-3361044348-30300820-1013"


class FakeIcacls:
    def __init__(self, fail_with: tuple[int, bytes | str] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_with = fail_with

    def __call__(self, args):
        self.calls.append(list(args))
        if self.fail_with:
            rc, err = self.fail_with
            return subprocess.CompletedProcess(args, rc, b"", err)
        return subprocess.CompletedProcess(args, 0, b"processed file: " + args[1].encode() + b"\r\n", b"")

    def folders(self) -> list[Path]:
        return [Path(c[1]) for c in self.calls]


@pytest.fixture
def icacls(monkeypatch) -> FakeIcacls:
    fake = FakeIcacls()
    monkeypatch.setattr(private, "system", windows_system)
    monkeypatch.setattr(windows_acl, "_run", fake)
    monkeypatch.setattr(windows_acl, "user_sid", lambda: SID)
    monkeypatch.setenv("USERNAME", "someone-else")  # any user can set it: it must not name the account
    return fake


def test_every_level_made_gets_the_acl_outermost_first_by_sid(tmp_path, icacls):
    data = tmp_path / "AppData" / "Local" / "trayagent"
    (tmp_path / "AppData").mkdir()
    private.make_private_dir(data / "logs")  # the first use makes the data folder through logs
    assert icacls.folders() == [tmp_path / "AppData" / "Local", data, data / "logs"]
    for call in icacls.calls:
        assert call[0] == "icacls" and call[2:] == ["/inheritance:r", "/grant:r", f"*{SID}:(OI)(CI)F"]
        assert "someone-else" not in " ".join(call)
    private.make_private_dir(data / "logs")
    private.make_private_dir(data)
    assert len(icacls.calls) == 3  # folders that exist keep their ACL: no icacls per use


def test_a_failing_icacls_is_raised_and_the_folder_tried_again(tmp_path, icacls):
    data = tmp_path / "trayagent"
    icacls.fail_with = (1332, "No mapping between account names and security IDs was done.\r\n".encode("cp949"))
    with pytest.raises(windows_acl.AclError) as e:
        private.make_private_dir(data / "calls")
    assert isinstance(e.value, OSError) and e.value.filename == str(data)
    assert "exit code 1332" in e.value.strerror and "No mapping between account names" in e.value.strerror
    assert not data.exists()  # not left behind looking finished: the next use makes it private
    icacls.fail_with = None
    private.make_private_dir(data / "calls")
    assert icacls.folders()[-2:] == [data, data / "calls"]


def test_a_recording_that_cannot_be_made_private_says_why(tmp_path, icacls):
    icacls.fail_with = (5, b"Access is denied.\r\n")
    store = CallStore(tmp_path / "data")
    from datetime import datetime

    with pytest.raises(RecordingError, match=r"cannot write the call record \(icacls could not make it private "
                                             r"\(exit code 5: Access is denied.\)\)"):
        store.new_call(datetime.now().astimezone())


def test_no_account_or_no_icacls_is_an_error_too(tmp_path, icacls, monkeypatch):
    def no_token():
        raise OSError(5, "Access is denied")

    monkeypatch.setattr(windows_acl, "user_sid", no_token)
    with pytest.raises(windows_acl.AclError, match="cannot tell which account"):
        private.make_private_dir(tmp_path / "a")
    monkeypatch.setattr(windows_acl, "user_sid", lambda: SID)

    def missing(_args):
        raise FileNotFoundError(2, "The system cannot find the file specified", "icacls")

    monkeypatch.setattr(windows_acl, "_run", missing)
    with pytest.raises(windows_acl.AclError, match="cannot run icacls"):
        private.make_private_dir(tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_posix_levels_made_are_0700(tmp_path):
    if sys.platform == "win32":
        pytest.skip("POSIX modes")
    private.make_private_dir(tmp_path / "x" / "y" / "z")
    for p in (tmp_path / "x", tmp_path / "x" / "y", tmp_path / "x" / "y" / "z"):
        assert p.stat().st_mode & 0o777 == 0o700, p


def test_the_installer_checks_every_icacls_and_takes_the_policy_folder_back():
    """Wine's icacls is a stub (exit 0, nothing done), so the installer's ACL steps are checked in its
    script: each icacls goes through the macro that stops the install on a non-zero exit code, and a
    policy folder or file a user made first is given to Administrators and reset before it is used."""
    import re

    nsi = (Path(__file__).resolve().parent.parent / "installer" / "trayagent.nsi").read_text(encoding="utf-8")
    macro = nsi[nsi.index("!macro Icacls"):]
    macro = macro[:macro.index("!macroend")]
    assert "Pop $0" in macro and "${If} $0 != 0" in macro and "Abort" in macro
    direct = [line for line in nsi.splitlines() if "icacls " in line.lower() and "!macro" not in line
              and "!insertmacro Icacls" not in line and not line.lstrip().startswith(";")
              and "nsExec::ExecToLog /TIMEOUT=120000 'icacls ${args}'" not in line]
    assert direct == [], direct
    steps = re.findall(r"!insertmacro Icacls '([^']*)'", nsi)
    assert steps[:3] == ['"$DataDir" /setowner *S-1-5-32-544 /Q', '"$DataDir" /reset /Q',
                         '"$DataDir" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F '
                         '*S-1-5-32-545:(OI)(CI)RX /Q']
    copy = nsi.index('CopyFileW(w "$PolicySrc"')
    inside = [nsi.index(f"!insertmacro Icacls '\"$DataDir\\*\" {s}") for s in ("/setowner", "/reset")]
    assert all(i > copy for i in inside)  # after policy.toml is in place, whoever made it first


def test_a_recording_that_cannot_be_made_private_says_why_in_korean(tmp_path, icacls):
    """A Korean reader is told what icacls refused (Windows' own words, in the language of Windows), not
    a bare "permission denied"."""
    from trayagent import i18n

    icacls.fail_with = (5, "액세스가 거부되었습니다.\r\n")  # as text: its code page is not this test's concern
    store = CallStore(tmp_path / "data")
    from datetime import datetime

    i18n.use("ko")
    try:
        with pytest.raises(RecordingError) as e:
            store.new_call(datetime.now().astimezone())
    finally:
        i18n.use("auto")
    assert str(e.value).endswith(": 측정 기록을 저장할 수 없습니다 (icacls이(가) 나만 볼 수 있게 만들지 못했습니다 "
                                 "(종료 코드 5: 액세스가 거부되었습니다.))"), str(e.value)
