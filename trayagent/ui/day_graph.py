"""A day's calls on one clock-time axis: each call's level, named by its start time along the top;
a call not measured a grey hatched stretch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from trayagent import wording
from trayagent.core.measured import measure, moment_measured
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import _, ngettext
from trayagent.ui.graphs import LINE_COLOUR, UNMEASURED, band_background, empty, figure, index_axis


def day_figure(calls: Sequence[tuple[CallSummary, Sequence[Sample]]], day: date,
               thresholds: Thresholds = Thresholds(), size: tuple[float, float] = (10, 5),
               visibility: VisibilityThresholds = VisibilityThresholds()) -> Figure:
    """All of a day's calls on one clock-time axis, each labelled by its start time; a call not
    measured is a grey hatched stretch, never a line at 0. The window lists the calls beside it."""
    import matplotlib.dates as mdates

    fig = figure(size)
    ax = fig.subplots()
    if not calls:
        return empty(fig, ax, _("No calls on {day}.").format(day=wording.day(day, year=True)))
    values = [max(0.0, s.stress) for _c, samples in calls for s in samples] or [0.0]
    hi = max(thresholds.alert_from, max(values)) + 0.15
    band_background(ax, thresholds, -0.05, hi)
    tz = calls[0][0].start.astimezone().tzinfo
    first = min(c.start for c, _s in calls)
    last = max(c.end for c, _s in calls)
    # At least an hour across, so that a short day's ticks are minutes apart, never the same minute twice.
    pad = max(timedelta(minutes=10), (timedelta(hours=1) - (last - first)) / 2, (last - first) / 25)
    left, right = first - pad, last + pad
    least = (right - left) / 150  # a short call still shows as a stretch wide enough to see
    top = ax.get_xaxis_transform()  # x in data units, y in axes units: each call named along the top
    measured = [bool(samples) and measure(samples, thresholds, visibility).measured for _c, samples in calls]
    rows = _label_rows([mdates.date2num(c.start) for c, _s in calls],
                       [(1 if ok else 2) if samples else 0 for (_c, samples), ok in zip(calls, measured)],
                       mdates.date2num(left), mdates.date2num(right))
    for (summary, samples), row, ok in zip(calls, rows, measured):
        if not samples:
            continue
        label = wording.clock(summary.start.astimezone())
        y = 0.98 - 0.09 * (row or 0)
        if row is None:  # no room left for its name along the top: the window's list names it
            label = ""
        if not ok:
            a, b = summary.start, max(summary.end, summary.start + least)
            ax.axvspan(mdates.date2num(a), mdates.date2num(b), zorder=2, **UNMEASURED | {"edgecolor": "#888888"})
            if label:
                ax.text(mdates.date2num(a + (b - a) / 2), y, label + "\n" + _("not measured"), transform=top,
                        fontsize=9, color="#666666", ha="center", va="top", zorder=6)
            continue
        xs = np.asarray([mdates.date2num(s.time) for s in samples])
        ys = [max(0.0, s.stress) if moment_measured(s, visibility) else np.nan for s in samples]
        ax.plot(xs, ys, linewidth=1.8, zorder=3, color=LINE_COLOUR)
        if label:
            ax.text(xs[0], y, label, transform=top, fontsize=9, color=LINE_COLOUR, ha="center", va="top", zorder=6)
    index_axis(ax, -0.05, hi)
    ax.set_xlim(mdates.date2num(left), mdates.date2num(right))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: wording.clock(mdates.num2date(x, tz))))
    ax.set_xlabel(_("time of day"))
    total = sum(c.duration_s for c, _s in calls)
    ax.set_title(ngettext("{day}: {n} call, {time} in all", "{day}: {n} calls, {time} in all", len(calls)).format(
        day=wording.day(day, year=True), n=len(calls), time=wording.duration(total)), fontsize=13)
    return fig


def _label_rows(xs: list[float], heights: list[int], left: float, right: float, apart: float = 0.1,
                most: int = 5) -> list[int | None]:
    """The first row each call's name takes along the top (`heights`: its lines), the highest free
    one among names close beside it (calls minutes apart on a day's axis); None when the `most`
    rows there are all taken, rather than a name over another."""
    taken: list[tuple[float, int, int]] = []  # x, first row, rows
    out: list[int | None] = []
    for x, h in zip(xs, heights):
        near = [(r, n) for xj, r, n in taken if abs(x - xj) / (right - left) < apart]
        row = next((r for r in range(most - h + 1) if all(r + h <= rj or rj + nj <= r for rj, nj in near)), None)
        out.append(row)
        if row is not None and h:
            taken.append((x, row, h))
    return out
