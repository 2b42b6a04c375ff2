"""What reconciling the index with the call files costs (issue 21, item 1): a data folder of 1,000
calls (about a year of work at four a day), listed as every command and the tray list it. Printed,
not asserted: `pytest tests/test_index_cost.py -s`."""

from __future__ import annotations

import shutil
import statistics
import time
from datetime import timedelta

import pytest

from tests.test_storage_damage import T0, samples
from trayagent.storage.calls import CallStore

CALLS = 1000
ROWS = 240  # two minutes at two frames a second


def timed(run, repeat: int = 7) -> float:
    """Median milliseconds of `run()`."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


@pytest.mark.slow
def test_the_cost_of_reconciling_1000_calls(tmp_path, capsys):
    store = CallStore(tmp_path)
    w = store.new_call(T0 - timedelta(days=1))
    emotions = ["stress", "neutral", "happy", None, "surprise"] * (ROWS // 5)
    for s in samples(emotions, T0 - timedelta(days=1)):
        w.write(s)
    first = w.close()
    summaries = []
    for k in range(CALLS):  # the same record under 1,000 names, a call every six hours
        start = T0 + timedelta(hours=6 * k)
        call_id = start.strftime("%Y%m%d-%H%M%S")
        shutil.copyfile(w.path, store.call_path(call_id))
        summaries.append(first.__class__(call_id, start, start + (first.end - first.start), first.samples,
                                         first.faces, first.peak, first.mean, first.final))
    store.call_path(w.id).unlink()
    store.index.rewrite(summaries)
    index = store.index_path.read_bytes()

    # what listing cost before (the index alone) and now (reconciled with calls/), taken in turns so
    # that a busy machine weighs on both alike
    pairs = [(timed(store.index.read, 1), timed(store.calls, 1)) for _ in range(15)]
    read_only, listing = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)

    def one_row_lost() -> None:
        store.index_path.write_bytes(index.replace(index.splitlines(keepends=True)[500], b""))
    row_lost = timed(lambda: (one_row_lost(), store.calls()), repeat=5)
    write_only = timed(lambda: one_row_lost(), repeat=5)

    def emptied() -> None:
        store.index_path.write_bytes(b"")
    all_lost = timed(lambda: (emptied(), store.calls()), repeat=3)
    assert len(store.calls()) == CALLS
    with capsys.disabled():
        print(f"\nindex cost, {CALLS} calls of {ROWS} rows (median ms):\n"
              f"  read the index alone (listing before reconciling): {read_only:8.1f}\n"
              f"  list, reconciled (index + a listing of calls/):    {listing:8.1f}"
              f"  (+{listing - read_only:.1f}, +{100 * (listing - read_only) / read_only:.0f}%)\n"
              f"  list after one row was lost (1 file read, written back): {row_lost - write_only:6.1f}\n"
              f"  list after the index was emptied (all {CALLS} files read, written back): {all_lost:8.1f}")
