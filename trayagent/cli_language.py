"""The CLI in the user's language: `ui.language` chosen before anything is said, argparse's own
words looked up in our catalogue, and a console that cannot show Korean given escapes, not errors."""

from __future__ import annotations

import argparse
import contextlib
import sys

from trayagent.i18n import N_


def tolerant_console() -> None:
    """Korean text on a console or pipe whose code page cannot show it (cp1252, ASCII) comes out
    escaped, never as a UnicodeEncodeError that ends the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent when replaced (pythonw, tests)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # already written to, or closed
                reconfigure(errors="backslashreplace")


def use_language() -> None:
    """Messages in `ui.language`; settings that cannot be read are reported by the command that
    needs them, not here, so this falls back to the system's language quietly."""
    from trayagent import config, i18n

    try:
        language = config.load(strict_policy=False)["ui.language"]
    except Exception:  # unreadable settings: the command that needs them says why
        language = "auto"
    i18n.use(language)
    argparse_in_our_language()


def argparse_in_our_language() -> None:
    """argparse's own words ("usage: ", "options", its error messages) in the chosen language:
    argparse looks them up through its module globals `_` and `ngettext` each time it writes one,
    so pointing those at our catalogue translates them (the msgids are listed in ARGPARSE_WORDS)."""
    from trayagent import i18n

    vars(argparse).update(_=i18n._, ngettext=i18n.ngettext)


# argparse's msgids (Python 3.11's argparse.py) on the paths a user meets: --help, and the errors of
# a mistyped command line. Listed so that `pybabel extract` keeps them in the catalogue. The type
# in "invalid %(type)s value" is Python's name for it (int, float), so a translation may leave it out.
ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"), N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("ignored explicit argument %r"),
)
