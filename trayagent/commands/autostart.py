"""`trayagent autostart enable|disable|status`: start at login, for this user."""

from __future__ import annotations

import argparse

from trayagent.i18n import N_, _
from trayagent.platform.autostart import for_platform

STATES = {"on": N_("start at login: on"), "off": N_("start at login: off"),
          "managed": N_("start at login: on (set for all users by your organisation)")}


def command(args: argparse.Namespace) -> int:
    auto = for_platform()
    if args.action == "enable":
        auto.enable()
    elif args.action == "disable":
        if auto.state() == "managed":
            print(_("start at login is set for all users by your organisation; ask IT to change it"))
            return 1
        auto.disable()
    print(_(STATES[auto.state()]))
    return 0
