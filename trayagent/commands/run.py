"""`trayagent run`: the daemon, one per user."""

from __future__ import annotations

from filelock import Timeout

from trayagent import config
from trayagent.daemon import logs
from trayagent.daemon.app import App, instance_lock
from trayagent.messages import Messages


def command(args) -> int:
    logs.setup(args.verbose)
    lock = instance_lock()
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(Messages(config.load_or_defaults()["ui.language"])("already_running"))
        return 0
    try:
        return App(args.camera, args.model, tray=not args.no_tray).run()
    finally:
        lock.release()
