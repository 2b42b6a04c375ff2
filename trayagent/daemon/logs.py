"""A rotating log in the data folder, and every uncaught exception in it: a windowed app has no
console, so an exception nobody logs is one nobody sees."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from logging.handlers import RotatingFileHandler
from types import TracebackType

from trayagent import os_errors, paths
from trayagent.i18n import _
from trayagent.storage.private import make_private_dir


class _LogFile(RotatingFileHandler):
    """The log file; when it cannot be written (disk full), one line says so, once, instead of a
    "--- Logging error ---" traceback for every message."""

    _told = False

    def handleError(self, record: logging.LogRecord) -> None:
        if _LogFile._told:
            return
        _LogFile._told = True
        exc = sys.exc_info()[1]
        why = os_errors.reason(exc) if isinstance(exc, OSError) else str(exc) or type(exc).__name__
        if sys.stderr is not None:
            with contextlib.suppress(Exception):
                print(_("trayagent: cannot write the log {path} ({reason})").format(path=self.baseFilename, reason=why),
                      file=sys.stderr)


def setup(verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    try:
        folder = make_private_dir(paths.log_dir())
        handler = _LogFile(folder / "trayagent.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(fmt)
        root.addHandler(handler)
    except OSError as e:
        print(_("trayagent: cannot write the log in {folder} ({reason})").format(
            folder=paths.log_dir(), reason=os_errors.reason(e)), file=sys.stderr)
    if sys.stderr is not None and sys.stderr.isatty():
        # In a terminal the start-up greeting says what is going on; after it only warnings show
        # (the log file keeps everything; --verbose shows it all here too).
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        root.addHandler(console)

    def log_uncaught(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("trayagent").critical("uncaught exception", exc_info=(exc_type, exc, tb))

    def log_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            logging.getLogger("trayagent").critical("uncaught exception in thread %s",
                                                    args.thread.name if args.thread else "?",
                                                    exc_info=args.exc_value)  # carries its traceback

    sys.excepthook = log_uncaught
    threading.excepthook = log_thread


def since_process_start() -> float:
    """Seconds since this process started (the daemon logs how long it took to be ready)."""
    import psutil

    return time.time() - psutil.Process().create_time()
