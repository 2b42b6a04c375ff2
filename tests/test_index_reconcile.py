"""The calls index reconciles with the call files on every read (issue 21, item 1): a call whose own
file is intact is listed whatever happened to `calls.csv`, the rows rebuilt from call files are
written back atomically, a call still being recorded is not listed as if it had ended, and the
summary its writer gives at the end wins over one rebuilt meanwhile."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from tests.helpers import cli
from tests.test_storage_damage import T0, record, samples
from trayagent.storage.calls import INDEX_COLUMNS, CallStore


def two_calls(store: CallStore) -> list[str]:
    return [record(store, T0, n=6), record(store, T0 + timedelta(minutes=5), n=8)]


def header() -> str:
    return ",".join(INDEX_COLUMNS)


def emptied(path) -> None:
    path.write_bytes(b"")


def truncated(path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(header()) + 30])  # the header and part of the first row


def utf16(path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))  # Notepad's "Unicode", with its BOM


def utf8_bom(path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def nan_number(path) -> None:
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[INDEX_COLUMNS.index("peak")] = "nan"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")


def blank_number(path) -> None:
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[INDEX_COLUMNS.index("samples")] = ""
    path.write_text("\n".join([*lines[:2], ",".join(cells), *lines[3:]]) + "\n")


def garbage(path) -> None:
    path.write_bytes(bytes(range(256)) * 8)


def repeated_row(path) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1], lines[1]]) + "\n")


def first_row_lost(path) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")


def a_folder(path) -> None:
    path.unlink()
    path.mkdir()
    (path / "something.txt").write_text("kept\n")


DAMAGE = [emptied, truncated, utf16, utf8_bom, nan_number, blank_number, garbage, repeated_row, first_row_lost,
          a_folder]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.__name__)
def test_every_intact_call_is_listed_whatever_happened_to_the_index(tmp_path, damage):
    store = CallStore(tmp_path)
    ids = two_calls(store)
    before = {c.id: c for c in store.calls()}
    damage(store.index_path)
    got = CallStore(tmp_path).calls()
    assert [c.id for c in got] == ids
    for c in got:  # rebuilt from its file, the same call
        assert (c.start, c.end, c.samples, c.faces) == (before[c.id].start, before[c.id].end, before[c.id].samples,
                                                         before[c.id].faces)
        assert c.peak == pytest.approx(before[c.id].peak, abs=1e-4)


@pytest.mark.parametrize("damage", [d for d in DAMAGE if d is not a_folder], ids=lambda d: d.__name__)
def test_rows_rebuilt_from_the_call_files_are_written_back(tmp_path, damage):
    store = CallStore(tmp_path)
    ids = two_calls(store)
    damage(store.index_path)
    store.calls()
    lines = store.index_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == header() and [line.split(",")[0] for line in lines[1:]] == ids
    assert not store.index_path.with_suffix(".tmp").exists()
    written = store.index_path.stat()
    store.calls()  # nothing left to rebuild: not written again
    assert (store.index_path.stat().st_ino, store.index_path.stat().st_mtime_ns) == (written.st_ino,
                                                                                     written.st_mtime_ns)


def test_an_index_replaced_by_a_folder_is_left_alone_and_the_calls_still_listed(tmp_path, caplog):
    store = CallStore(tmp_path)
    ids = two_calls(store)
    a_folder(store.index_path)
    assert [c.id for c in store.calls()] == ids
    assert (store.index_path / "something.txt").read_text() == "kept\n"
    assert any(str(store.index_path) in r.getMessage() for r in caplog.records)  # said why it cannot be written
    w = store.new_call(T0 + timedelta(minutes=10))  # a new call is still recorded, and listed
    for s in samples(["stress"] * 4, T0 + timedelta(minutes=10)):
        w.write(s)
    summary = w.close()
    with pytest.raises(Exception, match=str(store.index_path)):
        store.add_to_index(summary)
    assert [c.id for c in store.calls()] == [*ids, w.id]


def test_the_call_being_recorded_is_not_listed_until_it_ends(tmp_path):
    store = CallStore(tmp_path)
    ids = two_calls(store)
    live = store.new_call(T0 + timedelta(minutes=10))
    for s in samples(["stress"] * 3, T0 + timedelta(minutes=10)):
        live.write(s)
    emptied(store.index_path)  # so that the read rebuilds, and writes back
    assert [c.id for c in CallStore(tmp_path).calls()] == ids
    for s in samples(["stress"] * 6, T0 + timedelta(minutes=10))[3:]:
        live.write(s)
    summary = live.close()
    store.add_to_index(summary)
    [listed] = [c for c in store.calls() if c.id == live.id]
    assert listed.samples == 6 and listed.end == summary.end


def test_the_writers_summary_wins_over_one_rebuilt_from_its_file(tmp_path):
    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for s in samples(["stress"] * 4):
        w.write(s)
    summary = w.close()
    assert [c.calibrated for c in store.calls()] == [False]  # read between its end and its index row
    from dataclasses import replace

    store.add_to_index(replace(summary, calibrated=True, end=summary.end + timedelta(seconds=0.4)))
    [c] = store.calls()
    assert c.calibrated and c.end == summary.end + timedelta(seconds=0.4)
    assert len(store.index_path.read_text().splitlines()) == 2


@pytest.mark.parametrize("damage", [emptied, garbage, first_row_lost], ids=lambda d: d.__name__)
def test_a_calibrated_call_is_still_calibrated_when_its_row_is_rebuilt(tmp_path, damage):
    from dataclasses import replace

    store = CallStore(tmp_path)
    w = store.new_call(T0)
    for i, s in enumerate(samples(["neutral", "stress", None, "stress"])):
        w.write(replace(s, calibrated=s.face and i > 0))  # calibration done during the call
    store.add_to_index(w.close())
    uncalibrated = record(store, T0 + timedelta(minutes=5), n=3)
    damage(store.index_path)
    assert [(c.id, c.calibrated) for c in CallStore(tmp_path).calls()] == [(w.id, True), (uncalibrated, False)]


def test_an_index_row_without_its_call_file_is_kept(tmp_path):
    store = CallStore(tmp_path)
    ids = two_calls(store)
    store.call_path(ids[0]).unlink()
    assert [c.id for c in store.calls()] == ids  # the index is a record too: only its file went


@pytest.mark.skipif(os.name != "posix", reason="POSIX links")
def test_a_linked_index_is_replaced_never_written_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    store = CallStore(tmp_path / "data")
    ids = two_calls(store)
    store.index_path.unlink()
    store.index_path.symlink_to(outside)
    assert [c.id for c in store.calls()] == ids
    assert outside.read_text() == "someone else's file\n"
    assert not store.index_path.is_symlink()


@pytest.mark.slow
@pytest.mark.parametrize("damage", [emptied, utf16, nan_number, a_folder], ids=lambda d: d.__name__)
def test_trayagent_calls_lists_them(home, damage):
    store = CallStore(home)
    ids = two_calls(store)
    damage(store.index_path)
    done = cli("calls", "--json", "--date", f"{T0.astimezone():%Y-%m-%d}")
    assert "Traceback" not in done.stderr and done.returncode == 0, done
    assert [c["id"] for c in json.loads(done.stdout)] == ids


def test_a_folder_or_link_named_like_an_old_call_stops_neither_start_nor_retention(tmp_path):
    from datetime import datetime

    store = CallStore(tmp_path)
    ids = two_calls(store)
    (store.dir / "20250101-090000.csv").mkdir()  # what the daemon does at start must not fail on it
    if os.name == "posix":
        (store.dir / "20250101-090001.csv").symlink_to(tmp_path / "nowhere")
    store.recover(min_call_s=0)
    assert store.purge(datetime(2026, 11, 1).astimezone()) == []
    assert (store.dir / "20250101-090000.csv").is_dir() and [c.id for c in store.calls()] == ids


def test_a_file_summed_up_for_want_of_its_row_is_not_read_again_while_unchanged(tmp_path, monkeypatch):
    import trayagent.storage.calls as calls_module

    store = CallStore(tmp_path)
    ids = two_calls(store)
    a_folder(store.index_path)  # nothing can be written back: every listing needs the files
    reads = []
    real = calls_module.read_samples
    monkeypatch.setattr(calls_module, "read_samples", lambda path: reads.append(path.stem) or real(path))
    store.calls()
    store.calls()
    assert sorted(reads) == ids  # each once (the daemon lists after every call)
    with store.call_path(ids[0]).open("a") as f:  # changed: read again
        f.write(store.call_path(ids[0]).read_text().splitlines()[-1] + "\n")
    assert store.calls()[0].samples == 7 and reads.count(ids[0]) == 2
