"""Command line: `trayagent SUBCOMMAND ...`. Each subcommand's work lives in its own module."""

from __future__ import annotations

import argparse
import sys

from trayagent import __version__
from trayagent.errors import TrayagentError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trayagent", description=__doc__)
    parser.add_argument("--version", action="version", version=f"trayagent {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


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
