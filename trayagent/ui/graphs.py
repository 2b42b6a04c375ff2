"""Graphs of stress over a call (the paper's Figure 5, readable at a glance) and over a day.

matplotlib's object API only (Figure, not pyplot), so drawing never touches a GUI event loop; the
tray opens graphs in a child process (`trayagent graph`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from trayagent.core.durations import mmss
from trayagent.core.emotions import PRODUCT4
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Thresholds

BAND_COLOURS = {"calm": "#e3f4e1", "elevated": "#fdf0d2", "alert": "#fadbd8"}
EMOTION_COLOURS = {"happy": "#f2b134", "neutral": "#9aa5b1", "stress": "#d64545", "surprise": "#7b61ff"}
NO_FACE_COLOUR = "#ffffff"
LINE_COLOUR = "#1f3b57"


def _band_background(ax, thresholds: Thresholds, lo: float, hi: float) -> None:
    ax.axhspan(min(lo, thresholds.calm_below), thresholds.calm_below, color=BAND_COLOURS["calm"], zorder=0)
    ax.axhspan(thresholds.calm_below, thresholds.alert_from, color=BAND_COLOURS["elevated"], zorder=0)
    ax.axhspan(thresholds.alert_from, max(hi, thresholds.alert_from), color=BAND_COLOURS["alert"], zorder=0)


def call_figure(samples: Sequence[Sample], title: str, thresholds: Thresholds = Thresholds()) -> Figure:
    """Index over mm:ss on top; beneath, a strip coloured by the emotion of each moment."""
    fig = Figure(figsize=(9, 4.6), dpi=100, layout="constrained")
    ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [5, 1]})
    if not samples:
        ax.text(0.5, 0.5, "No samples recorded in this call", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        strip.set_axis_off()
        fig.suptitle(title)
        return fig
    t0 = samples[0].time
    ts = [(s.time - t0).total_seconds() for s in samples]
    ys = [s.stress for s in samples]
    lo = min(0.0, min(ys)) - 0.05
    hi = max(thresholds.alert_from, max(ys)) + 0.1
    _band_background(ax, thresholds, lo, hi)
    ax.plot(ts, ys, color=LINE_COLOUR, linewidth=2, drawstyle="steps-post", zorder=3)
    peak = max(range(len(ys)), key=ys.__getitem__)
    ax.plot([ts[peak]], [ys[peak]], "o", color=LINE_COLOUR, zorder=4)
    ax.annotate(f"peak {ys[peak]:.2f}", (ts[peak], ys[peak]), textcoords="offset points", xytext=(6, 6),
                fontsize=9, color=LINE_COLOUR)
    ax.axhline(0, color="#555555", linewidth=0.8, zorder=2)
    ax.set_ylim(lo, hi)
    ax.set_ylabel("stress index")
    ax.grid(axis="y", color="white", linewidth=0.8, zorder=1)
    ax.legend(handles=[Patch(color=BAND_COLOURS[b], label=b) for b in ("calm", "elevated", "alert")],
              loc="upper left", fontsize=8, ncol=3, framealpha=0.9)

    # Each moment lasts until the next sample (the last one: the median step); a run of equal
    # emotions is drawn as one bar so the strip reads as phases of the call.
    steps = sorted(b - a for a, b in zip(ts, ts[1:])) or [0.5]
    ends = ts[1:] + [ts[-1] + steps[len(steps) // 2]]
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
        else:
            strip.broken_barh([(a, b - a)], (0, 1), color=EMOTION_COLOURS[emotion])
    strip.set_xlim(0, ends[-1])
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_ylabel("emotion", rotation=0, ha="right", va="center")
    strip.xaxis.set_major_formatter(FuncFormatter(mmss))
    strip.set_xlabel("time in call (mm:ss)")
    handles = [Patch(color=EMOTION_COLOURS[e], label=e) for e in PRODUCT4]
    handles.append(Patch(facecolor=NO_FACE_COLOUR, edgecolor="#bbbbbb", hatch="///", label="no face"))
    strip.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=5, fontsize=8,
                 frameon=False)
    fig.suptitle(title)
    return fig


def call_title(summary: CallSummary | None, samples: Sequence[Sample]) -> str:
    if summary is not None:
        start, dur, peak, final = summary.start, summary.duration_s, summary.peak, summary.final
    elif samples:
        start = samples[0].time
        dur = (samples[-1].time - start).total_seconds()
        peak, final = max(s.stress for s in samples), samples[-1].stress
    else:
        return "Call (no samples)"
    return f"Call {start:%Y-%m-%d %H:%M} · {mmss(dur)} · peak {peak:.2f} · final {final:.2f}"


def day_figure(calls: Sequence[tuple[CallSummary, Sequence[Sample]]], day: str,
               thresholds: Thresholds = Thresholds()) -> Figure:
    """All of a day's calls on one clock-time axis, each its own line, labelled by start time."""
    import matplotlib.dates as mdates

    fig = Figure(figsize=(10, 4.6), dpi=100, layout="constrained")
    ax = fig.subplots()
    if not calls:
        ax.text(0.5, 0.5, f"No calls on {day}", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    values = [s.stress for _, samples in calls for s in samples] or [0.0]
    lo, hi = min(0.0, min(values)) - 0.05, max(thresholds.alert_from, max(values)) + 0.1
    _band_background(ax, thresholds, lo, hi)
    tz = calls[0][0].start.tzinfo
    for summary, samples in calls:
        if not samples:
            continue
        xs: list[datetime] = [s.time for s in samples]
        line, = ax.plot(xs, [s.stress for s in samples], linewidth=1.8, zorder=3)
        ax.annotate(f"{summary.start:%H:%M}", (xs[0], samples[0].stress), textcoords="offset points",
                    xytext=(0, 8), fontsize=8, color=line.get_color(), ha="center")
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_ylim(lo, hi)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_xlabel("time of day")
    ax.set_ylabel("stress index")
    peaks = [c.peak for c, _ in calls]
    total = sum(c.duration_s for c, _ in calls)
    ax.set_title(f"{day}: {len(calls)} calls · {mmss(total)} on calls · highest peak {max(peaks):.2f}")
    return fig


def save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
