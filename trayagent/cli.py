"""Command line: `trayagent SUBCOMMAND ...`. Each subcommand's work lives in its own module."""

from __future__ import annotations

import argparse
import sys

from trayagent import __version__
from trayagent.errors import TrayagentError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trayagent", description=__doc__)
    parser.add_argument("--version", action="version", version=f"trayagent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse a recorded call: CSV of stress over time and its graph")
    p.add_argument("video", help="video file (any format OpenCV reads, e.g. .avi, .mp4)")
    p.add_argument("--out", default=".", help="folder for VIDEO.csv and VIDEO.png (default: here)")
    p.add_argument("--fps", type=_positive_float, help="analyse about N frames a second (default: every frame)")
    p.add_argument("--model", help="emotion model (.onnx) to use instead of the configured one")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_lazy("trayagent.analyze"))

    p = sub.add_parser("evaluate", help="measure a model on your own labelled pictures (one folder per emotion)")
    p.add_argument("dir", help="folder with sub-folders named angry, disgust, fear, happy, sad, surprise, neutral")
    p.add_argument("--detect-faces", action="store_true",
                   help="find the face first, as the daemon does (a missed face counts as wrong)")
    p.add_argument("--model", action="append", help="model (.onnx) to measure; repeat to compare several")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=_lazy("trayagent.evaluate"))
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(f"{text} must be above 0 and below 1000")
    return value


def _lazy(module: str):
    """Import a subcommand's module only when it runs: `trayagent call start` must not load OpenCV."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return importlib.import_module(module).command(args)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except TrayagentError as e:
        print(f"trayagent: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
