"""`trayagent calls` and `trayagent graph`: a user's recorded calls, as a list and as graphs."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

from trayagent import config as config_mod
from trayagent import paths
from trayagent.platform.desktop import open_path
from trayagent.ui import graph_window, graphs
from trayagent.core.durations import mmss
from trayagent.core.errors import TrayagentError
from trayagent.storage.calls import CallStore, read_samples


def store() -> CallStore:
    return CallStore(paths.data_dir())


def _parse_day(text: str | None) -> date:
    if not text:
        return datetime.now().astimezone().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrayagentError(f"--date {text!r}: use YYYY-MM-DD") from None


def calls_command(args) -> int:
    day = _parse_day(args.date)
    found = store().calls_on(day)
    if args.json:
        print(json.dumps([c.as_dict() for c in found], indent=2))
        return 0
    if not found:
        print(f"no calls on {day}")
        return 0
    print(f"{'id':<18} {'start':<6} {'length':>7} {'samples':>7} {'faces':>6} {'peak':>6} {'mean':>6} {'final':>6}")
    for c in found:
        print(f"{c.id:<18} {c.start:%H:%M}  {mmss(c.duration_s):>7} {c.samples:>7} {c.faces:>6} "
              f"{c.peak:>6.2f} {c.mean:>6.2f} {c.final:>6.2f}")
    return 0


def figure_for(call_id: str | None, day: date, s: CallStore):
    thresholds = config_mod.load_or_defaults().thresholds
    if call_id is None:
        todays = s.calls_on(day)
        return graphs.day_figure([(c, list(read_samples(s.call_path(c.id)))) for c in todays], f"{day}",
                                 thresholds), f"day-{day}"
    path = s.call_path(call_id)
    if not path.exists():
        raise TrayagentError(f"no call {call_id!r} (see `trayagent calls`)")
    samples = list(read_samples(path))
    summary = next((c for c in s.calls() if c.id == call_id), None)
    return graphs.call_figure(samples, graphs.call_title(summary, samples), thresholds), call_id


def graph_command(args) -> int:
    if not args.call_id and not args.today:
        raise TrayagentError("name a call (see `trayagent calls`) or use --today")
    s = store()
    fig, name = figure_for(None if args.today else args.call_id, _parse_day(args.date), s)
    if args.out:
        print(f"wrote {graphs.save(fig, Path(args.out))}")
        return 0
    if graph_window.show(fig, f"trayagent: {name}"):
        return 0
    # No Tk (an embedded runtime): render into the user's data folder and open it with the
    # system's image viewer, which every desktop has.
    out = graphs.save(fig, paths.data_dir() / "graphs" / f"{name}.png")
    open_path(out)
    return 0


def delete_command(args) -> int:
    s = store()
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise TrayagentError("refusing to delete without confirmation: add --yes")
        answer = input(f"Delete all recorded calls in {paths.data_dir()}? Type 'yes': ")
        if answer.strip().lower() != "yes":
            print("nothing deleted")
            return 1
    try:
        from trayagent.daemon import ipc

        if ipc.send({"cmd": "status"}, timeout_s=3).get("state") == "call":
            raise TrayagentError("a call is being recorded; end it first (`trayagent call end`)")
    except ipc.NotRunning:
        pass
    print(f"deleted {s.delete_all()} calls")
    return 0
