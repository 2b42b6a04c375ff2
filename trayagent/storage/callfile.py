"""One call's record: `calls/<id>.csv`, one row per analysed moment, each row handed to the OS as it
is written (a crash loses at most the row in flight); read back row by row, damaged rows skipped."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary, Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.i18n import _
from trayagent.platform import file_lock
from trayagent.storage import rows
from trayagent.storage.private import BINARY, NOFOLLOW, describe, make_private_dir, open_private_fd, open_read
from trayagent.storage.rows import Damage, csv_line, fmt, number, parse, parse_time, read_rows

log = logging.getLogger(__name__)

# How well the face could be seen (core/records.py Visibility); optional on read: older records lack them.
VISIBILITY_COLUMNS = ("frame_brightness", "frame_contrast", "face_brightness", "face_contrast", "backlight")
# `calibrated` last: the index is rebuilt from call files, so the file keeps what the index row says.
SAMPLE_COLUMNS = ("time", "emotion", "stress", *(f"p_{c}" for c in PRODUCT4), "face", *VISIBILITY_COLUMNS,
                  "calibrated")
# The columns of records written by earlier versions, by their number: what a row is read as when
# the header is damaged (without visibility; without calibrated; as now).
_LAYOUTS = {len(c): c for c in (SAMPLE_COLUMNS[:-1 - len(VISIBILITY_COLUMNS)], SAMPLE_COLUMNS[:-1], SAMPLE_COLUMNS)}
CALL_ID = re.compile(r"\d{8}-\d{6}(-\d{1,6})?")  # new_call's names: a call id never leaves calls/
# Rows a call can take back at its end (drop_after): what was recorded between the moment a call is
# dated to have ended and the poll that saw it (a second or so, at most 15 frames a second).
_UNDOABLE_ROWS = 64


class RecordingError(TrayagentError):
    """Writing the record failed (disk full, permissions); what was written before is intact."""


def sample_row(s: Sample) -> list[str]:
    probs = [fmt(p) for p in s.probs] if s.probs is not None else [""] * len(PRODUCT4)
    v = s.visibility
    seen = [""] * len(VISIBILITY_COLUMNS) if v is None else [
        "" if x is None else fmt(x) for x in (v.frame_brightness, v.frame_contrast, v.face_brightness,
                                               v.face_contrast, v.backlight)]
    return [s.time.isoformat(timespec="milliseconds"), s.emotion or "", fmt(round(s.stress, 6)), *probs,
            "1" if s.face else "0", *seen, "1" if s.calibrated else "0"]


def _sample(row: dict[str, str]) -> Sample:
    t = parse_time(row["time"])
    emotion = row["emotion"] or None
    if emotion is not None and emotion not in PRODUCT4:
        raise ValueError(f"unknown emotion {emotion[:20]!r}")
    stress = number(row["stress"])
    probs = tuple(number(row[f"p_{c}"]) for c in PRODUCT4) if emotion is not None else None
    return Sample(t, emotion, stress, probs, _visibility(row), row.get("calibrated") == "1")


def _visibility(row: dict[str, str]) -> Visibility | None:
    """The visibility columns, when the record has them (written since they exist) and they are set."""
    if not row.get("frame_brightness"):
        return None
    face = [number(row[c]) if row.get(c) else None for c in VISIBILITY_COLUMNS[2:]]
    if (face[0] is None) != (face[2] is None):
        raise ValueError("face brightness and backlight must be both set or both empty")
    return Visibility(number(row["frame_brightness"]), number(row["frame_contrast"]), *face)


class CallWriter:
    """Appends one call's samples to its CSV, each row handed to the OS as it is written.

    `exclusive`: the file must not exist yet (a new call; a link of its name counts as existing)."""

    def __init__(self, path: Path, call_id: str, start: datetime, exclusive: bool = False) -> None:
        self.path, self.id, self.start = path, call_id, start
        self.stats, self._last = CallStats(), start
        self._fd: int | None = None
        self._unfinished = False  # a failed write left part of a row: end that line first
        # (time, file size, stats, last time) before each of the last rows: what drop_after restores
        self._undo: deque[tuple[datetime, int, CallStats, datetime]] = deque(maxlen=_UNDOABLE_ROWS)
        try:
            make_private_dir(path.parent)
            fd = open_private_fd(path, "x" if exclusive else "a")
        except FileExistsError:
            raise  # new_call takes the next name
        except OSError as e:
            raise RecordingError(_("{path}: cannot write the call record ({reason})").format(
                path=path, reason=describe(e))) from None
        self._fd = fd
        try:
            file_lock.hold(fd)  # while it is held, readers know the call is not over
        except OSError as e:
            log.warning("%s: cannot mark the call record as being written (%s)", path, e)
        try:
            if os.fstat(fd).st_size == 0:
                rows.write_all(fd, csv_line(SAMPLE_COLUMNS))
        except OSError as e:
            self.close()
            raise RecordingError(_("{path}: cannot write the call record ({reason})").format(
                path=path, reason=describe(e))) from None

    def write(self, s: Sample) -> None:
        data = csv_line(sample_row(s))
        if self._unfinished:
            data = b"\n" + data
        try:
            if self._fd is None:
                raise OSError(9, "the record is closed")
            size = os.fstat(self._fd).st_size
            rows.write_all(self._fd, data)
        except OSError as e:
            self._unfinished = self._unfinished if getattr(e, "written", 0) == 0 else True
            raise RecordingError(_("{path}: cannot write the call record ({reason})").format(
                path=self.path, reason=describe(e))) from None
        self._unfinished = False
        self._undo.append((s.time, size, replace(self.stats), self._last))
        self.stats.add(s.stress, s.face, s.visibility, s.calibrated)
        self._last = s.time

    def drop_after(self, end: datetime) -> int:
        """Take back the rows recorded after `end` (a call dated to have ended before the poll that
        saw it end), cutting them off the file; how many. Rows are written as they come, so a crash
        loses at most the row in flight; the price is this cut at the end."""
        cut = next((u for u in self._undo if u[0] > end), None)
        if cut is None or self._fd is None:
            return 0
        when, size, stats, last = cut
        try:
            os.ftruncate(self._fd, size)
        except OSError as e:
            raise RecordingError(_("{path}: cannot take back the rows after the call's end ({reason})").format(
                path=self.path, reason=describe(e))) from None
        dropped = sum(1 for u in self._undo if u[0] >= when)
        while self._undo and self._undo[-1][0] >= when:
            self._undo.pop()
        self.stats, self._last, self._unfinished = stats, last, False
        return dropped

    def close(self) -> CallSummary:
        """Sync the record to disk (a power cut after a call must not take it) and close it; the
        summary of what was written."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.fsync(fd)
            except OSError as e:
                log.warning("%s: cannot sync the call record (%s)", self.path, e.strerror)
            finally:
                with contextlib.suppress(OSError):
                    file_lock.release(fd)
                os.close(fd)
        return self.stats.summary(self.id, self.start, self._last)


def being_written(path: Path) -> bool:
    """Is this record held by the process writing it (a call not over yet)? False when that cannot
    be told: a crashed call's record is free, its writer gone."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY)
    except OSError:
        return False
    try:
        return file_lock.held_elsewhere(fd)
    except OSError:
        return False
    finally:
        os.close(fd)


def read_samples(path: Path) -> Iterator[Sample]:
    """The rows of a call CSV; damaged rows are skipped with one warning naming them.

    A damaged header (a power cut) is read as the columns trayagent writes; a file in which no row
    reads that way is not a call record."""
    try:
        f = open_read(path)
    except OSError as e:
        raise TrayagentError(_("{path}: cannot read the call record ({reason})").format(
            path=path, reason=describe(e))) from None
    damage = Damage(path)
    with f:
        lines = read_rows(f, damage)
        first = next(lines, None)
        if first is None:
            return
        header_no, header = first
        columns, good = SAMPLE_COLUMNS, 0
        if tuple(header[:3]) == SAMPLE_COLUMNS[:3]:
            columns = tuple(header)
        else:
            damage.add(header_no, "damaged header")
        for line_no, row in lines:
            try:
                layout = _LAYOUTS.get(len(row), columns) if columns is SAMPLE_COLUMNS else columns
                sample = parse(layout, row, _sample)
            except (ValueError, KeyError) as e:
                damage.add(line_no, str(e))
                continue
            good += 1
            yield sample
        if columns is SAMPLE_COLUMNS and tuple(header[:3]) != SAMPLE_COLUMNS[:3] and good == 0:
            raise TrayagentError(_("{path}: not a trayagent call record (header {header})").format(
                path=path, header=repr(",".join(header)[:80])))
    damage.report()


def summarize(call_id: str, samples: Iterable[Sample]) -> CallSummary | None:
    stats, first, last = CallStats(), None, None
    for s in samples:
        first = first or s.time
        last = s.time
        stats.add(s.stress, s.face, s.visibility, s.calibrated)
    if first is None or last is None:
        return None
    return stats.summary(call_id, first, last)
