"""A stretch of days at a glance: per day, how many calls, how long in each band, peak and mean.
Band time, peak and mean count measured time and calls only (core/measured.py); the rest is
`unmeasured`. Pure: the caller reads the calls and their samples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from trayagent.core.measured import measure
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Band, Thresholds
from trayagent.core.visibility import VisibilityThresholds


@dataclass(frozen=True)
class DayTotals:
    day: date
    calls: int = 0
    seconds: float = 0.0  # on calls
    bands: dict[Band, float] = field(default_factory=lambda: {b: 0.0 for b in Band})  # seconds in each
    unmeasured: float = 0.0  # seconds on calls when the face was not seen well enough
    peak: float | None = None  # the day's highest index over measured calls; None without one
    mean: float | None = None  # mean index over the day's measured calls, weighted by their samples

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "calls": self.calls, "seconds": round(self.seconds, 1),
                "bands_s": {b.value: round(s, 1) for b, s in self.bands.items()},
                "unmeasured_s": round(self.unmeasured, 1),
                "peak": None if self.peak is None else round(self.peak, 4),
                "mean": None if self.mean is None else round(self.mean, 4)}


def days_ending(last: date, n: int) -> list[date]:
    return [last - timedelta(days=i) for i in range(n - 1, -1, -1)]


def day_totals(day: date, calls: Iterable[tuple[CallSummary, Sequence[Sample]]],
               thresholds: Thresholds, seen: VisibilityThresholds = VisibilityThresholds()) -> DayTotals:
    n, seconds, unmeasured, peak, weighted, samples = 0, 0.0, 0.0, None, 0.0, 0
    bands = {b: 0.0 for b in Band}
    for summary, rows in calls:
        n += 1
        seconds += summary.duration_s
        m = measure(rows, thresholds, seen)
        unmeasured += m.unmeasured_s
        for b, s in m.bands.items():
            bands[b] += s
        if m.measured:
            peak = summary.peak if peak is None else max(peak, summary.peak)
            weighted += summary.mean * summary.samples
            samples += summary.samples
    return DayTotals(day, n, seconds, bands, unmeasured, peak, weighted / samples if samples else None)
