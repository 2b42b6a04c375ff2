"""What the agent is told before joining, in plain words: exactly what leaves the PC and what never
does. One text, shown by `team join`, the tray's menu item and its notification."""

from __future__ import annotations

from trayagent.i18n import _


def title() -> str:
    return _("Share anonymous call summaries with my team…")


def notification() -> str:
    return _("Your organisation has turned on anonymous team summaries. Nothing is shared unless you join: "
             "see the tray menu, \"Share anonymous call summaries with my team…\".")


def what_leaves(team: str, min_group: int) -> str:
    return _(
        "Sharing anonymous call summaries with your team ({team})\n"
        "\n"
        "What leaves this PC, after each call ends, one row per call: a random call number; the team; a code "
        "that changes every week (no one can tell it is you, or link one week to the next); the start, rounded "
        "down to 15 minutes; the length; the seconds in each stress band and the seconds not measured; the "
        "band at the end; whether you calibrated.\n"
        "What never leaves: your face or any picture, the moment-by-moment readings, emotions, your name, your "
        "user or computer name.\n"
        "Managers see only totals over at least {n} agents, never one person. You can leave at any time "
        "(`trayagent team leave`, or the same menu item): sending stops at once; with --forget your calls also "
        "leave every report.").format(team=team, n=min_group)
