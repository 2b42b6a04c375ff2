"""Where things live. `TRAYAGENT_HOME` puts all per-user state (data, config, logs, locks) in one folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP = "trayagent"


def _home() -> Path | None:
    value = os.environ.get("TRAYAGENT_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    return _home() or Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    home = _home()
    return (home or Path(platformdirs.user_config_dir(APP, appauthor=False))) / "config.toml"


def machine_policy_file() -> Path:
    """Where IT puts the machine-wide policy."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / APP / "policy.toml"
    return Path("/etc/xdg") / APP / "policy.toml"


def policy_file() -> Path:
    """The machine-wide policy IT sets. `TRAYAGENT_POLICY` (tests, staging) is honoured only where IT
    has set no policy: any user can set a variable, so it may add a policy but never replace IT's."""
    machine = machine_policy_file()
    override = os.environ.get("TRAYAGENT_POLICY")
    if override and not os.path.lexists(machine):
        return Path(override)
    return machine


def quit_request() -> Path:
    """Created by the installer before an upgrade or uninstall: every user's daemon started before
    it quits cleanly (`trayagent stop` reaches only the installer's own user)."""
    return policy_file().parent / "quit.request"


def calls_dir() -> Path:
    return data_dir() / "calls"


def calls_index() -> Path:
    return data_dir() / "calls.csv"


def baseline_file() -> Path:
    """The user's calibration baseline (numbers only, `trayagent calibrate`)."""
    return data_dir() / "calibration.json"


def log_dir() -> Path:
    return data_dir() / "logs"


def matplotlib_dir() -> Path:
    """matplotlib's font cache and settings (MPLCONFIGDIR): in the data folder, never ~/.cache."""
    return data_dir() / "cache" / "matplotlib"


def runtime_dir() -> Path:
    """Lock file and the command socket's address: per user, never shared."""
    return data_dir() / "run"


# The longest path a Unix socket address holds (sun_path less its NUL): 107 bytes on Linux, 103 on
# macOS. A data folder under a long (or Hangul: 3 bytes a letter) home reaches it fast.
SOCKET_PATH_MAX = 103 if sys.platform == "darwin" else 107


def command_socket() -> Path:
    """The command channel's Unix socket: in the run folder, or where that path is too long for a
    socket, in the user's own runtime folder (XDG_RUNTIME_DIR, if it is this user's and private),
    named for the data folder. Still too long: the run folder's, which the channel refuses clearly."""
    default = runtime_dir() / "command.sock"
    if len(os.fsencode(default)) <= SOCKET_PATH_MAX:
        return default
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.name == "posix":
        try:
            st = os.stat(xdg)
        except OSError:
            return default
        if st.st_uid == os.getuid() and st.st_mode & 0o077 == 0:
            import hashlib

            tag = hashlib.sha256(os.fsencode(data_dir())).hexdigest()[:16]
            short = Path(xdg) / f"trayagent-{tag}.sock"
            if len(os.fsencode(short)) <= SOCKET_PATH_MAX:
                return short
    return default


def shipped_model() -> Path:
    """The model in the installed package, else (a source checkout) the one in models/."""
    package = Path(__file__).resolve().parent
    installed = package / "model" / "emotion.onnx"  # also where a frozen build unpacks it
    return installed if installed.exists() else package.parent / "models" / "emotion.onnx"


def package_data() -> Path:
    return Path(__file__).resolve().parent / "data"


def catalogue(language: str) -> Path:
    """A language's translations (.po; the compiled .mo beside it in a wheel)."""
    return Path(__file__).resolve().parent / "locale" / language / "LC_MESSAGES" / "trayagent.po"


def cascade_file() -> Path:
    return package_data() / "haarcascade_frontalface_default.xml"


def yunet_file() -> Path:
    """YuNet, the fallback face detector (Apache-2.0: its licence and NOTICE lie beside it)."""
    return package_data() / "yunet_n_320_320.onnx"


def bench_face() -> Path:
    """The public-domain face `trayagent bench` builds its synthetic frames from."""
    return package_data() / "face-public-domain.jpg"
