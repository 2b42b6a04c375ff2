"""`trayagent graph`: a call's graph, a day's, or a week at a glance, in a window or as a PNG."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trayagent import config as config_mod
from trayagent import os_errors, paths, wording
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.core.week import DayTotals, day_totals, days_ending
from trayagent.i18n import _
from trayagent.platform.desktop import open_path
from trayagent.storage.calls import CallStore, read_samples
from trayagent.ui import day_graph, graph_window, graphs, week_graph

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def parse_day(text: str | None, option: str = "--date") -> date:
    if not text:
        return datetime.now().astimezone().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrayagentError(_("{option} {value!r}: use YYYY-MM-DD").format(option=option, value=text)) from None


def with_samples(store: CallStore, calls: list[CallSummary]) -> list[tuple[CallSummary, list[Sample]]]:
    return [(c, list(read_samples(store.call_path(c.id)))) for c in calls]


def week(store: CallStore, last: date, n: int, thresholds: Thresholds,
         seen: VisibilityThresholds = VisibilityThresholds()) -> list[DayTotals]:
    """The n days ending with `last`, oldest first."""
    return [day_totals(d, with_samples(store, store.calls_on(d)), thresholds, seen) for d in days_ending(last, n)]


def call_graph(store: CallStore, call_id: str, thresholds: Thresholds,
               visibility: VisibilityThresholds = VisibilityThresholds()) -> tuple[Figure, str, CallSummary | None]:
    path = store.call_path(call_id)
    if not path.exists():
        raise TrayagentError(_("no call {id!r} (see `trayagent calls`)").format(id=call_id))
    samples = list(read_samples(path))
    summary = next((c for c in store.calls() if c.id == call_id), None)
    title = graphs.call_title(summary, samples)
    return graphs.call_figure(samples, title, thresholds, visibility=visibility), title, summary


def graph_command(args: argparse.Namespace) -> int:
    thresholds = config_mod.load_or_defaults().thresholds
    store = CallStore(paths.data_dir())
    days = getattr(args, "days", None)
    if days is not None and not args.week:
        raise TrayagentError(_("--days goes with --week"))
    if args.week:
        n = days or 7
        if not 1 <= n <= 366:
            raise TrayagentError(_("--days {n}: use a number of days from 1 to 366").format(n=n))
        last = parse_day(args.date)
        seen = config_mod.load_or_defaults().visibility
        fig = week_graph.week_figure(week(store, last, n, thresholds, seen), thresholds)
        return _present(fig, fig.axes[0].get_title() or _("This week"), f"week-{last}", args)
    if args.call_id:
        fig, title, summary = call_graph(store, args.call_id, thresholds, config_mod.load_or_defaults().visibility)
        day = summary.start.astimezone().date() if summary else parse_day(None)
        return _present(fig, title, args.call_id, args, store, day, thresholds, args.call_id)
    if not args.today:
        raise TrayagentError(_("name a call (see `trayagent calls`), or use --today or --week"))
    day = parse_day(args.date)
    fig = day_graph.day_figure(with_samples(store, store.calls_on(day)), day, thresholds,
                            visibility=config_mod.load_or_defaults().visibility)
    return _present(fig, fig.axes[0].get_title() or wording.day(day, year=True), f"day-{day}", args,
                    store, day, thresholds)


def _out_path(fig: Figure, out: Path, name: str) -> Path:
    """Where `--out` writes: into a folder as NAME.png, else the file named, in the format its suffix
    names (no suffix: PNG, as matplotlib would, and said so)."""
    if out.is_dir():
        return out / f"{name}.png"
    if not out.suffix:
        return out.with_name(out.name + ".png")
    formats = fig.canvas.get_supported_filetypes()
    if out.suffix[1:].lower() not in formats:
        raise TrayagentError(_("--out {path}: cannot write {suffix} files; use one of {formats}").format(
            path=out, suffix=out.suffix, formats=", ".join(f".{f}" for f in sorted(formats))))
    return out


def _present(fig: Figure, title: str, name: str, args: argparse.Namespace, store: CallStore | None = None, day: date | None = None,
             thresholds: Thresholds = Thresholds(), selected: str | None = None) -> int:
    if args.out:
        out = Path(args.out)
        try:
            out = _out_path(fig, out, name)
            graphs.save(fig, out)
        except OSError as e:
            raise TrayagentError(_("--out {path}: cannot write ({reason})").format(
                path=out, reason=os_errors.reason(e))) from None
        print(_("wrote {path}").format(path=out))
        return 0
    entries = []
    if store is not None and day is not None:
        entries = [graph_window.CallEntry(graphs.call_label(c, thresholds), graphs.band_colour(c, thresholds), c.id)
                   for c in reversed(store.calls_on(day))]  # newest first, as in the tray's menu

    def open_call(call_id: str) -> tuple[Figure, str]:
        figure, new_title, _summary = call_graph(store, call_id, thresholds,  # type: ignore[arg-type]
                                                 config_mod.load_or_defaults().visibility)
        return figure, new_title

    heading = None if day is None or day == parse_day(None) else wording.day(day, year=True)
    if graph_window.show(fig, title, entries, open_call, selected, heading):
        return 0
    # No Tk (an embedded runtime): render into the user's data folder and open it with the
    # system's image viewer, which every desktop has.
    out = graphs.save(fig, paths.data_dir() / "graphs" / f"{name}.png")
    open_path(out)
    return 0
