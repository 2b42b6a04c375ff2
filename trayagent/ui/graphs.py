"""Graphs of stress over a call (the paper's Figure 5, readable at a glance), over a day and over a
week, in the user's language (`trayagent.i18n.use`).

matplotlib's object API only (Figure, not pyplot), so drawing never touches a GUI event loop; the
tray opens graphs in a child process (`trayagent graph`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trayagent import wording
from trayagent.core.bands import sample_spans, time_in_bands
from trayagent.core.durations import mmss
from trayagent.core.emotions import PRODUCT4
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Band, Thresholds
from trayagent.core.visibility import Seen, VisibilityThresholds, classify
from trayagent.core.week import DayTotals
from trayagent.i18n import _, ngettext
from trayagent.ui.fonts import use_hangul_font

BAND_COLOURS = {"calm": "#e3f4e1", "elevated": "#fdf0d2", "alert": "#fadbd8"}  # backgrounds
BAND_DOTS = {"calm": "#2ea043", "elevated": "#f2a900", "alert": "#d63031"}  # as the tray icon
EMOTION_COLOURS = {"happy": "#f2b134", "neutral": "#9aa5b1", "stress": "#d64545", "surprise": "#7b61ff"}
NO_FACE_COLOUR = "#ffffff"
POORLY_SEEN = {Seen.DARK: ("#4a4a4a", "..."), Seen.BACKLIT: ("#5680b2", "\\\\")}  # edge colour, hatch
LINE_COLOUR = "#1f3b57"
CALL_SIZE = (9.0, 5.4)  # inches at 100 dpi; the window resizes it to the screen


def _figure(size: tuple[float, float]) -> Figure:
    use_hangul_font()
    return Figure(figsize=size, dpi=100, layout="constrained")


def _band_background(ax, thresholds: Thresholds, lo: float, hi: float) -> None:
    ax.axhspan(min(lo, thresholds.calm_below), thresholds.calm_below, color=BAND_COLOURS["calm"], zorder=0)
    ax.axhspan(thresholds.calm_below, thresholds.alert_from, color=BAND_COLOURS["elevated"], zorder=0)
    ax.axhspan(thresholds.alert_from, max(hi, thresholds.alert_from), color=BAND_COLOURS["alert"], zorder=0)


def _empty(fig: Figure, ax, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=13, color="#555555")
    ax.set_axis_off()
    return fig


def call_sentence(samples: Sequence[Sample], thresholds: Thresholds,
                  visibility: VisibilityThresholds = VisibilityThresholds()) -> str:
    """The graph in words, for the line under it; when the camera saw the face well for less than
    nine tenths of the call, a second sentence says for how much."""
    stress = _stress_sentence(samples, thresholds)
    measured = [s for s in samples if s.visibility is not None]
    if not measured or not any(s.face for s in samples):  # never seen at all: the first sentence says so
        return stress
    seen = sum(classify(s.visibility, visibility) is Seen.SEEN for s in samples) / len(samples)
    if seen >= 0.9:
        return stress
    return stress + " " + _("The camera saw your face well for {share} of the call.").format(
        share=f"{seen:.0%}")


def _stress_sentence(samples: Sequence[Sample], thresholds: Thresholds) -> str:
    if not samples:
        return _("Nothing was recorded in this call.")
    spans = time_in_bands(samples, thresholds)
    if spans[Band.ALERT] >= 1:
        return _("Stress stayed high for {time}.").format(time=wording.minutes_words(spans[Band.ALERT]))
    if spans[Band.ELEVATED] >= 1:
        return _("Stress was somewhat raised for {time}, and never high.").format(
            time=wording.minutes_words(spans[Band.ELEVATED]))
    if not any(s.face for s in samples):
        return _("Your face could not be seen during this call.")
    return _("Stress stayed low for the whole call.")


def call_title(summary: CallSummary | None, samples: Sequence[Sample]) -> str:
    """"Call on Tue 5 Mar at 22:26 · 4 min 7 s": when it started, local time, and how long it lasted."""
    if summary is not None:
        start, dur = summary.start.astimezone(), summary.duration_s
    elif samples:
        start = samples[0].time.astimezone()
        dur = (samples[-1].time - samples[0].time).total_seconds()
    else:
        return _("Call (nothing recorded)")
    return _("Call on {day} at {time} · {length}").format(day=wording.day(start.date()), time=wording.clock(start),
                                                           length=wording.duration(dur))


def call_figure(samples: Sequence[Sample], title: str, thresholds: Thresholds = Thresholds(),
                size: tuple[float, float] = CALL_SIZE,
                visibility: VisibilityThresholds = VisibilityThresholds()) -> Figure:
    """Index over mm:ss on top; beneath, a strip coloured by the emotion of each moment, the stretches
    where the face was not seen hatched, and those where it was too dark or backlit marked with their
    own hatch on both; under it all, the call in a sentence."""
    fig = _figure(size)
    fig.suptitle(title, fontsize=14)
    ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [5, 1]})
    if not samples:
        strip.set_axis_off()
        return _empty(fig, ax, _("No moments were recorded in this call."))
    t0 = samples[0].time
    ts = [(s.time - t0).total_seconds() for s in samples]
    ys = [s.stress for s in samples]
    lo = min(0.0, min(ys)) - 0.05
    hi = max(thresholds.alert_from, max(ys)) + 0.1
    _band_background(ax, thresholds, lo, hi)
    ax.plot(ts, ys, color=LINE_COLOUR, linewidth=2, drawstyle="steps-post", zorder=3)
    peak = max(range(len(ys)), key=ys.__getitem__)
    ax.plot([ts[peak]], [ys[peak]], "o", color=LINE_COLOUR, zorder=4)
    ax.annotate(_("highest {index}").format(index=wording.index(ys[peak])), (ts[peak], ys[peak]),
                textcoords="offset points", xytext=(6, 6), fontsize=10, color=LINE_COLOUR)
    ax.axhline(0, color="#555555", linewidth=0.8, zorder=2)
    ax.set_ylim(lo, hi)
    ax.set_ylabel(_("stress index"))
    ax.grid(axis="y", color="white", linewidth=0.8, zorder=1)
    ax.legend(handles=[Patch(color=BAND_COLOURS[b.value], label=wording.band(b.value)) for b in Band],
              loc="upper left", fontsize=9, ncol=3, framealpha=0.9)

    # A run of equal emotions is drawn as one bar so the strip reads as phases of the call.
    ends = [t + span for t, span in zip(ts, sample_spans(samples))]
    runs: list[tuple[str | None, float, float]] = []
    for t, t_end, s in zip(ts, ends, samples):
        if runs and runs[-1][0] == s.emotion:
            runs[-1] = (s.emotion, runs[-1][1], t_end)
        else:
            runs.append((s.emotion, t, t_end))
    for emotion, a, b in runs:
        if emotion is None:
            strip.broken_barh([(a, b - a)], (0, 1), facecolor=NO_FACE_COLOUR, edgecolor="#bbbbbb", hatch="///",
                              linewidth=0)
            ax.axvspan(a, b, facecolor="none", edgecolor="#bbbbbb", hatch="//", linewidth=0, zorder=1)
        else:
            strip.broken_barh([(a, b - a)], (0, 1), color=EMOTION_COLOURS[emotion])
    # A face found but too dark or backlit: read, but poorly. Its stretches are hatched over the colour.
    poor: list[tuple[Seen, float, float]] = []
    for t, t_end, s in zip(ts, ends, samples):
        state = classify(s.visibility, visibility) if s.face and s.visibility is not None else None
        if poor and poor[-1][0] == state and poor[-1][2] == t:
            poor[-1] = (state, poor[-1][1], t_end)
        elif state in POORLY_SEEN:
            poor.append((state, t, t_end))
    for state, a, b in poor:
        edge, hatch = POORLY_SEEN[state]
        strip.broken_barh([(a, b - a)], (0, 1), facecolor="none", edgecolor=edge, hatch=hatch, linewidth=0)
        ax.axvspan(a, b, facecolor="none", edgecolor=edge, hatch=hatch, linewidth=0, zorder=1, alpha=0.5)
    strip.set_xlim(0, ends[-1])
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_ylabel(_("face"), rotation=0, ha="right", va="center")
    # Whole seconds at steps that read well as min:sec (1, 2, 3, 6, 10, 20, 30, 60 s...): a call of a
    # few seconds would otherwise get ticks under a second apart, labelled 0:00 0:00 0:01.
    strip.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, steps=[1, 2, 3, 6, 10]))
    strip.xaxis.set_major_formatter(FuncFormatter(mmss))
    strip.set_xlabel(_("time in call (min:sec)"))
    handles = [Patch(color=EMOTION_COLOURS[e], label=wording.emotion(e)) for e in PRODUCT4]
    handles.append(Patch(facecolor=NO_FACE_COLOUR, edgecolor="#bbbbbb", hatch="///", label=_("face not seen")))
    poor_labels = {Seen.DARK: _("too dark"), Seen.BACKLIT: _("light from behind")}
    for state in POORLY_SEEN:
        if any(p[0] is state for p in poor):
            edge, hatch = POORLY_SEEN[state]
            handles.append(Patch(facecolor=NO_FACE_COLOUR, edgecolor=edge, hatch=hatch, label=poor_labels[state]))
    strip.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=5, fontsize=9,
                 frameon=False)
    fig.supxlabel(call_sentence(samples, thresholds, visibility), fontsize=13, color=LINE_COLOUR)
    return fig


def call_label(summary: CallSummary) -> str:
    """"오후 10:26 · 4분 7초": a call in a list (tray menu, day graph, graph window)."""
    return f"{wording.clock(summary.start.astimezone())} · {wording.duration(summary.duration_s)}"


def day_figure(calls: Sequence[tuple[CallSummary, Sequence[Sample]]], day: date,
               thresholds: Thresholds = Thresholds(), size: tuple[float, float] = (10, 5)) -> Figure:
    """All of a day's calls on one clock-time axis, labelled by start time; beside it, the calls
    listed with a dot coloured by the band each reached, and their length."""
    import matplotlib.dates as mdates

    fig = _figure(size)
    ax = fig.subplots()
    if not calls:
        return _empty(fig, ax, _("No calls on {day}.").format(day=wording.day(day, year=True)))
    values = [s.stress for _c, samples in calls for s in samples] or [0.0]
    lo, hi = min(0.0, min(values)) - 0.05, max(thresholds.alert_from, max(values)) + 0.1
    _band_background(ax, thresholds, lo, hi)
    tz = calls[0][0].start.astimezone().tzinfo
    for summary, samples in calls:
        if not samples:
            continue
        xs: list[datetime] = [s.time for s in samples]
        # as an array: matplotlib's stubs type datetimes only so (its date converter reads a list alike)
        ax.plot(np.asarray(xs), [s.stress for s in samples], linewidth=1.8, zorder=3, color=LINE_COLOUR)
        ax.annotate(wording.clock(summary.start.astimezone()), (xs[0], samples[0].stress),
                    textcoords="offset points", xytext=(0, 8), fontsize=9, color=LINE_COLOUR, ha="center")
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_ylim(lo, hi)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_xlabel(_("time of day"))
    ax.set_ylabel(_("stress index"))
    dots = [Line2D([], [], marker="o", linestyle="", markersize=9,
                   color=BAND_DOTS[thresholds.band(c.peak).value], label=call_label(c)) for c, _s in calls]
    ax.legend(handles=dots, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False,
              title=_("Calls"), title_fontsize=10)
    total = sum(c.duration_s for c, _s in calls)
    ax.set_title(ngettext("{day}: {n} call, {time} in all", "{day}: {n} calls, {time} in all", len(calls)).format(
        day=wording.day(day, year=True), n=len(calls), time=wording.duration(total)), fontsize=13)
    return fig


def week_figure(days: Sequence[DayTotals], thresholds: Thresholds = Thresholds(),
                size: tuple[float, float] = (10, 5.5)) -> Figure:
    """One bar a day: minutes on calls, split by band; above each, the day's calls and peak."""
    fig = _figure(size)
    ax = fig.subplots()
    first, last = days[0].day, days[-1].day
    span = _("{first} to {last}").format(first=wording.day(first), last=wording.day(last))
    if not any(d.calls for d in days):
        return _empty(fig, ax, _("No calls from {first} to {last}.").format(first=wording.day(first),
                                                                           last=wording.day(last)))
    xs = range(len(days))
    bottom = [0.0] * len(days)
    for b in Band:
        heights = [d.bands[b] / 60 for d in days]
        ax.bar(xs, heights, bottom=bottom, color=BAND_DOTS[b.value], width=0.65, label=wording.band(b.value),
               zorder=3)
        bottom = [x + h for x, h in zip(bottom, heights)]
    for x, d, top in zip(xs, days, bottom):
        if d.calls:
            text = ngettext("{n} call", "{n} calls", d.calls).format(n=d.calls) + "\n" + \
                _("highest {index}").format(index=wording.index(d.peak or 0.0))
            ax.annotate(text, (x, top), textcoords="offset points", xytext=(0, 4), ha="center", va="bottom",
                        fontsize=9)
    ax.set_xticks(list(xs), [wording.day(d.day) for d in days])
    ax.set_ylabel(_("minutes on calls"))
    ax.set_ylim(0, max(bottom) * 1.3 + 0.5)
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.legend(loc="upper left", fontsize=9, title=_("time in each band"), title_fontsize=9, framealpha=0.9)
    calls = sum(d.calls for d in days)
    means = [(d.mean, d.seconds) for d in days if d.mean is not None]
    mean = sum(m * n for m, n in means) / sum(n for _m, n in means) if means else 0.0
    ax.set_title(ngettext("{span}: {n} call, mean stress {mean}", "{span}: {n} calls, mean stress {mean}",
                          calls).format(span=span, n=calls, mean=wording.index(mean)), fontsize=13)
    return fig


def save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
