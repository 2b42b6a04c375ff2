"""`trayagent run`: the daemon, one per user.

Started at login, it usually has no terminal, and its uncaught exceptions go only to its log: so
every refusal to start is one line on stderr saying why and how to fix it (TrayagentError, printed
by cli.main), never silence and never a traceback.
"""

from __future__ import annotations

import argparse
import logging

from filelock import Timeout

from trayagent import config, paths
from trayagent.core.errors import TrayagentError
from trayagent.daemon import logs
from trayagent.daemon.app import App, instance_lock
from trayagent.i18n import _
from trayagent.messages import Messages
from trayagent.storage.private import describe

log = logging.getLogger("trayagent")


def command(args: argparse.Namespace) -> int:
    logs.setup(args.verbose)
    try:
        lock = instance_lock()
        lock.acquire(timeout=0)
    except Timeout:
        print(Messages(config.load_or_defaults()["ui.language"])("already_running"))
        return 0
    except OSError as e:
        where = paths.runtime_dir() / "instance.lock"
        raise TrayagentError(_("cannot start: {path}: cannot take the instance lock ({reason}); it must be a file "
                               "trayagent can write: remove what is there and start again").format(
            path=where, reason=describe(e))) from None
    try:
        return App(args.camera, args.model, tray=not args.no_tray).run()
    except TrayagentError:
        raise
    except Exception as e:  # unforeseen: still one line, the details in the log
        log.exception("could not start")
        raise TrayagentError(_("cannot start: {error} (details in {folder})").format(
            error=f"{type(e).__name__}: {e}", folder=paths.log_dir())) from None
    finally:
        lock.release()
