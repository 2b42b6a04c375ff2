"""Which time was measured: a moment the face was not seen well enough is "not measured", never calm.

The stress index stands still while no face is read, so a call with a covered camera keeps the 0
it started at, and counted naively it would be a perfectly calm call. It is not: nothing was
measured. Every place that adds up time in bands, or shows a call's figures, asks here first
(README, "Not measured"). Pure: samples in, seconds out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trayagent.core.bands import sample_spans
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import Band, Thresholds
from trayagent.core.visibility import Seen, VisibilityThresholds, classify

# A call whose face was seen well in fewer than half its moments is not measured as a whole: its
# index rests on a few glimpses, and its peak, mean and final figures mean nothing.
SEEN_SHARE_MIN = 0.5


def moment_measured(s: Sample, seen: VisibilityThresholds) -> bool:
    """A face seen well. Records from before the visibility numbers only say whether a face was found."""
    if s.visibility is None:
        return s.face
    return classify(s.visibility, seen) is Seen.SEEN


def seen_share(summary: CallSummary) -> float:
    """The share of a call's moments whose face was seen well (records from before that figure: found)."""
    if summary.seen is not None:
        return summary.seen
    return summary.faces / summary.samples if summary.samples else 0.0


def call_measured(summary: CallSummary) -> bool:
    return seen_share(summary) >= SEEN_SHARE_MIN


@dataclass(frozen=True)
class Measured:
    """A call's time: seconds in each band over measured moments only, and the seconds not measured."""

    bands: dict[Band, float] = field(default_factory=lambda: {b: 0.0 for b in Band})
    unmeasured_s: float = 0.0
    end: Band | None = None  # the band the call ended in; None when the call was not measured
    share: float = 0.0  # of its moments, the share seen well

    @property
    def measured(self) -> bool:
        return self.end is not None


def measure(samples: Sequence[Sample], thresholds: Thresholds,
            seen: VisibilityThresholds = VisibilityThresholds()) -> Measured:
    """From a call's samples. Below SEEN_SHARE_MIN the whole call is unmeasured; above it, each
    moment that was not seen well is still counted as unmeasured, not in the band its index held."""
    if not samples:
        return Measured()
    spans = sample_spans(samples)
    ok = [moment_measured(s, seen) for s in samples]
    share = sum(ok) / len(samples)
    if share < SEEN_SHARE_MIN:
        return Measured(unmeasured_s=sum(spans), share=share)
    bands = {b: 0.0 for b in Band}
    unmeasured = 0.0
    for s, span, m in zip(samples, spans, ok):
        if m:
            bands[thresholds.band(s.stress)] += span
        else:
            unmeasured += span
    return Measured(bands, unmeasured, thresholds.band(samples[-1].stress), share)
