"""A real softphone: baresip (its microphone a PulseAudio null source, answering automatically)
called by sipp on loopback, with the real daemon watching.

Two calls 1.5 s apart must be two records, each ending within a second of its hang-up (sipp sends
BYE, baresip closes its capture stream and its RTP sockets). A call the agent puts on hold and
resumes is one record: baresip (1.0) keeps the microphone open on hold, so the test has it switch its
audio source to a file for the hold, as softphones that let go of the microphone on hold do; the
microphone then reopens as a new capture stream while the call's RTP sockets stay open throughout.
Linux only; needs baresip-core, sip-tester and libasound2-plugins (ALSA into PulseAudio), which CI
installs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import wave
from datetime import datetime
from pathlib import Path

import pytest

from tests import videos
from tests.helpers import calls_json, running_daemon, status_json, wait_for
from tests.pulse import stop

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # its softphone would start calls in daemons beside it

CALL_S = 7  # how long sipp stays in each call before hanging up: over calls.min_call_s (5 s)
GAP_S = 1.5
HOLD_S = 6  # longer than calls.end_confirm_s (3 s): a hold that ended the call would show
TALK_S = 6  # before the hold: over calls.min_call_s, so a call split at the hold would leave two records
HOLD_SCENARIO = Path(__file__).parent / "fixtures" / "sipp_hold.xml"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_baresip(folder: Path, port: int, control: int | None = None) -> subprocess.Popen:
    """baresip listening on loopback, answering every call at once, sound through ALSA's pulse device;
    with `control`, taking commands (hold, resume, ausrc) on that TCP port."""
    folder.mkdir()
    commands = (f"ctrl_tcp_listen 127.0.0.1:{control}\nmodule menu.so\nmodule ctrl_tcp.so\nmodule aufile.so\n"
                if control else "")
    (folder / "config").write_text(
        f"sip_listen 127.0.0.1:{port}\n"
        "audio_player alsa,pulse\naudio_source alsa,pulse\naudio_alert alsa,pulse\n"
        "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule alsa.so\n" + commands
        + "module_tmp account.so\n")
    (folder / "accounts").write_text(f"<sip:agent@127.0.0.1:{port}>;regint=0;answermode=auto\n")
    log = (folder / "baresip.log").open("w")
    proc = subprocess.Popen(["baresip", "-f", str(folder)], stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    if not wait_for(lambda: "baresip is ready" in (folder / "baresip.log").read_text(), 15):
        stop(proc)
        pytest.fail(f"baresip did not start:\n{(folder / 'baresip.log').read_text()}")
    return proc


def call(port: int, folder: Path) -> datetime:
    """One call from sipp: INVITE, answered, CALL_S s of call, BYE. Returns when it hung up."""
    done = subprocess.run(["sipp", "-sn", "uac", f"127.0.0.1:{port}", "-s", "agent", "-m", "1",
                           "-d", str(CALL_S * 1000), "-i", "127.0.0.1", "-p", str(free_udp_port()),
                           "-timeout", "30s", "-nostdin"],
                          cwd=folder, capture_output=True, text=True, timeout=60)
    hung_up = datetime.now().astimezone()  # sipp exits as soon as the BYE is answered
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return hung_up


def command(control: socket.socket, name: str, params: str = "") -> None:
    """One baresip command over ctrl_tcp (a netstring of JSON), waiting for its answer."""
    body = json.dumps({"command": name, "params": params, "token": name}).encode()
    control.sendall(str(len(body)).encode() + b":" + body + b",")
    reply = b""
    while f'"token":"{name}"'.encode() not in reply:
        chunk = control.recv(4096)
        assert chunk, f"baresip closed its control port after {name}: {reply!r}"
        reply += chunk


def silence(path: Path, seconds: float) -> Path:
    """Silent 8 kHz mono WAV: what baresip reads instead of the microphone on hold (at its end
    baresip hangs up, so it outlasts the hold)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def mic_streams() -> list:
    out = subprocess.run(["pactl", "-f", "json", "list", "source-outputs"], capture_output=True, text=True,
                         timeout=5, check=True).stdout
    return json.loads(out)


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_phone_tools() -> None:
    """baresip and sipp installed, and the private PulseAudio's fake microphone the default."""
    if not sys.platform.startswith("linux"):
        pytest.skip("baresip on loopback runs on Linux")
    missing = [t for t in ("baresip", "sipp") if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} not installed (Debian/Ubuntu: apt install baresip-core sip-tester)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    subprocess.run(["pactl", "set-default-source", "fakemic"], check=True, capture_output=True, timeout=5)
    subprocess.run(["pactl", "set-default-sink", "speakers"], check=True, capture_output=True, timeout=5)


def state() -> str:
    return status_json()["state"]


def test_two_real_sip_calls_a_moment_apart_are_two_records_ending_at_their_hang_ups(pulse, tmp_path, home):
    need_phone_tools()
    port = free_udp_port()
    phone = start_baresip(pulse / "baresip", port)
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    try:
        with running_daemon("--camera", str(video)):
            assert state() == "idle"
            # Nothing to wait for: no call must start while baresip sits registered and idle, for
            # calls.start_confirm_s (2 s) (a sleep that stays).
            time.sleep(2)
            assert state() == "idle"
            hang_ups = [call(port, tmp_path)]
            time.sleep(GAP_S)  # the next caller, as an auto-answering queue would put them through (the scenario)
            hang_ups.append(call(port, tmp_path))
            assert wait_for(lambda: state() == "idle", 15), "the second call did not end"
            calls = calls_json()
            assert len(calls) == 2, calls
            for c, hung_up in zip(calls, hang_ups):
                end = datetime.fromisoformat(c["end"])
                assert abs((end - hung_up).total_seconds()) < 1.0, (c, hung_up)
                assert c["duration_s"] == pytest.approx(CALL_S, abs=1.0)
                assert c["samples"] >= 4
    finally:
        stop(phone)


def test_a_real_sip_call_put_on_hold_and_resumed_is_one_record(pulse, tmp_path, home):
    need_phone_tools()
    port, control_port = free_udp_port(), free_tcp_port()
    phone = start_baresip(pulse / "baresip", port, control_port)
    quiet = silence(tmp_path / "hold.wav", HOLD_S + 30)
    video = videos.record(tmp_path / "cam.avi", [("face", videos.astronaut())], frames_each=20).path
    caller = None
    try:
        with running_daemon("--camera", str(video)):
            assert state() == "idle"
            caller = subprocess.Popen(["sipp", "-sf", str(HOLD_SCENARIO), f"127.0.0.1:{port}", "-s", "agent",
                                       "-m", "1", "-d", str(CALL_S * 1000), "-i", "127.0.0.1",
                                       "-p", str(free_udp_port()), "-timeout", "60s", "-nostdin", "-trace_err"],
                                      cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert wait_for(lambda: state() == "call", 15), "the call did not start"
            time.sleep(TALK_S)  # the conversation before the hold (the scenario)
            with socket.create_connection(("127.0.0.1", control_port), timeout=10) as control:
                command(control, "hold")
                command(control, "ausrc", f"aufile,{quiet}")  # the microphone let go for the hold
                assert wait_for(lambda: not mic_streams(), 5), "baresip kept the microphone on hold"
                # On hold for longer than a quiet microphone may last within a call (a sleep that stays)
                time.sleep(HOLD_S)
                command(control, "ausrc", "alsa,pulse")  # the microphone back: a new capture stream
                command(control, "resume")
            out, _ = caller.communicate(timeout=60)
            hung_up = datetime.now().astimezone()
            assert caller.returncode == 0, out[-3000:]
            assert wait_for(lambda: state() == "idle", 15), "the call did not end"
            calls = calls_json()
            assert len(calls) == 1, calls
            end = datetime.fromisoformat(calls[0]["end"])
            assert abs((end - hung_up).total_seconds()) < 1.0, (calls[0], hung_up)
            assert calls[0]["duration_s"] >= TALK_S + HOLD_S + CALL_S - 1
    finally:
        if caller is not None and caller.poll() is None:
            stop(caller)
        stop(phone)
