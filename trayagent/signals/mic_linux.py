"""Linux "microphone in use": capture streams (source-outputs) listed by pactl.

`pactl -f json` works against PulseAudio and PipeWire's pulse server alike (pactl >= 16). LC_ALL=C
because some pactl versions format the JSON's numbers with the locale's decimal comma.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trayagent import os_errors
from trayagent.i18n import _
from trayagent.signals.mic import MicReading, MicUser

log = logging.getLogger(__name__)

# A pactl that cannot reach its server normally fails within milliseconds; this only bounds a hung one.
TIMEOUT_S = 1.0


class PactlFailed(Exception):
    """pactl could not answer; the message says why in words a user can act on."""


Runner = Callable[[list[str]], str]  # pactl arguments -> stdout; raises PactlFailed


def pactl_env(environ: Mapping[str, str]) -> dict[str, str]:
    """pactl's environment. Where none names the user's runtime folder (no XDG_RUNTIME_DIR: an ssh
    or cron session, a container), libpulse would make `~/.config/pulse/<machine>-runtime` and a
    `/tmp/pulse-*` folder on its own to look for a server there: files trayagent must not leave. It
    is given the session's runtime folder instead (/run/user/UID, this user's and private), or the
    one a PulseAudio server started without it already made; with neither there is no server to
    reach, and pactl is not run."""
    env = dict(environ, LC_ALL="C")
    if any(env.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER")):
        return env
    session = Path(f"/run/user/{os.getuid()}")
    if _mine_and_private(session):
        return env | {"XDG_RUNTIME_DIR": str(session)}
    config = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config")
    for link in sorted(config.glob("pulse/*-runtime")):
        if link.is_symlink() and _mine_and_private(link.resolve()):
            return env | {"PULSE_RUNTIME_PATH": str(link.resolve())}
    raise PactlFailed(_("no sound server: no runtime folder is set (XDG_RUNTIME_DIR) and no PulseAudio "
                        "server has made one"))


def _mine_and_private(folder: Path) -> bool:
    try:
        st = folder.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077 == 0


def run_pactl(args: list[str], timeout: float = TIMEOUT_S) -> str:
    exe = shutil.which("pactl")
    if exe is None:
        raise PactlFailed(_("pactl not found (Debian/Ubuntu: apt install pulseaudio-utils)"))
    env = pactl_env(os.environ)
    try:
        done = subprocess.run([exe, "-f", "json", *args], capture_output=True, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PactlFailed(_("pactl did not answer within {timeout} s").format(timeout=f"{timeout:g}")) from None
    except OSError as e:
        raise PactlFailed(_("cannot run pactl ({reason})").format(reason=os_errors.reason(e))) from None
    if done.returncode != 0:
        err = (done.stderr or done.stdout).strip().splitlines()
        first = err[0] if err else f"exit status {done.returncode}"
        if "-f" in first or "format" in first.lower() or "option" in first.lower():
            raise PactlFailed(_("pactl is too old for JSON output (needs 16 or newer): {error}").format(error=first))
        raise PactlFailed(_("no sound server reachable: {error}").format(error=first))
    return done.stdout


def _load(text: str, what: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PactlFailed(_("pactl {what}: output is not JSON ({error})").format(what=what, error=e)) from None
    if not isinstance(doc, list):
        raise PactlFailed(_("pactl {what}: expected a JSON list").format(what=what))
    return [d for d in doc if isinstance(d, dict)]


def monitor_source_indexes(sources_json: str) -> set[str]:
    """Indexes of monitor sources (the "what the speakers play" sources), as strings.
    pactl's short and long source lists both carry index and name; monitors end in ".monitor" on
    PulseAudio and PipeWire alike."""
    return {str(s.get("index")) for s in _load(sources_json, "list sources")
            if str(s.get("name", "")).endswith(".monitor")}


def capturing_streams(outputs: list[dict[str, Any]], monitors: set[str]) -> list[MicUser]:
    """The live capture streams from `pactl -f json list source-outputs`: not corked (a corked stream
    is paused, e.g. a muted WebRTC tab), not recording a monitor (screen recorders, visualisers)."""
    users = []
    for o in outputs:
        if o.get("corked") is True:
            continue
        if str(o.get("source")) in monitors:
            continue
        props = o.get("properties") or {}
        # The binary is the process's real executable (/proc/PID/exe), so a symlinked or renamed
        # launcher shows its target here; the pid is what names the app reliably, the binary helps
        # where the pid is from another pid namespace (Flatpak, containers).
        name = props.get("application.process.binary") or props.get("application.name") or "?"
        pid: int | None
        try:
            pid = int(props["application.process.id"])
        except (KeyError, TypeError, ValueError):
            pid = None
        # The server numbers each new stream anew (it does not reuse an index while it runs).
        index = o.get("index")
        users.append(MicUser(str(name), pid, f"source-output #{index} on source {o.get('source')}",
                             f"pactl:{index}" if index is not None else ""))
    return users


class PactlMicSource:
    name = "pactl"

    def __init__(self, runner: Runner = run_pactl) -> None:
        self._run = runner

    def read(self) -> MicReading:
        try:
            outputs = _load(self._run(["list", "source-outputs"]), "list source-outputs")
            live = [o for o in outputs if o.get("corked") is not True]
            # Only ask for the source list when there is something to check against it.
            monitors = monitor_source_indexes(self._run(["list", "short", "sources"])) if live else set()
        except PactlFailed as e:
            return MicReading.unavailable(str(e))
        return MicReading(True, tuple(capturing_streams(outputs, monitors)))
