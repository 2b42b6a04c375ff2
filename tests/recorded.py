"""Calls recorded through the real store (CallStore, CallWriter, the index), their index folded by
the paper's Table 3 from a made-up run of expressions, for the history, week, export and graph tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from trayagent.core.emotions import PRODUCT4
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import CallStats
from trayagent.storage.calls import CallStore

# Phases of a call: (emotion or None for "face not seen", how many samples at 2 a second).
CALM = [("neutral", 40), ("happy", 20), ("neutral", 30)]
TENSE = [("neutral", 20), ("stress", 60), (None, 24), ("stress", 30), ("neutral", 20)]  # reaches "high"
MIXED = [("neutral", 10), ("stress", 20), ("surprise", 10), ("happy", 20)]  # only "raised"
BLIND = [(None, 76)]  # the camera never saw the face: not measured, never calm


def record_call(store: CallStore, start: datetime, phases, fps: float = 2.0) -> CallSummary:
    writer = store.new_call(start)
    stats, t = CallStats(), start
    for emotion, n in phases:
        for _ in range(n):
            index = stats.step(emotion)
            probs = None if emotion is None else tuple(0.7 if c == emotion else 0.1 for c in PRODUCT4)
            writer.write(Sample(t, emotion, index, probs))
            t += timedelta(seconds=1 / fps)
    summary = writer.close()
    store.add_to_index(summary)
    return summary


def record_week(data_dir: Path, last: date, tz=None) -> list[CallSummary]:
    """Calls on most of the 7 days ending `last`: none on the day before it, three on `last`."""
    tz = tz or datetime.now().astimezone().tzinfo
    store = CallStore(data_dir)
    plan = {6: [CALM], 5: [MIXED, CALM], 4: [TENSE], 3: [CALM, CALM, MIXED], 2: [MIXED], 1: [],
            0: [CALM, TENSE, MIXED]}
    out = []
    for back, calls in plan.items():
        day = last - timedelta(days=back)
        for i, phases in enumerate(calls):
            out.append(record_call(store, datetime.combine(day, time(9 + 3 * i, 5 * back), tz), phases))
    return out
