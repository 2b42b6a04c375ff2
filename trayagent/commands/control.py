"""`trayagent call|pause|resume|status|stop`: the client side of the daemon's command channel."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from filelock import Timeout

from trayagent import wording
from trayagent.core.errors import TrayagentError
from trayagent.core.requests import Command, request
from trayagent.daemon import ipc
from trayagent.daemon.app import instance_lock
from trayagent.i18n import _


def call_command(args: argparse.Namespace) -> int:
    reply = ipc.send(request(Command(args.action)))
    if reply.get("ended") and reply.get("ok") and not args.json:
        print(ended_line(reply["ended"]))
        return 0
    return _print_reply(reply, args)


def ended_line(ended: dict) -> str:
    """`call end` confirms what it kept: "Kept: 오후 7:02 · 32초 · 낮음", or why nothing was."""
    length = wording.duration(ended["duration_s"])
    if not ended["kept"]:
        return _("Not kept: the call lasted {length}, under the {least} a call must last (calls.min_call_s)").format(
            length=length, least=wording.duration(ended["min_call_s"]))
    start = wording.clock(datetime.fromisoformat(ended["start"]).astimezone())
    band = _("not measured") if ended["band"] is None else wording.band(ended["band"])
    return _("Kept the call's record: {start} · {length} · {band}").format(start=start, length=length, band=band)


def pause_command(args: argparse.Namespace) -> int:
    return _print_reply(ipc.send(request(Command.PAUSE, minutes=args.minutes)), args)


def resume_command(args: argparse.Namespace) -> int:
    return _print_reply(ipc.send(request(Command.RESUME)), args)


def status_command(args: argparse.Namespace) -> int:
    try:
        reply = ipc.send(request(Command.STATUS))
    except ipc.NotRunning:
        print(json.dumps({"state": "not running"}) if args.json else _("trayagent is not running"))
        return 3
    code = _print_reply(reply, args)
    if not args.json and reply.get("hint"):  # the camera cannot see the face: what would help
        print(reply["hint"])
    if not args.json and reply.get("calibrated") is not None:
        print(_("Calibrated to your face: yes") if reply["calibrated"] else
              _("Calibrated to your face: no (set your relaxed-face baseline: tray menu, or `trayagent calibrate`)"))
    return code


def stop_command(args: argparse.Namespace) -> int:
    try:
        ipc.send(request(Command.STOP))
    except ipc.NotRunning:
        print(_("trayagent is not running"))
        return 0
    except ipc.NoReply:
        pass  # it stopped before answering: the lock below says whether it is gone
    lock = instance_lock()
    try:  # the daemon holds its lock until the open call is closed out and everything is released
        lock.acquire(timeout=20)
        lock.release()
    except Timeout:
        raise TrayagentError(_("trayagent was asked to stop but is still running after {seconds} s").format(seconds=20)) from None
    print(_("trayagent stopped"))
    return 0


def _print_reply(reply: dict, args: argparse.Namespace) -> int:
    if not reply.get("ok"):
        raise TrayagentError(reply.get("error") or _("the daemon refused the request"))
    if getattr(args, "json", False):
        print(json.dumps({k: v for k, v in reply.items() if k != "ok"}))
    else:
        print(reply.get("status", _("ok")))
    return 0
