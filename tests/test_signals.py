"""Automatic call signals: softphone process + microphone in use, UDP rise as the fallback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes import Clock, FakeProcessTable, JsonRegistryReader
from tests.helpers import wait_for
from tests.pulse import start_recorder, stop
from trayagent import config
from trayagent.core.callstate import Reading
from trayagent.platform.registry import REG_BINARY, REG_QWORD
from trayagent.signals import automatic_signal
from trayagent.signals.mic import MicReading, MicUser
from trayagent.signals.mic_linux import PactlFailed, PactlMicSource, capturing_streams, run_pactl
from trayagent.signals.mic_windows import ConsentStoreMicSource, filetime
from trayagent.signals.processes import PsutilProcessTable, name_key
from trayagent.signals.softphone import SoftphoneCallSignal

FIXTURES = Path(__file__).parent / "fixtures"
PACTL = FIXTURES / "pactl"
REGISTRY = FIXTURES / "registry"
SOFTPHONES = config.SETTINGS["calls"]["softphones"].default


def load_cfg(tmp_path: Path, toml: str = "") -> config.Config:
    user = tmp_path / "user.toml"
    user.write_text(toml, encoding="utf-8")
    return config.load(policy=tmp_path / "no-policy.toml", user=user)


class FakeMic:
    name = "fake"

    def __init__(self, reading: MicReading) -> None:
        self.reading = reading
        self.reads = 0

    def read(self) -> MicReading:
        self.reads += 1
        return self.reading


def in_use_by(*users: MicUser) -> FakeMic:
    return FakeMic(MicReading(True, users))


# --- process names -------------------------------------------------------------------------------

def test_process_names_compare_in_any_case_with_or_without_exe():
    assert name_key("MicroSIP.EXE") == name_key("microsip") == name_key("microsip.exe")
    assert name_key("Zoom.exe") != name_key("zoom.exe.bak")


def test_real_process_table_sees_this_process_and_counts_its_udp_sockets():
    table = PsutilProcessTable()
    me = os.getpid()
    assert me in {p.pid for p in table.processes()}
    assert table.name_of(me)
    before = table.udp_sockets(me)
    assert before is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        assert table.udp_sockets(me) == before | {f"127.0.0.1:{s.getsockname()[1]}"}
    assert table.name_of(2**22 + 12345) is None  # no such pid: None, not an exception


# --- pactl parsing (recorded samples) ------------------------------------------------------------

def pactl_sample(name: str) -> str:
    return (PACTL / name).read_text(encoding="utf-8")


def fake_pactl(outputs: str, sources: str | None = None) -> tuple[Callable[[list[str]], str], list[list[str]]]:
    calls: list[list[str]] = []

    def run(args: list[str]) -> str:
        calls.append(args)
        if args == ["list", "source-outputs"]:
            return outputs
        if args == ["list", "short", "sources"]:
            return sources if sources is not None else pactl_sample("short-sources.json")
        raise AssertionError(args)

    return run, calls


def test_pactl_lists_capture_streams_but_not_monitor_recorders():
    run, _ = fake_pactl(pactl_sample("source-outputs.three-apps.json"))
    reading = PactlMicSource(run).read()
    assert reading.available
    # zoom records speakers.monitor (what the speakers play): not a microphone user
    assert [(u.name, u.pid) for u in reading.users] == [("pacat", 7950), ("pacat", 8015)]
    assert "source-output #0" in reading.users[0].detail


def test_pactl_skips_corked_streams_and_then_does_not_ask_for_sources():
    run, calls = fake_pactl(pactl_sample("source-outputs.microsip-corked.json"))
    assert PactlMicSource(run).read() == MicReading(True, ())
    assert calls == [["list", "source-outputs"]]


def test_pactl_with_nothing_recording_is_available_and_empty():
    run, _ = fake_pactl(pactl_sample("source-outputs.empty.json"))
    assert PactlMicSource(run).read() == MicReading(True, ())


def test_pactl_names_the_app_by_binary_when_there_is_no_pid():
    out = [{"index": 4, "source": 0, "corked": False,
            "properties": {"application.process.binary": "linphone", "application.name": "Linphone"}}]
    assert capturing_streams(out, set()) == [MicUser("linphone", None, "source-output #4 on source 0", "pactl:4")]


@pytest.mark.parametrize("broken", ["not json", '{"a": 1}'])
def test_pactl_garbage_reads_as_unavailable(broken):
    run, _ = fake_pactl(broken)
    reading = PactlMicSource(run).read()
    assert not reading.available and "pactl" in reading.reason


def write_fake_pactl(bin_dir: Path, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "pactl"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    exe.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script stand-ins for pactl")
def test_run_pactl_failures_are_reported_in_words(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PactlFailed, match="pactl not found.*pulseaudio-utils"):
        run_pactl(["list", "source-outputs"])

    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    write_fake_pactl(tmp_path / "bin", 'echo "Connection failure: Connection refused" >&2; exit 1')
    with pytest.raises(PactlFailed, match="no sound server reachable: Connection failure"):
        run_pactl(["list", "source-outputs"])

    write_fake_pactl(tmp_path / "bin", "echo \"pactl: invalid option -- 'f'\" >&2; exit 1")
    with pytest.raises(PactlFailed, match="too old for JSON"):
        run_pactl(["list", "source-outputs"])

    write_fake_pactl(tmp_path / "bin", 'echo "LC_ALL=$LC_ALL $*"')
    assert run_pactl(["list", "source-outputs"]).strip() == "LC_ALL=C -f json list source-outputs"


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script stand-in for pactl")
def test_a_hung_pactl_is_cut_short(tmp_path, monkeypatch):
    sleep = shutil.which("sleep")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    write_fake_pactl(tmp_path / "bin", f"exec {sleep} 30")
    t0 = time.monotonic()
    with pytest.raises(PactlFailed, match="did not answer within 0.3 s"):
        run_pactl(["list", "source-outputs"], timeout=0.3)
    assert time.monotonic() - t0 < 5


# --- the combined signal -------------------------------------------------------------------------

def test_softphone_holding_the_microphone_is_a_call():
    table = FakeProcessTable()
    table.start(7950, "microsip")
    # pactl reports the real binary (pacat behind a microsip symlink); the pid names the softphone
    mic = in_use_by(MicUser("pacat", 7950, "source-output #0"))
    sig = SoftphoneCallSignal(SOFTPHONES, table, mic)
    assert sig.active()
    assert "microsip (pid 7950)" in sig.describe() and "CALL" in sig.describe()


def test_a_call_on_hold_keeps_its_media_sockets_and_resumes_as_the_same_call_a_new_call_does_not():
    table = FakeProcessTable()
    sip = frozenset({"0.0.0.0:5060"})
    table.start(7950, "baresip")
    table.procs[7950].sockets = sip
    mic = in_use_by()
    sig = SoftphoneCallSignal(SOFTPHONES, table, mic)
    assert sig.reading() == Reading(False)  # idle: its SIP socket is not a call's
    table.procs[7950].sockets = sip | {"0.0.0.0:30416", "0.0.0.0:30417"}  # ringing: RTP and RTCP open
    assert not sig.reading().on
    mic.reading = MicReading(True, (MicUser("baresip", 7950, "", "pactl:1"),))
    talking = sig.reading()
    assert talking.on and {"pactl:1", "udp 7950 0.0.0.0:30416"} <= talking.streams
    assert "udp 7950 0.0.0.0:5060" not in talking.streams
    mic.reading = MicReading(True, ())  # hold: the microphone let go, the call's sockets still open
    held = sig.reading()
    assert not held.on and held.on_hold
    assert "on hold" in sig.describe()
    mic.reading = MicReading(True, (MicUser("baresip", 7950, "", "pactl:2"),))  # resumed: a new stream
    resumed = sig.reading()
    assert resumed.on and not resumed.streams.isdisjoint(talking.streams)
    mic.reading = MicReading(True, ())
    table.procs[7950].sockets = sip  # hung up: the call's sockets closed
    assert sig.reading() == Reading(False)
    table.procs[7950].sockets = sip | {"0.0.0.0:18790", "0.0.0.0:18791"}  # the next call
    mic.reading = MicReading(True, (MicUser("baresip", 7950, "", "pactl:3"),))
    assert sig.reading().streams.isdisjoint(talking.streams)


def test_softphone_running_without_the_microphone_is_not_a_call():
    table = FakeProcessTable()
    table.start(7344, "MicroSIP.exe")
    sig = SoftphoneCallSignal(SOFTPHONES, table, in_use_by())
    assert not sig.active()
    assert "microphone used by: nothing" in sig.describe()


def test_another_app_on_the_microphone_is_not_a_call_even_with_a_softphone_open():
    table = FakeProcessTable()
    table.start(7344, "microsip")
    table.start(8015, "obs")
    sig = SoftphoneCallSignal(SOFTPHONES, table, in_use_by(MicUser("obs", 8015)))
    assert not sig.active()
    assert "microphone used by: obs" in sig.describe()


def test_another_users_softphone_on_a_terminal_server_is_not_our_call():
    table = FakeProcessTable()
    table.start(7344, "microsip.exe", udp=1, mine=False)  # a colleague's session on the same server
    mic = in_use_by(MicUser("microsip.exe", 7344))
    assert not SoftphoneCallSignal(SOFTPHONES, table, mic).active()
    table.start(7400, "microsip.exe", udp=1)  # ours, idle
    assert not SoftphoneCallSignal(SOFTPHONES, table, mic).active()


def test_real_process_table_knows_our_own_processes():
    assert PsutilProcessTable().mine(os.getpid())


def test_microphone_alone_without_a_softphone_process_is_not_a_call():
    table = FakeProcessTable()
    mic = in_use_by(MicUser("microsip", None))
    sig = SoftphoneCallSignal(SOFTPHONES, table, mic)
    assert not sig.active()
    assert mic.reads == 0  # nothing to corroborate: the microphone is not even asked


def test_flatpak_softphone_is_recognised_by_binary_when_its_pid_is_foreign():
    table = FakeProcessTable()
    table.start(4242, "linphone")
    sig = SoftphoneCallSignal(SOFTPHONES, table, in_use_by(MicUser("linphone", 2)))  # pid 2 in the sandbox
    assert sig.active()


def test_without_a_microphone_signal_a_udp_rise_over_the_idle_baseline_is_a_call():
    table, clock = FakeProcessTable(), Clock()
    table.start(7344, "microsip.exe", udp=2)  # SIP signalling socket + one more while idle
    sig = SoftphoneCallSignal(SOFTPHONES, table, FakeMic(MicReading.unavailable("pactl not found")),
                              udp_hold_s=30, clock=clock)
    assert not sig.active()  # learns the baseline
    table.procs[7344].udp = 4  # RTP + RTCP opened
    assert not sig.active()
    clock.t += 30
    reading = sig.reading()
    assert reading.on and reading.held_s == 30  # the call is dated back to the rise
    assert "4 UDP sockets, idle baseline 2, for 30 s" in sig.describe()
    assert "microphone signal unavailable: pactl not found" in sig.describe()
    table.procs[7344].udp = 2
    assert not sig.active()


def test_without_a_microphone_signal_a_call_that_only_rang_is_not_a_call():
    """baresip opens RTP and RTCP when the INVITE arrives, before anyone answers: a ring that stops
    before udp_hold_s is not a call; a rise that outlasts it is, whatever rang before."""
    table, clock = FakeProcessTable(), Clock()
    table.start(7344, "baresip", udp=3)
    sig = SoftphoneCallSignal(SOFTPHONES, table, None, udp_hold_s=30, clock=clock)
    sig.reading()
    table.procs[7344].udp = 5  # ringing
    for _ in range(25):
        clock.t += 1
        assert not sig.reading().on
    assert "ringing until it holds 30 s" in sig.describe()
    table.procs[7344].udp = 3  # nobody answered
    clock.t += 1
    assert not sig.reading().on
    table.procs[7344].udp = 5  # the next one rings, is answered and talked through
    clock.t += 1
    assert not sig.reading().on  # the earlier ring does not count towards it
    clock.t += 30
    assert sig.reading() == Reading(True, held_s=30)


def test_udp_alone_is_never_a_call():
    """Browsers and WebRTC apps open and close UDP sockets all day."""
    table = FakeProcessTable()
    table.start(900, "chrome", udp=3)
    sig = SoftphoneCallSignal(SOFTPHONES, table, None)
    sig.active()
    table.procs[900].udp = 9
    assert not sig.active()


def test_a_restarted_softphone_learns_a_new_baseline():
    table = FakeProcessTable()
    table.start(100, "zoiper", udp=1)
    sig = SoftphoneCallSignal(SOFTPHONES, table, None)
    assert not sig.active()
    table.kill(100)
    assert not sig.active()
    table.start(100, "zoiper", udp=3)  # same pid, fresh process: 3 is its idle count, not a rise
    assert not sig.active()


def test_a_failing_source_logs_once_and_reads_as_no_call(caplog):
    class Broken:
        name = "broken"

        def read(self) -> MicReading:
            raise RuntimeError("boom")

    table = FakeProcessTable()
    table.start(1, "microsip")
    sig = SoftphoneCallSignal(SOFTPHONES, table, Broken())
    with caplog.at_level(logging.ERROR):
        assert [sig.active() for _ in range(3)] == [False, False, False]
    assert len([r for r in caplog.records if "boom" in (r.exc_text or "")]) == 1
    assert "RuntimeError: boom" in sig.describe()


# --- built from config ---------------------------------------------------------------------------

def test_auto_detect_off_means_no_automatic_signal(tmp_path):
    assert automatic_signal(load_cfg(tmp_path, "[calls]\nauto_detect = false\n")) is None


def test_microphone_off_falls_back_to_udp(tmp_path):
    mic = in_use_by(MicUser("microsip", 1))
    table = FakeProcessTable()
    table.start(1, "microsip", udp=1)
    sig = automatic_signal(load_cfg(tmp_path, "[calls]\nmicrophone = false\n"), table, mic)
    assert sig is not None and sig.name == "softphone+udp"
    assert not sig.active()
    assert mic.reads == 0


def test_configured_softphone_list_is_what_counts(tmp_path):
    table = FakeProcessTable()
    table.start(5, "MyPhone.exe")
    table.start(6, "microsip.exe")
    mic = in_use_by(MicUser("microsip.exe", 6))
    sig = automatic_signal(load_cfg(tmp_path, '[calls]\nsoftphones = ["myphone.exe"]\n'), table, mic)
    assert sig is not None and not sig.active()
    mic.reading = MicReading(True, (MicUser("MyPhone.exe", 5),))
    assert sig.active()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux microphone source")
def test_default_signal_on_linux_uses_pactl(tmp_path):
    sig = automatic_signal(load_cfg(tmp_path))
    assert sig is not None and sig.name == "softphone+microphone (pactl)"
    t0 = time.perf_counter()
    sig.active()
    assert time.perf_counter() - t0 < 1.0  # polled every second: must never take that long


# --- Windows ConsentStore (recorded registry snapshots) ------------------------------------------

def snapshot(name: str) -> tuple[JsonRegistryReader, FakeProcessTable]:
    path = REGISTRY / f"{name}.json"
    return JsonRegistryReader.load(path), FakeProcessTable.from_json(path)


@pytest.mark.parametrize("name, users, call", [
    ("microsip-in-use", [("microsip.exe", 7344)], True),
    ("microsip-stopped", [], False),
    ("microsip-stale", [], False),  # crashed with Stop still 0: not trusted while no microsip.exe runs
    ("obs-records-softphone-idle", [("obs64.exe", 8020)], False),
    ("teams-packaged-in-use", [("ms-teams.exe", 10400)], True),
])
def test_consentstore_snapshots(name, users, call):
    reader, table = snapshot(name)
    reading = ConsentStoreMicSource(reader, table).read()
    assert reading.available
    assert [(u.name, u.pid) for u in reading.users] == users
    sig = SoftphoneCallSignal(SOFTPHONES, table, ConsentStoreMicSource(reader, table))
    assert sig.active() is call


def test_consentstore_entry_for_another_copy_of_the_exe_is_not_trusted():
    reader, table = snapshot("microsip-in-use")
    table.procs[7344].exe = r"D:\Portable\MicroSIP\microsip.exe"  # same name, different install
    assert ConsentStoreMicSource(reader, table).read().users == ()


def test_consentstore_entry_is_not_trusted_for_another_users_process():
    reader, table = snapshot("microsip-in-use")
    table.procs[7344].mine = False  # our HKCU says in use, but the only microsip.exe is a colleague's
    assert ConsentStoreMicSource(reader, table).read().users == ()
    reader, table = snapshot("teams-packaged-in-use")
    for p in table.procs.values():
        p.mine = False
    assert ConsentStoreMicSource(reader, table).read().users == ()


def test_consentstore_trusts_the_name_when_the_exe_path_cannot_be_read():
    reader, table = snapshot("teams-packaged-in-use")
    for p in table.procs.values():
        p.exe = None  # access denied
    assert [u.name for u in ConsentStoreMicSource(reader, table).read().users] == ["ms-teams.exe"]


def test_consentstore_packaged_entry_needs_its_package_running():
    reader, table = snapshot("teams-packaged-in-use")
    table.kill(10400)
    table.kill(10401)
    assert ConsentStoreMicSource(reader, table).read().users == ()


def test_pactl_names_each_capture_stream_so_a_new_call_is_told_apart():
    run, _ = fake_pactl(pactl_sample("source-outputs.three-apps.json"))
    streams = [u.stream for u in PactlMicSource(run).read().users]
    assert streams and all(s.startswith("pactl:") for s in streams) and len(set(streams)) == len(streams)


def test_consentstore_names_each_capture_session_by_its_start_time():
    reader, table = snapshot("microsip-in-use")
    [user] = ConsentStoreMicSource(reader, table).read().users
    sig = SoftphoneCallSignal(SOFTPHONES, table, ConsentStoreMicSource(reader, table))
    assert sig.reading().streams == {user.stream}
    key = next(k for k in reader._keys.values() if k[0].lower().endswith("microsip.exe"))[1]
    typ, start = key["LastUsedTimeStart"]
    key["LastUsedTimeStart"] = (typ, start + 11_000_000)  # the next call, 1.1 s later
    [again] = ConsentStoreMicSource(reader, table).read().users
    assert again.stream != user.stream and sig.reading().streams == {again.stream}


def test_no_consentstore_key_reads_as_unavailable_and_falls_back_to_udp():
    table = FakeProcessTable()
    table.start(7344, "microsip.exe", udp=1)
    mic = ConsentStoreMicSource(JsonRegistryReader({}), table)
    reading = mic.read()
    assert not reading.available and "20H2" in reading.reason
    sig = SoftphoneCallSignal(SOFTPHONES, table, mic, udp_hold_s=0)
    assert not sig.active()
    table.procs[7344].udp = 3
    assert sig.active()


def test_filetimes_read_as_qword_or_eight_binary_bytes():
    assert filetime((REG_QWORD, 0)) == 0
    assert filetime((REG_BINARY, bytes(8))) == 0
    assert filetime((REG_BINARY, (133540344020000000).to_bytes(8, "little"))) == 133540344020000000
    assert filetime((REG_BINARY, bytes(4))) is None  # not a FILETIME: ignored, not "in use"


def test_registry_snapshot_lookups_ignore_case():
    reader, _ = snapshot("microsip-in-use")
    key = r"SOFTWARE\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore\MICROPHONE"
    assert "NonPackaged" in (reader.subkeys("HKCU", key) or [])
    assert reader.values("HKCU", key)["Value"][1] == "Allow"
    assert reader.subkeys("HKCU", key + r"\NoSuchApp") is None


def test_registry_fixtures_are_documented():
    readme = (REGISTRY / "README.md").read_text(encoding="utf-8")
    for f in REGISTRY.glob("*.json"):
        assert f.stem in readme, f"{f.name} is not described in {REGISTRY / 'README.md'}"
        assert json.loads(f.read_text(encoding="utf-8"))["about"]


# --- real PulseAudio, real fake softphone --------------------------------------------------------

@pytest.mark.serial  # its `microsip` would be a softphone to the daemons of tests beside it
def test_real_pulseaudio_call_starts_and_ends_with_the_softphone(pulse, tmp_path):
    sig = automatic_signal(load_cfg(tmp_path))
    assert sig is not None and sig.name == "softphone+microphone (pactl)"
    assert not sig.active()

    # Not softphones: a recorder on the real (null) microphone and one on the speakers' monitor.
    others = [start_recorder(pulse, "obs", "fakemic"), start_recorder(pulse, "zoom", "speakers.monitor")]
    phone = None
    try:
        mic = PactlMicSource()
        assert wait_for(lambda: len(mic.read().users) == 1), mic.read()  # obs counts, the monitor does not
        assert not sig.active()

        phone = start_recorder(pulse, "microsip", "fakemic")
        assert wait_for(sig.active), sig.describe()
        assert f"pid {phone.pid}" in sig.describe()

        os.kill(phone.pid, signal.SIGKILL)
        phone.wait(5)
        assert wait_for(lambda: not sig.active()), sig.describe()
        assert "no call" in sig.describe()
    finally:
        for p in [*others, *([phone] if phone else [])]:
            stop(p)


@pytest.mark.serial  # its `microsip` would be a softphone to the daemons of tests beside it
def test_real_pulseaudio_names_each_new_capture_stream_anew(pulse, tmp_path):
    """The same softphone hanging up and taking the next call a moment later: a new stream id."""
    sig = automatic_signal(load_cfg(tmp_path))
    ids = []
    for n in range(2):
        (pulse / f"call{n}").mkdir()
        phone = start_recorder(pulse / f"call{n}", "microsip", "fakemic")
        try:
            assert wait_for(lambda: sig.reading().on), sig.describe()
            ids.append(sig.reading().streams)
        finally:
            stop(phone)
        assert wait_for(lambda: not sig.reading().on), sig.describe()
    assert all(len(s) == 1 for s in ids) and ids[0] != ids[1]
