"""The calls index, `calls.csv`: one row per finished call, appended when the call ends, rewritten
atomically when it is damaged or its header is an older one. The call files are the record; the
index is rebuilt from them when it is damaged."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary
from trayagent.i18n import _
from trayagent.storage import rows
from trayagent.storage.callfile import CALL_ID, RecordingError
from trayagent.storage.private import describe, make_private_dir, open_private_fd, open_read, sync_dir
from trayagent.storage.rows import Damage, count, csv_line, number, parse, parse_time, read_rows

log = logging.getLogger(__name__)

INDEX_COLUMNS = ("id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final", "calibrated",
                 "seen")
# Earlier headers: the same rows less the last columns (before calibration; before `seen`).
_OLD_INDEX_HEADERS = (INDEX_COLUMNS[:-2], INDEX_COLUMNS[:-1])


def _index_row(summary: CallSummary) -> list:
    d = summary.as_dict()
    d["calibrated"] = "1" if summary.calibrated else "0"
    d["seen"] = "" if summary.seen is None else d["seen"]
    return [d[c] for c in INDEX_COLUMNS]


def _summary(row: dict[str, str]) -> CallSummary:
    if not CALL_ID.fullmatch(row["id"]):
        raise ValueError(f"not a call id {row['id'][:30]!r}")
    start, end = parse_time(row["start"]), parse_time(row["end"])
    if end < start:
        raise ValueError("ends before it starts")
    return CallSummary(row["id"], start, end, count(row["samples"]), count(row["faces"]), number(row["peak"]),
                       number(row["mean"]), number(row["final"]), row.get("calibrated") == "1",
                       number(row["seen"]) if row.get("seen") else None)


@dataclass
class _Index:
    calls: list[CallSummary]
    damaged: bool  # a damaged header or row, or a repeated call: rewrite it
    current: bool  # the header is today's


class CallIndex:
    """`calls.csv` of one data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> _Index:
        try:
            f = open_read(self.path)
        except FileNotFoundError:
            return _Index([], False, False)
        except OSError as e:
            raise TrayagentError(_("{path}: cannot read the calls index ({reason}); make it a file your user can "
                                   "read and write").format(path=self.path, reason=describe(e))) from None
        damage = Damage(self.path)
        out: dict[str, CallSummary] = {}
        current = False
        with f:
            columns: tuple[str, ...] | None = None
            for line_no, row in read_rows(f, damage):
                first = columns is None
                if columns is None:
                    if tuple(row) in (INDEX_COLUMNS, *_OLD_INDEX_HEADERS):
                        columns, current = tuple(row), tuple(row) == INDEX_COLUMNS
                        continue
                    columns = INDEX_COLUMNS  # damaged header: read the columns trayagent writes
                try:
                    c = parse(columns, row, _summary)
                except (ValueError, KeyError) as e:
                    damage.add(line_no, "damaged header" if first else str(e))
                    continue
                if first:  # a row where the header should be: still a damaged file, rewrite it
                    damage.add(line_no, "no header")
                if c.id in out:
                    damage.add(line_no, f"call {c.id} listed again")
                    continue
                out[c.id] = c
        damage.report()
        return _Index(sorted(out.values(), key=lambda c: c.start), bool(damage.lines), current)

    def add(self, summary: CallSummary) -> None:
        try:
            index = self.read()
        except TrayagentError as e:
            raise RecordingError(str(e)) from None
        if any(c.id == summary.id for c in index.calls):
            return  # already listed: a call is listed once
        if index.damaged or (index.calls and not index.current):
            self.rewrite([*index.calls, summary])  # same rows (less damage), today's header
            return
        try:
            make_private_dir(self.path.parent)
            fd = open_private_fd(self.path, "a")
            try:
                lines = csv_line(_index_row(summary))
                if os.fstat(fd).st_size == 0:
                    lines = csv_line(INDEX_COLUMNS) + lines
                rows.write_all(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise RecordingError(_("{path}: cannot update the calls index ({reason})").format(
                path=self.path, reason=describe(e))) from None

    def rewrite(self, keep: list[CallSummary]) -> None:
        """Replace the index atomically and durably: a crash or power cut mid-way leaves the old
        one, never half of one. The temporary file is made anew, never written through a link."""
        tmp = self.path.with_suffix(".tmp")
        try:
            make_private_dir(self.path.parent)
            tmp.unlink(missing_ok=True)  # a link of that name goes, its target stays untouched
            fd = open_private_fd(tmp, "x")
            try:
                rows.write_all(fd, csv_line(INDEX_COLUMNS) + b"".join(
                    csv_line(_index_row(c)) for c in sorted(keep, key=lambda c: c.start)))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            sync_dir(self.path.parent)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise RecordingError(_("{path}: cannot rewrite the calls index ({reason})").format(
                path=self.path, reason=describe(e))) from None

    def repair(self) -> bool:
        """Rewrite a damaged index without its damage (at start, before `recover` adds back from the
        call files any call whose row was lost); True if it was rewritten."""
        index = self.read()
        if not index.damaged:
            return False
        self.rewrite(index.calls)
        log.warning("%s: rewrote the calls index without its damaged rows (%d calls kept)", self.path,
                    len(index.calls))
        return True
