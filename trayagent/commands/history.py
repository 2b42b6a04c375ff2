"""`trayagent calls` and `trayagent delete-data`: a user's recorded calls, listed and summed up by day."""

from __future__ import annotations

import argparse
import json
import sys

from trayagent import config as config_mod
from trayagent import paths, wording
from trayagent.commands.graph import parse_day, week
from trayagent.core.errors import TrayagentError
from trayagent.core.measured import call_measured
from trayagent.core.records import CallSummary
from trayagent.i18n import _, ngettext
from trayagent.storage.calls import CallStore

# The answers that confirm delete-data: "yes" in every language, so that a script's `yes` still works;
# 예; and "ㅛㄷㄴ", which is "yes" typed on a Korean keyboard left in Hangul mode.
YES = ("yes", "예", "ㅛㄷㄴ")


def store() -> CallStore:
    return CallStore(paths.data_dir())


def calls_command(args: argparse.Namespace) -> int:
    if args.summary:
        return _summary(args)
    if args.days is not None:
        raise TrayagentError(_("--days goes with --summary"))
    day = parse_day(args.date)
    found = store().calls_on(day, touching=True)  # a call across midnight under both days
    if args.json:
        print(json.dumps([_local(_figures(c), c) for c in found], indent=2))
        return 0
    if not found:
        print(_("No calls on {day}.").format(day=wording.day(day, year=True)))
        return 0
    columns = ((_("id"), 18, False), (_("start"), 11, False), (_("length"), 10, True), (_("samples"), 7, True),
               (_("faces"), 6, True), (_("peak"), 6, True), (_("mean"), 6, True), (_("final"), 6, True))
    print(" ".join(wording.pad(name, w, right) for name, w, right in columns))
    for c in found:
        start = c.start.astimezone()  # this machine's time zone, whatever the call was recorded in
        begun = wording.clock(start) if start.date() == day else f"{start:%m-%d} {wording.clock(start)}"
        measured = call_measured(c)
        figures = (wording.index(c.peak), wording.index(c.mean), wording.index(c.final)) if measured else ("-",) * 3
        cells = (c.id, begun, wording.duration(c.duration_s), str(c.samples), str(c.faces), *figures)
        line = " ".join(wording.pad(cell, w, right) for cell, (_n, w, right) in zip(cells, columns))
        print(line if measured else f"{line}  {_('not measured')}")
    return 0


def _figures(c: CallSummary) -> dict:
    """A call not measured (core/measured.py) has no peak, mean or final: null, never a calm 0."""
    row = c.as_dict() | {"measured": call_measured(c)}
    return row if row["measured"] else row | {"peak": None, "mean": None, "final": None}


def _local(row: dict, c: CallSummary) -> dict:
    """A call's times in this machine's time zone (the same moments), as the text listing shows them."""
    return {**row, "start": c.start.astimezone().isoformat(timespec="milliseconds"),
            "end": c.end.astimezone().isoformat(timespec="milliseconds")}


def _summary(args: argparse.Namespace) -> int:
    """The numbers of `trayagent graph --week`: per day, calls, time in each band, peak and mean."""
    n = 7 if args.days is None else args.days
    if not 1 <= n <= 366:
        raise TrayagentError(_("--days {n}: use a number of days from 1 to 366").format(n=n))
    cfg = config_mod.load_or_defaults()
    days = week(store(), parse_day(args.date), n, cfg.thresholds, cfg.visibility)
    if args.json:
        print(json.dumps([d.as_dict() for d in days], indent=2))
        return 0
    for d in days:
        if not d.calls:
            print(wording.pad(wording.day(d.day), 15) + _("no calls"))
            continue
        times = [f"{wording.band(b.value)} {wording.duration(s)}" for b, s in d.bands.items() if s >= 1]
        if d.unmeasured >= 1:
            times.append(f"{_('not measured')} {wording.duration(d.unmeasured)}")
        figures = (_("not measured") if d.peak is None or d.mean is None else
                   _("highest {index}").format(index=wording.index(d.peak)) + ", "
                   + _("mean {index}").format(index=wording.index(d.mean)))
        print(wording.pad(wording.day(d.day), 15)
              + ngettext("{n} call", "{n} calls", d.calls).format(n=d.calls) + ", " + figures
              + f" ({' · '.join(times)})")
    return 0


def delete_command(args: argparse.Namespace) -> int:
    s = store()
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise TrayagentError(_("refusing to delete without confirmation: add --yes"))
        # The answer to type is the same word in every language, so that a script's `yes` still works.
        answer = input(_("Delete all recorded calls in {folder}? Type '{answer}': ").format(
            folder=paths.data_dir(), answer="yes"))
        if answer.strip().lower() not in YES:
            print(_("nothing deleted"))
            return 1
    try:
        from trayagent.daemon import ipc

        if ipc.send({"cmd": "status"}, timeout_s=3).get("state") == "call":
            raise TrayagentError(_("a call is being recorded; end it first (`trayagent call end`)"))
    except ipc.NotRunning:
        pass
    n = s.delete_all()
    print(ngettext("deleted {n} call", "deleted {n} calls", n).format(n=n))
    return 0
