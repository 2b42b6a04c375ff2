"""Graphs of stress over a call (the paper's Figure 5, readable at a glance), and what the day's
(`day_graph`) and week's (`week_graph`) share, in the user's language (`trayagent.i18n.use`).

matplotlib's object API only (Figure, not pyplot), so drawing never touches a GUI event loop; the
tray opens graphs in a child process (`trayagent graph`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trayagent import wording
from trayagent.core.bands import highest_band, sample_spans
from trayagent.core.durations import mmss
from trayagent.core.emotions import PRODUCT4
from trayagent.core.measured import Measured, call_measured, measure, moment_measured
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Band, Thresholds
from trayagent.core.visibility import Seen, VisibilityThresholds, classify
from trayagent.i18n import _
from trayagent.ui.fonts import use_hangul_font

# One palette for the stress bands (the tray icon's colours), another for expressions, so that red
# means one thing only: a high band. Time not measured is grey and hatched everywhere.
BAND_COLOURS = {"calm": "#2ea043", "elevated": "#f2a900", "alert": "#d63031"}
BAND_BACKGROUNDS = {"calm": "#e3f4e1", "elevated": "#fdf0d2", "alert": "#fadbd8"}
EXPRESSION_COLOURS = {"happy": "#56b4e9", "neutral": "#b8bec6", "stress": "#6a3d9a", "surprise": "#17a2a2"}
UNMEASURED_COLOUR = "#9a9a9a"  # a call or a stretch not measured: its dot, its hatching
UNMEASURED: dict[str, Any] = {"facecolor": "#f2f2f2", "edgecolor": "#b0b0b0", "hatch": "///", "linewidth": 0}
POORLY_SEEN = {Seen.DARK: ("#4a4a4a", "..."), Seen.BACKLIT: ("#5680b2", "\\\\")}  # edge colour, hatch
LINE_COLOUR = "#1f3b57"
CALL_SIZE = (9.0, 5.4)  # inches at 100 dpi; the window resizes it to the screen

K = TypeVar("K")


def figure(size: tuple[float, float]) -> Figure:
    use_hangul_font()
    # Pads in inches: the caption and labels keep off the window's edge.
    return Figure(figsize=size, dpi=100, layout=ConstrainedLayoutEngine(w_pad=0.12, h_pad=0.12))


def runs(keyed: Iterable[tuple[K, float, float]]) -> list[tuple[K, float, float]]:
    """(key, start, end) stretches with neighbours of equal key that touch merged into one, so a
    strip reads as phases of a call rather than as hundreds of slivers."""
    out: list[tuple[K, float, float]] = []
    for key, a, b in keyed:
        if out and out[-1][0] == key and out[-1][2] == a:
            out[-1] = (key, out[-1][1], b)
        else:
            out.append((key, a, b))
    return out


def band_of(summary: CallSummary, thresholds: Thresholds) -> str | None:
    """The band a call reached, by name; None when it was not measured."""
    return highest_band(summary.peak, thresholds).value if call_measured(summary) else None


def band_colour(summary: CallSummary, thresholds: Thresholds) -> str:
    band = band_of(summary, thresholds)
    return UNMEASURED_COLOUR if band is None else BAND_COLOURS[band]


def band_background(ax: Axes, thresholds: Thresholds, lo: float, hi: float) -> None:
    """The three bands as coloured regions, each named in words just outside the right edge."""
    regions = {Band.CALM: (lo, thresholds.calm_below), Band.ELEVATED: (thresholds.calm_below, thresholds.alert_from),
               Band.ALERT: (thresholds.alert_from, max(hi, thresholds.alert_from))}
    names = ax.get_yaxis_transform()  # x in axes units, y in data units
    for band, (a, b) in regions.items():
        ax.axhspan(a, b, color=BAND_BACKGROUNDS[band.value], zorder=0)
        ax.text(1.01, (max(a, 0.0) + min(b, hi)) / 2, wording.band(band.value), transform=names, ha="left",
                va="center",
                fontsize=10, color=BAND_COLOURS[band.value], zorder=5)


def index_axis(ax: Axes, lo: float, hi: float) -> None:
    ax.axhline(0, color="#555555", linewidth=0.8, zorder=2)
    ax.set_ylim(lo, hi)
    ax.set_ylabel(_("stress level"))


def empty(fig: Figure, ax: Axes, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=13, color="#555555")
    ax.set_axis_off()
    return fig


def call_sentence(samples: Sequence[Sample], thresholds: Thresholds,
                  visibility: VisibilityThresholds = VisibilityThresholds()) -> str:
    """The graph in words, for the line under it; when the camera saw the face well for less than
    nine tenths of the call, a second sentence says for how much."""
    m = measure(samples, thresholds, visibility)
    if samples and not m.measured:
        if not any(s.face for s in samples):
            return _("Not measured: your face could not be seen during this call.")
        return _("Not measured: the camera saw your face well for only {share} of the call.").format(
            share=f"{m.share:.0%}")
    stress = _stress_sentence(samples, m)
    if not samples or m.share >= 0.9:
        return stress
    return stress + " " + _("The camera saw your face well for {share} of the call.").format(share=f"{m.share:.0%}")


def _stress_sentence(samples: Sequence[Sample], m: Measured) -> str:
    if not samples:
        return _("Nothing was recorded in this call.")
    if m.bands[Band.ALERT] >= 1:
        return _("Stress stayed high for {time}.").format(time=wording.minutes_words(m.bands[Band.ALERT]))
    if m.bands[Band.ELEVATED] >= 1:
        return _("Stress was somewhat raised for {time}, and never high.").format(
            time=wording.minutes_words(m.bands[Band.ELEVATED]))
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
    """The level over mm:ss on top, the bands named in words; beneath, a strip coloured by the
    expression of each moment, the stretches not measured hatched grey on both, and those too dark or
    backlit marked with their own hatch; under it all, the call in a sentence."""
    fig = figure(size)
    fig.suptitle(title, fontsize=14)
    ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [5, 1]})
    if not samples:
        strip.set_axis_off()
        return empty(fig, ax, _("No moments were recorded in this call."))
    t0 = samples[0].time
    ts = [(s.time - t0).total_seconds() for s in samples]
    ends = [t + span for t, span in zip(ts, sample_spans(samples))]
    if ends[-1] == ts[-1]:  # a lone moment stands for no time, yet is drawn across the axis's second
        ends[-1] = ts[-1] + 1.0
    measured = measure(samples, thresholds, visibility).measured
    seen = [measured and moment_measured(s, visibility) for s in samples]
    _call_level(ax, ts, [max(0.0, s.stress) for s in samples], seen, thresholds, ends[-1])
    for ok, a, b in runs(zip(seen, ts, ends)):
        if not ok:
            ax.axvspan(a, b, zorder=1, **UNMEASURED)
    poor = _expression_strip(strip, samples, ts, ends, visibility)
    # At least a second wide, in whole seconds at steps that read well as min:sec (1, 2, 3, 6, 10,
    # 20, 30, 60 s...): a call of a few seconds would otherwise get ticks under a second apart,
    # labelled 0:00 0:00 0:01, and a call of one moment seven ticks all labelled 0:00.
    strip.set_xlim(0, max(1.0, ends[-1]))
    strip.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, steps=[1, 2, 3, 6, 10]))
    strip.xaxis.set_major_formatter(FuncFormatter(mmss))
    strip.set_xlabel(_("time in call (min:sec)"))
    handles = [Patch(color=EXPRESSION_COLOURS[e], label=wording.emotion(e)) for e in PRODUCT4]
    handles.append(Patch(**UNMEASURED | {"linewidth": 0.5}, label=_("not measured")))
    poor_labels = {Seen.DARK: _("too dark"), Seen.BACKLIT: _("light from behind")}
    for state in POORLY_SEEN:
        if state in poor:
            edge, hatch = POORLY_SEEN[state]
            handles.append(Patch(facecolor="white", edgecolor=edge, hatch=hatch, label=poor_labels[state]))
    strip.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=6, fontsize=9,
                 frameon=False, title=_("expression"), title_fontsize=9)
    fig.supxlabel(call_sentence(samples, thresholds, visibility), fontsize=13, color=LINE_COLOUR)
    return fig


def _call_level(ax: Axes, ts: list[float], ys: list[float], seen: list[bool], thresholds: Thresholds,
                end: float) -> None:
    """The level as a step line to the last moment's `end`, broken where it was not measured, its
    highest measured point named."""
    hi = max(thresholds.alert_from, max(ys)) + 0.15
    band_background(ax, thresholds, -0.05, hi)
    shown = [y if ok else np.nan for y, ok in zip(ys, seen)]
    ax.plot([*ts, end], [*shown, shown[-1]], color=LINE_COLOUR, linewidth=2, drawstyle="steps-post", zorder=3)
    if any(seen):
        peak = max((i for i, ok in enumerate(seen) if ok), key=ys.__getitem__)
        ax.plot([ts[peak]], [ys[peak]], "o", color=LINE_COLOUR, zorder=4)
        late = ts[peak] > 0.7 * ts[-1]  # near the right edge the label goes to the left of the point
        ax.annotate(_("highest {level}").format(level=wording.level(ys[peak])), (ts[peak], ys[peak]),
                    textcoords="offset points", xytext=(-8, 6) if late else (8, 6), ha="right" if late else "left",
                    fontsize=10, color=LINE_COLOUR, zorder=6)
    index_axis(ax, -0.05, hi)
    ax.grid(axis="y", color="white", linewidth=0.8, zorder=1)


def _expression_strip(strip: Axes, samples: Sequence[Sample], ts: list[float], ends: list[float],
                      visibility: VisibilityThresholds) -> set[Seen]:
    """Each moment's expression as a coloured bar; returns the poorly-seen states it marked."""
    for emotion, a, b in runs((s.emotion, t, e) for s, t, e in zip(samples, ts, ends)):
        if emotion is None:
            strip.broken_barh([(a, b - a)], (0, 1), **UNMEASURED)
        else:
            strip.broken_barh([(a, b - a)], (0, 1), color=EXPRESSION_COLOURS[emotion])
    # A face found but too dark or backlit: read, but poorly. Its stretches are hatched over the colour.
    states = [classify(s.visibility, visibility) if s.face and s.visibility is not None else None for s in samples]
    poor = [(state, a, b) for state, a, b in runs(zip(states, ts, ends)) if state in POORLY_SEEN]
    for state, a, b in poor:
        edge, hatch = POORLY_SEEN[state]
        strip.broken_barh([(a, b - a)], (0, 1), facecolor="none", edgecolor=edge, hatch=hatch, linewidth=0)
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_ylabel(_("face"), rotation=0, ha="right", va="center")
    return {state for state, _a, _b in poor}


def call_label(summary: CallSummary, thresholds: Thresholds = Thresholds()) -> str:
    """"오후 10:26 · 4분 7초 · 약간 높음": a call in a list (tray menu, graph window), the band being
    the highest it reached, or "측정 안 됨"."""
    band = band_of(summary, thresholds)
    return "{start} · {length} · {band}".format(
        start=wording.clock(summary.start.astimezone()), length=wording.duration(summary.duration_s),
        band=_("not measured") if band is None else wording.band(band))


def save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
