"""Command line: `trayagent SUBCOMMAND ...`. Each subcommand's work lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trayagent import __version__
from trayagent.cli_help import HelpParser
from trayagent.cli_language import tolerant_console, use_language
from trayagent.core.emotions import FER7
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _


def build_parser() -> argparse.ArgumentParser:
    parser = HelpParser(
        prog="trayagent", description=_("Per-call stress at a glance: webcam expression -> stress index, in the tray."),
        epilog=_("Start with `trayagent run`; `trayagent doctor` checks the set-up."))
    # argparse's own default for this help is not marked for translation (Python 3.11): given here.
    parser.add_argument("--version", action="version", version=f"trayagent {__version__}",
                        help=_("show program's version number and exit"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_model_commands, _daemon_commands, _record_commands, _upkeep_commands,
                _team_commands):  # the order --help shows
        add(sub)
    return parser


def _model_commands(sub: argparse._SubParsersAction) -> None:
    """Faces read from videos and pictures: analyze, calibrate, evaluate."""
    p = sub.add_parser("analyze", help=_("analyse a recorded call: CSV of stress over time and its graph"))
    p.add_argument("video", help=_("video file (any format OpenCV reads, e.g. .avi, .mp4)"))
    p.add_argument("--out", default=".",
                   help=_("folder for {csv} and {png} (default: here)").format(csv="VIDEO.csv", png="VIDEO.png"))
    p.add_argument("--fps", type=_positive_float, help=_("analyse about N frames a second (default: every frame)"))
    p.add_argument("--model", help=_("emotion model (.onnx) to use instead of the configured one"))
    p.add_argument("--no-calibration", action="store_true", help=_("read the faces without your calibration"))
    p.add_argument("--json", action="store_true", help=_("print the summary as JSON"))
    p.set_defaults(func=_lazy("trayagent.commands.analyze"))

    p = sub.add_parser("calibrate", help=_("calibrate to your face: a relaxed face for about 10 seconds, then a smile "
                                                   "for 5"))
    p.add_argument("--camera", metavar="INDEX|VIDEO|DIR",
                   help=_("camera index (default: the configured camera), a video of you, or a folder of your "
                          "own neutral photos"))
    p.add_argument("--seconds", type=_positive_float, default=10.0,
                   help=_("how long to watch the camera (default 10)"))
    p.add_argument("--smile", metavar="INDEX|VIDEO|DIR",
                   help=_("where your greeting smile comes from, after the relaxed face (default: 5 s more of the "
                          "camera when calibrating from the camera, none from a video or photos)"))
    p.add_argument("--no-smile", action="store_true", help=_("calibrate on the relaxed face alone"))
    p.add_argument("--model", help=_("emotion model (.onnx) to calibrate instead of the configured one"))
    p.add_argument("--show", action="store_true", help=_("print the stored calibration"))
    p.add_argument("--reset", action="store_true", help=_("delete the stored calibration"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.calibrate"))

    p = sub.add_parser("evaluate", help=_("measure a model on your own labelled pictures (one folder per emotion)"))
    p.add_argument("dir", help=_("folder with sub-folders named {names}").format(names=", ".join(FER7)))
    p.add_argument("--detect-faces", action="store_true",
                   help=_("find the face first, as the daemon does (a missed face counts as wrong)"))
    p.add_argument("--model", action="append", help=_("model (.onnx) to measure; repeat to compare several"))
    p.add_argument("--no-calibration", action="store_true",
                   help=_("read the faces as they are, without your calibration (to compare)"))
    p.add_argument("--per-person", metavar="REGEX",
                   help=_("the regex's first group on each file name names the person; also report each "
                          "person calibrated on one of their own neutral pictures (left out), every choice averaged"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON"))
    p.set_defaults(func=_lazy("trayagent.commands.evaluate"))


def _daemon_commands(sub: argparse._SubParsersAction) -> None:
    """The daemon and its controls: run, call, pause, resume, status, stop."""
    p = sub.add_parser("run", help=_("start the tray daemon (one per user)"))
    p.add_argument("--camera", help=_("camera index, or a video file played as the camera (demos, tests)"))
    p.add_argument("--model", help=_("emotion model (.onnx) to use instead of the configured one"))
    p.add_argument("--no-tray", action="store_true", help=_("run without a tray icon (control it with the CLI)"))
    p.add_argument("--verbose", action="store_true", help=_("log debugging detail"))
    p.set_defaults(func=_lazy("trayagent.commands.run"))

    p = sub.add_parser("call", help=_("tell the running daemon a call started or ended (softphone hooks)"))
    p.add_argument("action", choices=["start", "end", "toggle"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.control", "call_command"))

    p = sub.add_parser("pause", help=_("pause watching (ends a call in progress); default until resumed"))
    p.add_argument("minutes", nargs="?", type=_positive_float, help=_("resume by itself after this many minutes"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.control", "pause_command"))

    p = sub.add_parser("resume", help=_("end a pause"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.control", "resume_command"))

    p = sub.add_parser("status", help=_("what the running daemon is doing"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.control", "status_command"))

    p = sub.add_parser("stop", help=_("stop the running daemon (an open call is closed out first)"))
    p.set_defaults(func=_lazy("trayagent.commands.control", "stop_command"))


def _record_commands(sub: argparse._SubParsersAction) -> None:
    """The recorded calls: calls, graph, export."""
    p = sub.add_parser("calls", help=_("list a day's calls (default: today)"))
    p.add_argument("--date", help=_("YYYY-MM-DD; with --summary: the last day"))
    p.add_argument("--summary", action="store_true",
                   help=_("per day over the last 7 days: calls, time in each band, peak and mean"))
    p.add_argument("--days", type=int, help=_("with --summary: this many days instead of 7"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.history", "calls_command"))

    p = sub.add_parser("graph", help=_("draw a call's stress graph, a whole day's, or a week at a glance"))
    p.add_argument("call_id", nargs="?", help=_("call id from `trayagent calls`"))
    p.add_argument("--today", action="store_true", help=_("all of today's calls in one figure"))
    p.add_argument("--week", action="store_true",
                   help=_("the last 7 days: calls a day, time in each band, peak and mean"))
    p.add_argument("--days", type=int, help=_("with --week: this many days instead of 7"))
    p.add_argument("--date", help=_("with --today: another day; with --week: the last day (YYYY-MM-DD)"))
    p.add_argument("--out", help=_("write a PNG here instead of opening it"))
    p.set_defaults(func=_lazy("trayagent.commands.graph", "graph_command"))

    docs = "README: Export"  # a section of the README, named as it is there
    p = sub.add_parser("export", help=_("your own calls over a range of days, as CSV or JSON ({docs})").format(docs=docs))
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help=_("first day (default: the --to day)"))
    p.add_argument("--to", metavar="YYYY-MM-DD", help=_("last day (default: today)"))
    p.add_argument("--out", metavar="FILE.csv|FILE.json", help=_("write here (default: CSV to the screen)"))
    p.set_defaults(func=_lazy("trayagent.commands.export"))


def _upkeep_commands(sub: argparse._SubParsersAction) -> None:
    """Set-up and upkeep: doctor, delete-data, bench, autostart."""
    p = sub.add_parser("doctor", help=_("check camera, model, settings, data folder, call signals; say how to fix"))
    p.add_argument("--no-camera", action="store_true", help=_("do not open the camera"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.doctor"))

    p = sub.add_parser("delete-data", help=_("delete all your recorded calls and graphs (settings are kept)"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    p.set_defaults(func=_lazy("trayagent.commands.history", "delete_command"))

    p = sub.add_parser("bench", help=_("measure CPU per frame, memory, start-up and idle cost"))
    p.add_argument("--frames", type=int, default=200, help=_("synthetic 640x480 frames to time (default 200)"))
    p.add_argument("--seconds", type=float, default=10.0, help=_("how long to watch the daemon in a call and idle"))
    p.add_argument("--model", help=_("emotion model (.onnx) to time instead of the shipped one"))
    p.add_argument("--no-daemon", action="store_true", help=_("time the pipeline only"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_lazy("trayagent.commands.bench"))

    p = sub.add_parser("autostart", help=_("start trayagent when you log in"))
    p.add_argument("action", choices=["enable", "disable", "status"])
    p.set_defaults(func=_lazy("trayagent.commands.autostart"))


def _team_commands(sub: argparse._SubParsersAction) -> None:
    """The team view: join, leave, status; IT's setup; the managers' report."""
    from trayagent.commands.team_args import add_parser

    add_parser(sub)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text!r} is not a number").format(text=text)) from None
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(_("{text} must be above 0 and below 1000").format(text=text))
    return value


def _lazy(module: str, function: str = "command") -> Callable[[argparse.Namespace], int]:
    """Import a subcommand's module only when it runs: `trayagent call start` must not load OpenCV."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), function)(args)

    return run


def main(argv: list[str] | None = None) -> int:
    import os

    # Everything trayagent writes (calls, logs, settings, graphs) is for its user's eyes only.
    os.umask(0o077)
    # Nothing outside the data folder: matplotlib would keep its font cache in ~/.cache/matplotlib.
    from trayagent import paths

    os.environ["MPLCONFIGDIR"] = str(paths.matplotlib_dir())
    tolerant_console()
    use_language()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except TrayagentError as e:
        print(_("trayagent: error: {message}").format(message=e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
