"""The week at a glance: a bar a day of time on calls by band, the unmeasured time grey on top."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trayagent import wording
from trayagent.core.bands import highest_band
from trayagent.core.stress import Band, Thresholds
from trayagent.core.week import DayTotals
from trayagent.i18n import _, ngettext
from trayagent.ui.graphs import BAND_COLOURS, UNMEASURED, empty, figure


def week_figure(days: Sequence[DayTotals], thresholds: Thresholds = Thresholds(),
                size: tuple[float, float] = (10, 5.5)) -> Figure:
    """One bar a day: time on calls, split by band, the time not measured grey on top; above each,
    the day's calls and the highest band it reached, in words."""
    fig = figure(size)
    ax = fig.subplots()
    first, last = days[0].day, days[-1].day
    span = _("{first} to {last}").format(first=wording.day(first), last=wording.day(last))
    if not any(d.calls for d in days):
        return empty(fig, ax, _("No calls from {first} to {last}.").format(first=wording.day(first),
                                                                           last=wording.day(last)))
    xs = range(len(days))
    bottom = [0.0] * len(days)
    for b in Band:
        heights = [d.bands[b] / 60 for d in days]
        ax.bar(xs, heights, bottom=bottom, color=BAND_COLOURS[b.value], width=0.65, label=wording.band(b.value),
               zorder=3)
        bottom = [x + h for x, h in zip(bottom, heights)]
    heights = [d.unmeasured / 60 for d in days]
    if any(heights):
        ax.bar(xs, heights, bottom=bottom, width=0.65, label=_("not measured"), zorder=3,
               **UNMEASURED | {"edgecolor": "#888888"})
        bottom = [x + h for x, h in zip(bottom, heights)]
    for x, d, top in zip(xs, days, bottom):
        if d.calls:
            reached = (_("not measured") if d.peak is None else
                       _("highest: {band}").format(band=wording.band(highest_band(d.peak, thresholds).value)))
            text = ngettext("{n} call", "{n} calls", d.calls).format(n=d.calls) + "\n" + reached
            ax.annotate(text, (x, top), textcoords="offset points", xytext=(0, 4), ha="center", va="bottom",
                        fontsize=9)
    ax.set_xticks(list(xs), [wording.day(d.day) for d in days])
    ax.set_ylabel(_("time on calls"))
    ax.set_ylim(0, max(bottom) * 1.3 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 3, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: wording.duration(v * 60)))
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.legend(loc="upper left", fontsize=9, title=_("time in each band"), title_fontsize=9, framealpha=0.9)
    calls = sum(d.calls for d in days)
    counted = sum(sum(d.bands.values()) for d in days)
    low = sum(d.bands[Band.CALM] for d in days) / counted if counted else None
    title = (ngettext("{span}: {n} call, none measured", "{span}: {n} calls, none measured", calls) if low is None
             else ngettext("{span}: {n} call, stress low for {share} of the time measured",
                           "{span}: {n} calls, stress low for {share} of the time measured", calls))
    ax.set_title(title.format(span=span, n=calls, share=f"{low or 0:.0%}"), fontsize=13)
    return fig
