"""Per-call CSVs, the calls index, crash recovery and damaged files."""

from __future__ import annotations

import csv
import os
import stat
from datetime import timedelta

import pytest

from tests.fakes import T0, samples
from trayagent.core.records import Sample, Visibility
from trayagent.storage.calls import (
    INDEX_COLUMNS,
    SAMPLE_COLUMNS,
    VISIBILITY_COLUMNS,
    CallStore,
    read_samples,
    sample_row,
    summarize,
)


def test_rows_are_on_disk_as_soon_as_written(tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress", None, "happy"]):
        w.write(s)
        # another reader sees the row before the call ends (a crash loses at most the row in flight)
        assert len(list(read_samples(w.path))) == w.stats.samples
    rows = list(csv.reader(w.path.open()))
    assert tuple(rows[0]) == SAMPLE_COLUMNS
    assert rows[1][:3] == ["2026-11-24T09:30:00.000+09:00", "stress", "0.02"]
    face = SAMPLE_COLUMNS.index("face")
    assert rows[2][1] == "" and rows[2][face] == "0" and rows[2][3:7] == ["", "", "", ""]
    summary = w.close()
    assert (summary.samples, summary.faces) == (3, 2)
    assert summary.peak == pytest.approx(0.02) and summary.final == pytest.approx(0.0)


def test_index_row_per_call(tmp_path):
    store = CallStore(tmp_path)
    for k in range(2):
        w = store.new_call(T0 + timedelta(minutes=k))
        for s in samples(["stress"] * 4, T0 + timedelta(minutes=k)):
            w.write(s)
        store.add_to_index(w.close())
    calls = store.calls()
    assert [c.id for c in calls] == ["20261124-093000", "20261124-093100"]
    assert calls[0].duration_s == 1.5 and calls[0].peak == pytest.approx(0.08)
    header = next(csv.reader(store.index_path.open()))
    assert tuple(header) == INDEX_COLUMNS


def test_two_calls_in_the_same_second_get_distinct_ids(tmp_path):
    store = CallStore(tmp_path)
    a, b = store.new_call(T0), store.new_call(T0)
    assert a.id != b.id and b.id == "20261124-093000-2"


def test_crash_mid_call_is_closed_out_from_its_rows(tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress", "stress", "surprise", None, "neutral"]):
        w.write(s)
    w.close()  # the process dies here: the OS closes its files (so its hold on the record goes); no index row
    recovered = CallStore(tmp_path).recover()
    assert [c.id for c in recovered] == [w.id]
    c = store.calls()[0]
    assert (c.samples, c.faces) == (5, 4)
    assert c.end == T0 + timedelta(seconds=2)
    assert c.peak == pytest.approx(0.045) and c.final == pytest.approx(0.04)
    assert CallStore(tmp_path).recover() == []  # once only


def test_recovery_skips_the_call_in_progress(tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    w.write(samples(["stress"])[0])
    assert store.recover(skip={w.id}) == []


def test_damaged_rows_are_skipped_and_the_rest_kept(tmp_path, caplog):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress", "stress"]):
        w.write(s)
    with w.path.open("a") as f:
        f.write("garbage,,\n2026-11-24T09:31:00+09:00,angry,0.5,,,,,1\nnot-a-time,stress,0.1,0.1,0.1,0.7,0.1,1\n"
                "2026-11-24T09:31:01+09:00,stress,nan,0.1,0.1,0.7,0.1,1\n\x00\x00\x00\n")
    for s in samples(["happy"], T0 + timedelta(seconds=5)):
        w.write(s)
    got = list(read_samples(w.path))
    assert [s.emotion for s in got] == ["stress", "stress", "happy"]
    assert "damaged row skipped" in caplog.text
    summary = summarize(w.id, got)
    assert summary.samples == 3


def test_damaged_index_rows_are_skipped(tmp_path, caplog):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    w.write(samples(["stress"])[0])
    store.add_to_index(w.close())
    with store.index_path.open("a") as f:
        f.write("broken-row,yesterday,,,,\n")
    assert [c.id for c in store.calls()] == [w.id]
    assert "damaged row skipped" in caplog.text


def test_records_of_each_earlier_layout_read_under_a_damaged_header(tmp_path):
    """A power cut's NUL bytes over the header: rows are read by their number of fields, as written
    before visibility was recorded, before `calibrated` was, and now."""
    now = sample_row(Sample(T0, "stress", 0.02, (0.1, 0.1, 0.7, 0.1), Visibility(120, 40, 110, 30, 1.0), True))
    before_calibrated, before_visibility = now[:-1], now[:-1 - len(VISIBILITY_COLUMNS)]
    p = tmp_path / "call.csv"
    p.write_text("\n".join(["\x00" * 40, *(",".join(r) for r in (before_visibility, before_calibrated, now))]) + "\n")
    got = list(read_samples(p))
    assert [(s.visibility is not None, s.calibrated) for s in got] == [(False, False), (True, False), (True, True)]
    assert all(s.emotion == "stress" and s.stress == pytest.approx(0.02) for s in got)


def test_not_a_call_record(tmp_path):
    from trayagent.core.errors import TrayagentError

    p = tmp_path / "x.csv"
    p.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(TrayagentError, match="not a trayagent call record"):
        list(read_samples(p))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_data_is_readable_by_its_user_only(tmp_path):
    store = CallStore(tmp_path / "data")
    w = store.new_call(T0)
    w.write(samples(["stress"])[0])
    store.add_to_index(w.close())
    for path in (w.path, store.index_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.dir.stat().st_mode) == 0o700


def test_retention_deletes_old_calls_and_keeps_the_rest(tmp_path):
    store = CallStore(tmp_path)
    ids = []
    for days_ago in (100, 40, 1):
        start = T0 - timedelta(days=days_ago)
        w = store.new_call(start)
        for s in samples(["stress"] * 3, start):
            w.write(s)
        store.add_to_index(w.close())
        ids.append(w.id)
    deleted = store.purge(T0 - timedelta(days=90))
    assert deleted == [ids[0]]
    assert [c.id for c in store.calls()] == ids[1:]
    assert not store.call_path(ids[0]).exists() and store.call_path(ids[1]).exists()


def test_delete_all_removes_every_call_and_graph(tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    w.write(samples(["stress"])[0])
    store.add_to_index(w.close())
    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / f"{w.id}.png").write_bytes(b"png")
    (tmp_path / "config.toml").write_text("# settings stay\n")
    assert store.delete_all() == 1
    assert store.calls() == [] and not store.dir.exists() and not (tmp_path / "graphs").exists()
    assert (tmp_path / "config.toml").exists()
