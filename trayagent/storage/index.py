"""The calls index, `calls.csv`: one row per finished call, appended when the call ends, rewritten
atomically when it is damaged or its header is an older one. The call files are the record; the
index is what lets a listing skip reading them, and is reconciled with them on every read
(storage/calls.py)."""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

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
class IndexRead:
    calls: list[CallSummary]
    damaged: bool  # a damaged header or row, a repeated call, another encoding, or unreadable: rewrite it
    current: bool  # the header is today's


class CallIndex:
    """`calls.csv` of one data folder: what is in it, as far as it reads. Reconciling it with the
    call files is the store's job (storage/calls.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> IndexRead:
        """The calls listed, each once; damage is skipped with one warning. An index that cannot be
        read at all (a folder in its place, a link, no permission) reads as damaged and empty."""
        try:
            with open_read(self.path) as f:
                return self._parse(f)
        except FileNotFoundError:
            return IndexRead([], False, False)
        except (OSError, UnicodeError) as e:
            reason = describe(e) if isinstance(e, OSError) else str(e)
            log.warning("%s: cannot read the calls index (%s); listing the calls from their files", self.path, reason)
            return IndexRead([], True, False)

    def _parse(self, f: io.TextIOWrapper) -> IndexRead:
        damage = Damage(self.path)
        out: dict[str, CallSummary] = {}
        current = False
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
        resaved = f.encoding != "utf-8"  # by an editor, with a byte-order mark: rows are appended as UTF-8
        return IndexRead(sorted(out.values(), key=lambda c: c.start), bool(damage.lines) or resaved, current)

    def append(self, summary: CallSummary) -> None:
        """Add one row to an index that reads clean with today's header (or does not exist yet)."""
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
