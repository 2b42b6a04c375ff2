"""`trayagent export` and `trayagent calls --summary`: the user's own recorded calls, as documented
in the README, adding up to what the store holds."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from datetime import date, datetime, time

import pytest

from tests.recorded import BLIND, record_call, record_week
from trayagent import cli, paths
from trayagent.commands.export import EXPORT_COLUMNS
from trayagent.storage.calls import CallStore, read_samples

LAST = date(2026, 3, 5)


@pytest.fixture()
def recorded(home):
    return record_week(paths.data_dir(), LAST)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_has_a_row_per_call_in_the_range(recorded, capsys):
    code, out, _ = run(capsys, "export", "--from", "2026-03-03", "--to", "2026-03-05")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    expected = [c for c in recorded if date(2026, 3, 3) <= c.start.date() <= LAST]
    assert [r["id"] for r in rows] == [c.id for c in expected]
    for r, c in zip(rows, expected):
        assert float(r["peak"]) == pytest.approx(c.peak, abs=1e-4)
        bands = sum(float(r[k]) for k in ("calm_s", "elevated_s", "alert_s", "unmeasured_s"))
        assert bands == pytest.approx(c.duration_s + 0.5, abs=0.15)  # the last moment lasts one step


def test_a_call_whose_face_was_never_seen_exports_as_unmeasured_not_calm(home, capsys):
    blind = record_call(CallStore(paths.data_dir()), datetime.combine(LAST, time(10)).astimezone(), BLIND)
    code, out, _ = run(capsys, "export", "--to", LAST.isoformat())
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["id"] == blind.id)
    assert (row["calm_s"], row["elevated_s"], row["alert_s"]) == ("0.0", "0.0", "0.0")
    assert float(row["unmeasured_s"]) == pytest.approx(blind.duration_s + 0.5, abs=0.15)
    assert (row["peak"], row["mean"], row["final"]) == ("", "", "")


def test_json_carries_every_moment_and_the_file_is_private(recorded, capsys, tmp_path):
    out = tmp_path / "mine.json"
    code, _, err = run(capsys, "export", "--from", "2026-02-27", "--to", "2026-03-05", "--out", str(out))
    assert code == 0 and str(out) in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "trayagent-export" and doc["version"] == 1
    assert len(doc["calls"]) == len(recorded)
    store = CallStore(paths.data_dir())
    for call in doc["calls"]:
        samples = list(read_samples(store.call_path(call["id"])))
        assert len(call["moments"]) == len(samples) == call["samples"]
        assert [m["emotion"] for m in call["moments"]] == [s.emotion for s in samples]
    if sys.platform != "win32":
        assert os.stat(out).st_mode & 0o077 == 0


@pytest.mark.parametrize("argv, message", [
    (("--from", "2026-03-06", "--to", "2026-03-05"), "--from"),
    (("--to", "5 March"), "YYYY-MM-DD"),
    (("--out", "calls.xlsx"), ".csv"),
])
def test_bad_input_is_one_clear_line(recorded, capsys, argv, message):
    code, _, err = run(capsys, "export", *argv)
    assert code != 0 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_summary_json_gives_the_weeks_numbers(recorded, capsys):
    code, out, _ = run(capsys, "calls", "--summary", "--json", "--date", LAST.isoformat())
    assert code == 0
    days = json.loads(out)
    assert [d["date"] for d in days][-1] == LAST.isoformat() and len(days) == 7
    assert sum(d["calls"] for d in days) == len(recorded)
    assert [d["calls"] for d in days] == [1, 2, 1, 3, 1, 0, 3]
    assert max(d["peak"] for d in days if d["peak"] is not None) == pytest.approx(max(c.peak for c in recorded))
    code, out, _ = run(capsys, "calls", "--summary", "--json", "--days", "3", "--date", LAST.isoformat())
    assert len(json.loads(out)) == 3


def test_a_blind_call_is_not_calm_in_calls_or_the_summary(home, capsys):
    store = CallStore(paths.data_dir())
    seen = record_call(store, datetime.combine(LAST, time(9)).astimezone(), [("neutral", 40), ("stress", 40)])
    blind = record_call(store, datetime.combine(LAST, time(10)).astimezone(), BLIND)
    _code, out, _ = run(capsys, "calls", "--json", "--date", LAST.isoformat())
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows[blind.id]["measured"] is False
    assert (rows[blind.id]["peak"], rows[blind.id]["mean"], rows[blind.id]["final"]) == (None, None, None)
    assert rows[seen.id]["measured"] is True and rows[seen.id]["peak"] == pytest.approx(seen.peak, abs=1e-4)
    _code, out, _ = run(capsys, "calls", "--date", LAST.isoformat())
    line = next(x for x in out.splitlines() if x.startswith(blind.id))
    assert "not measured" in line and "0.00" not in line
    _code, out, _ = run(capsys, "calls", "--summary", "--json", "--days", "1", "--date", LAST.isoformat())
    (day,) = json.loads(out)
    assert sum(day["bands_s"].values()) == pytest.approx(seen.duration_s + 0.5, abs=0.15)  # the seen call only
    assert day["unmeasured_s"] == pytest.approx(blind.duration_s + 0.5, abs=0.15)
    assert day["mean"] == pytest.approx(seen.mean, abs=1e-4)  # the blind call's zeros do not lower it
    _code, out, _ = run(capsys, "calls", "--summary", "--days", "1", "--date", LAST.isoformat())
    assert "not measured 38 s" in out


class _Typed(io.StringIO):
    """What a person types at the prompt, on a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer, deleted", [("예", True), ("ㅛㄷㄴ", True), ("yes", True), (" YES ", True),
                                             ("아니요", False), ("y", False)])
def test_delete_data_takes_yes_in_korean_too(home, capsys, monkeypatch, answer, deleted):
    record_call(CallStore(paths.data_dir()), datetime.combine(LAST, time(9)).astimezone(), [("neutral", 20)])
    monkeypatch.setattr(sys, "stdin", _Typed(answer + "\n"))
    code, out, _ = run(capsys, "delete-data")
    assert (code, len(CallStore(paths.data_dir()).calls())) == ((0, 0) if deleted else (1, 1)), out
