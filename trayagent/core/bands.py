"""How long a call spent in each stress band, from its samples. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from trayagent.core.records import Sample
from trayagent.core.stress import Band, Thresholds


def sample_spans(samples: Sequence[Sample]) -> list[float]:
    """Seconds each sample stands for: until the next one; the last one a typical (median) step."""
    ts = [s.time.timestamp() for s in samples]
    steps = sorted(b - a for a, b in pairwise(ts))
    last = steps[len(steps) // 2] if steps else 0.0
    return [b - a for a, b in pairwise(ts)] + ([last] if ts else [])


def time_in_bands(samples: Sequence[Sample], thresholds: Thresholds) -> dict[Band, float]:
    out = {b: 0.0 for b in Band}
    for s, span in zip(samples, sample_spans(samples)):
        out[thresholds.band(s.stress)] += span
    return out


def highest_band(peak: float, thresholds: Thresholds) -> Band:
    """The band a call reached (its peak's): what the tray's list of calls shows."""
    return thresholds.band(peak)
