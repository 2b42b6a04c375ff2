"""Damaged, planted and unsyncable data files (issue 12, items 5-12): damaged rows are skipped with
one warning naming file and line, the index is rebuilt from the call files, nothing recorded is lost
or duplicated, no link is followed, and only what trayagent creates has its mode changed."""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.fakes import T0, samples
from trayagent.core.errors import TrayagentError
from trayagent.storage.calls import INDEX_COLUMNS, CallStore, RecordingError, read_samples

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and modes")


def record(store: CallStore, start: datetime, n: int = 4, index: bool = True) -> str:
    w = store.new_call(start)
    for s in samples(["stress"] * n, start):
        w.write(s)
    summary = w.close()
    if index:
        store.add_to_index(summary)
    return w.id


def three_calls(store: CallStore) -> list[str]:
    return [record(store, T0 + timedelta(minutes=k)) for k in range(3)]


def warnings_about(caplog, path: Path) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and str(path) in r.getMessage()]


# ---- 5: a stray quote ------------------------------------------------------------------------------
def test_a_stray_quote_in_the_index_costs_one_row_and_one_warning(tmp_path, caplog):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    lines = store.index_path.read_text().splitlines()
    lines[2] = '"' + lines[2]  # the second call's row; csv would read the rest of the file as one field
    lines += [lines[3].replace(ids[2], f"20261124-1{k:05d}") for k in range(3000)]  # past csv's field limit
    store.index_path.write_text("\n".join(lines) + "\n")
    got = [c.id for c in store.calls()]
    assert got[:3] == ids and len(got) == 3003  # the damaged row's call read from its own file
    [warning] = [w for w in warnings_about(caplog, store.index_path) if "damaged" in w]
    assert "line 3" in warning


def test_a_stray_quote_in_a_call_record_costs_one_row(tmp_path, caplog):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress"] * 3):
        w.write(s)
    text = w.path.read_text().splitlines()
    text[2] = '"' + text[2]
    w.path.write_text("\n".join(text + [text[3]] * 20000) + "\n")  # over 131072 characters after the quote
    got = list(read_samples(w.path))
    assert len(got) == 20002
    [warning] = warnings_about(caplog, w.path)
    assert "line 3" in warning


# ---- 6: a damaged header ---------------------------------------------------------------------------
def test_a_damaged_index_header_loses_no_call_and_repeats_none(tmp_path, caplog):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    text = store.index_path.read_text()
    store.index_path.write_text("\x00" * 20 + text[20:])  # a power cut's NUL bytes over the header
    assert [c.id for c in store.calls()] == ids
    for _ in range(3):  # daemon starts
        CallStore(tmp_path).recover()
    assert [c.id for c in store.calls()] == ids
    lines = store.index_path.read_text().splitlines()
    assert lines[0] == ",".join(INDEX_COLUMNS) and len(lines) == 4


def test_an_index_with_no_readable_row_is_rebuilt_from_the_call_files(tmp_path):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    store.index_path.write_bytes(b"\x00" * 300)
    assert [c.id for c in store.calls()] == ids
    assert len(store.index_path.read_text().splitlines()) == 4  # written back
    assert store.recover() == []


def test_duplicate_index_rows_are_listed_once(tmp_path, caplog):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    with store.index_path.open("a") as f:
        f.write(store.index_path.read_text().splitlines()[1] + "\n")
    assert [c.id for c in store.calls()] == ids
    store.recover()
    assert len(store.index_path.read_text().splitlines()) == 4


# ---- 7: dates out of range -------------------------------------------------------------------------
def test_an_index_date_out_of_range_is_a_damaged_row(tmp_path, caplog):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    with store.index_path.open("a") as f:
        f.write("20261124-235900,9999-12-31T23:59:00-01:00,9999-12-31T23:59:30-01:00,30,4,4,0.1,0.1,0.1,0\n")
        f.write("20261124-235901,0001-01-01T00:00:00+01:00,0001-01-01T00:00:30+01:00,30,4,4,0.1,0.1,0.1,0\n")
        f.write("20261124-235902,2026-11-24T09:00:00,2026-11-24T09:01:00,60,4,4,0.1,0.1,0.1,0\n")  # no zone
    assert [c.id for c in store.calls()] == ids
    [warning] = warnings_about(caplog, store.index_path)  # one per read of the file
    assert "line 5" in warning and "2 more" in warning and "(lines 6, 7)" in warning
    for tz in (timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))):
        assert len(store.calls_on(T0.astimezone(tz).date(), tz)) == 3  # converts every start to the zone
    assert len(store.calls_on(T0.astimezone().date())) == 3


def test_a_sample_time_out_of_range_is_a_damaged_row(tmp_path, caplog):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress"] * 2):
        w.write(s)
    with w.path.open("a") as f:
        f.write("0001-01-01T00:00:00.000+01:00,stress,0.1,0.7,0.1,0.1,0.1,1\n")
    assert len(list(read_samples(w.path))) == 2


# ---- 8: crashed calls with a damaged header; the minimum length ------------------------------------
def test_a_crashed_call_with_a_damaged_header_is_recovered(tmp_path):
    store = CallStore(tmp_path)
    call_id = record(store, T0, n=10, index=False)
    path = store.call_path(call_id)
    path.write_bytes(b"\x00" * 10 + path.read_bytes()[10:])
    [recovered] = store.recover()
    assert recovered.id == call_id and recovered.samples == 10
    assert [c.id for c in store.calls()] == [call_id]


def test_retention_purges_an_unreadable_crashed_call(tmp_path):
    store = CallStore(tmp_path)
    old = store.call_path((T0 - timedelta(days=100)).strftime("%Y%m%d-%H%M%S"))
    recent = store.call_path((T0 - timedelta(days=1)).strftime("%Y%m%d-%H%M%S"))
    store.dir.mkdir()
    for path in (old, recent):
        path.write_bytes(b"\x00" * 64 + b"\nnot a row\n")
    store.recover()
    store.purge(T0 - timedelta(days=90))
    assert not old.exists() and recent.exists()  # nothing readable in it, but not for retention yet


def test_recovered_calls_follow_the_minimum_length_rule(tmp_path):
    store = CallStore(tmp_path)
    short = record(store, T0, n=3, index=False)  # 1 s
    long = record(store, T0 + timedelta(minutes=1), n=20, index=False)  # 9.5 s
    recovered = store.recover(min_call_s=5)
    assert [c.id for c in recovered] == [long]
    assert not store.call_path(short).exists() and [c.id for c in store.calls()] == [long]


# ---- 9: power loss ---------------------------------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="names file descriptors through /proc")
def test_call_end_syncs_the_call_and_the_index(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store = CallStore(tmp_path)
    call_id = record(store, T0)
    assert str(store.call_path(call_id)) in synced and str(store.index_path) in synced
    synced.clear()
    record(store, T0 - timedelta(days=100))
    synced.clear()
    store.purge(T0 - timedelta(days=90))  # rewrites the index
    assert str(store.index_path.with_suffix(".tmp")) in synced and str(tmp_path) in synced
    assert not store.index_path.with_suffix(".tmp").exists()


# ---- 10: links -------------------------------------------------------------------------------------
@posix_only
def test_a_planted_link_for_the_next_call_is_not_followed(tmp_path):
    outside = tmp_path / "outside.csv"
    store = CallStore(tmp_path / "data")
    store.dir.mkdir(parents=True)
    store.call_path(T0.strftime("%Y%m%d-%H%M%S")).symlink_to(outside)  # dangling
    call_id = record(store, T0)
    assert not outside.exists()
    assert store.call_path(call_id).is_file() and not store.call_path(call_id).is_symlink()


@posix_only
def test_an_index_link_is_not_appended_to(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    store = CallStore(tmp_path / "data")
    (tmp_path / "data").mkdir()
    store.index_path.symlink_to(outside)
    w = store.new_call(T0)
    w.write(samples(["stress"])[0])
    store.add_to_index(w.close())  # the link is replaced by an index of its own, never written through
    assert [c.id for c in store.calls()] == [w.id] and not store.index_path.is_symlink()
    assert outside.read_text() == "someone else's file\n"


@posix_only
def test_retention_does_not_write_through_a_planted_temporary_link(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    store = CallStore(tmp_path / "data")
    record(store, T0 - timedelta(days=100))
    keep = record(store, T0)
    store.index_path.with_suffix(".tmp").symlink_to(outside)
    store.purge(T0 - timedelta(days=90))
    assert outside.read_text() == "someone else's file\n"
    assert [c.id for c in store.calls()] == [keep]


@posix_only
def test_a_linked_calls_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "data").mkdir()
    store = CallStore(tmp_path / "data")
    store.dir.symlink_to(elsewhere)
    with pytest.raises(RecordingError, match="link"):
        store.new_call(T0)
    assert list(elsewhere.iterdir()) == []


# ---- 11: delete-data -------------------------------------------------------------------------------
@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_delete_all_in_a_read_only_folder_fails_loudly(tmp_path):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    store.dir.chmod(0o500)
    try:
        with pytest.raises(TrayagentError, match=r"deleted 0 of 3 calls.*Permission denied"):
            store.delete_all()
        assert all(store.call_path(i).exists() for i in ids)
    finally:
        store.dir.chmod(0o700)


@posix_only
def test_delete_all_does_not_follow_a_linked_calls_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "20261124-093000.csv").write_text("someone's data\n")
    (tmp_path / "data").mkdir()
    store = CallStore(tmp_path / "data")
    store.dir.symlink_to(elsewhere)
    with pytest.raises(TrayagentError, match="link"):
        store.delete_all()
    assert (elsewhere / "20261124-093000.csv").exists()


# ---- 12: modes only of what trayagent creates ------------------------------------------------------
@posix_only
def test_writing_into_an_existing_shared_folder_keeps_its_mode(tmp_path):
    from trayagent.storage.calls import CallWriter

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2775)
    w = CallWriter(shared / "video.csv", "video", T0)
    w.close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o2775
    assert stat.S_IMODE((shared / "video.csv").stat().st_mode) == 0o600


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_calls_folder_is_not_made_writable(tmp_path):
    store = CallStore(tmp_path)
    record(store, T0)
    store.dir.chmod(0o500)
    try:
        with pytest.raises(RecordingError, match="Permission denied"):
            store.new_call(T0 + timedelta(minutes=5))
        assert stat.S_IMODE(store.dir.stat().st_mode) == 0o500
    finally:
        store.dir.chmod(0o700)


@posix_only
def test_folders_trayagent_makes_are_private(tmp_path):
    store = CallStore(tmp_path / "a" / "b")
    record(store, T0)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", store.dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_delete_all_reports_a_file_it_could_not_delete(tmp_path, monkeypatch):
    store = CallStore(tmp_path)
    ids = three_calls(store)
    stuck = store.call_path(ids[1])
    real = Path.unlink

    def unlink(self, missing_ok=False):
        if self == stuck:
            raise PermissionError(13, "Permission denied", str(self))
        real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(TrayagentError, match=rf"deleted 2 of 3 calls; could not delete {stuck}: Permission denied"):
        store.delete_all()
    assert stuck.exists() and not store.call_path(ids[0]).exists()
