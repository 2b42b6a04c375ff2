"""Per-call CSVs (one row per analysed frame, on disk as written) and the calls index.

A call's CSV exists from its first moment; its index row is written when it ends. A CSV without an
index row is a call cut off by a crash: `recover` closes it out from its rows at the next start.

Damage (a power cut's NUL bytes, a stray quote, a date out of range) costs the damaged rows only:
files are read a line at a time (no field of ours holds a line break, so a stray quote cannot
swallow the rest of a file), each damaged row is skipped, and one warning per read names the file
and the lines. The call files are the record; the index is rebuilt from them when it is damaged.
Nothing is read or written through a link.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TypeVar

from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary, Sample, Visibility
from trayagent.core.stress import CallStats
from trayagent.storage.private import describe, make_private_dir, open_private_fd, open_read, sync_dir

log = logging.getLogger(__name__)

# How well the face could be seen (core/records.py Visibility); optional on read: older records lack them.
VISIBILITY_COLUMNS = ("frame_brightness", "frame_contrast", "face_brightness", "face_contrast", "backlight")
SAMPLE_COLUMNS = ("time", "emotion", "stress", *(f"p_{c}" for c in PRODUCT4), "face", *VISIBILITY_COLUMNS)
INDEX_COLUMNS = ("id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final", "calibrated",
                 "seen")
_OLD_SAMPLE_COLUMNS = SAMPLE_COLUMNS[:-len(VISIBILITY_COLUMNS)]  # a record from before them
# Earlier headers: the same rows less the last columns (before calibration; before `seen`).
_OLD_INDEX_HEADERS = (INDEX_COLUMNS[:-2], INDEX_COLUMNS[:-1])
CALL_ID = re.compile(r"\d{8}-\d{6}(-\d{1,6})?")  # new_call's names: a call id never leaves calls/
_ID_TIME = "%Y%m%d-%H%M%S"
# Far inside datetime's range, so converting a time to any zone cannot overflow.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_SHOWN_LINES = 5  # damaged lines named in one warning
# Rows a call can take back at its end (drop_after): what was recorded between the moment a call is
# dated to have ended and the poll that saw it (a second or so, at most 15 frames a second).
_UNDOABLE_ROWS = 64

T = TypeVar("T")


class RecordingError(TrayagentError):
    """Writing the record failed (disk full, permissions); what was written before is intact."""


def _index_row(summary: CallSummary) -> list:
    d = summary.as_dict()
    d["calibrated"] = "1" if summary.calibrated else "0"
    d["seen"] = "" if summary.seen is None else d["seen"]
    return [d[c] for c in INDEX_COLUMNS]


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != 0 else "0"


def sample_row(s: Sample) -> list[str]:
    probs = [_fmt(p) for p in s.probs] if s.probs is not None else [""] * len(PRODUCT4)
    v = s.visibility
    seen = [""] * len(VISIBILITY_COLUMNS) if v is None else [
        "" if x is None else _fmt(x) for x in (v.frame_brightness, v.frame_contrast, v.face_brightness,
                                               v.face_contrast, v.backlight)]
    return [s.time.isoformat(timespec="milliseconds"), s.emotion or "", _fmt(round(s.stress, 6)), *probs,
            "1" if s.face else "0", *seen]


def _csv_line(row: Iterable) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue().encode("utf-8")


def _write_all(fd: int, data: bytes) -> int:
    """Write everything or raise OSError; returns how much was written before a failure."""
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:])
    except OSError as e:
        e.written = done  # type: ignore[attr-defined]
        raise
    return done


def _time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError("time without UTC offset")
    try:
        in_range = _EARLIEST <= t <= _LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise ValueError(f"time out of range {text[:40]!r}")
    return t


def _number(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"{text[:20]!r} is not a finite number")
    return x


def _count(text: str) -> int:
    n = int(text)
    if n < 0:
        raise ValueError(f"negative count {n}")
    return n


@dataclass
class _Damage:
    """The damaged lines of one read of one file, reported once."""

    path: Path
    lines: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line_no: int, reason: str) -> None:
        self.lines.append((line_no, reason))

    def report(self) -> None:
        if not self.lines:
            return
        (first, reason), rest = self.lines[0], self.lines[1:]
        more = ""
        if rest:
            shown = ", ".join(str(n) for n, _ in rest[:_SHOWN_LINES])
            more = f"; {len(rest)} more damaged rows skipped (lines {shown}{', ...' if len(rest) > _SHOWN_LINES else ''})"
        log.warning("%s line %d: damaged row skipped (%s)%s", self.path, first, reason, more)


def _rows(f: io.TextIOWrapper, damage: _Damage) -> Iterator[tuple[int, list[str]]]:
    """Numbered CSV rows, one per physical line; a line csv cannot read is damage, blank lines are not."""
    for line_no, line in enumerate(f, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            yield line_no, next(csv.reader([text]))
        except (csv.Error, StopIteration) as e:
            damage.add(line_no, str(e))


def _parse(columns: tuple[str, ...], row: list[str], build: Callable[[dict[str, str]], T]) -> T:
    if len(row) != len(columns):
        raise ValueError(f"{len(row)} fields, expected {len(columns)}")
    return build(dict(zip(columns, row)))


def _sample(row: dict[str, str]) -> Sample:
    t = _time(row["time"])
    emotion = row["emotion"] or None
    if emotion is not None and emotion not in PRODUCT4:
        raise ValueError(f"unknown emotion {emotion[:20]!r}")
    stress = _number(row["stress"])
    probs = tuple(_number(row[f"p_{c}"]) for c in PRODUCT4) if emotion is not None else None
    return Sample(t, emotion, stress, probs, _visibility(row))


def _visibility(row: dict[str, str]) -> Visibility | None:
    """The visibility columns, when the record has them (written since they exist) and they are set."""
    if not row.get("frame_brightness"):
        return None
    face = [_number(row[c]) if row.get(c) else None for c in VISIBILITY_COLUMNS[2:]]
    if (face[0] is None) != (face[2] is None):
        raise ValueError("face brightness and backlight must be both set or both empty")
    return Visibility(_number(row["frame_brightness"]), _number(row["frame_contrast"]), *face)


def _summary(row: dict[str, str]) -> CallSummary:
    if not CALL_ID.fullmatch(row["id"]):
        raise ValueError(f"not a call id {row['id'][:30]!r}")
    start, end = _time(row["start"]), _time(row["end"])
    if end < start:
        raise ValueError("ends before it starts")
    return CallSummary(row["id"], start, end, _count(row["samples"]), _count(row["faces"]), _number(row["peak"]),
                       _number(row["mean"]), _number(row["final"]), row.get("calibrated") == "1",
                       _number(row["seen"]) if row.get("seen") else None)


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
            raise RecordingError(f"{path}: cannot write the call record ({describe(e)})") from None
        self._fd = fd
        try:
            if os.fstat(fd).st_size == 0:
                _write_all(fd, _csv_line(SAMPLE_COLUMNS))
        except OSError as e:
            self.close()
            raise RecordingError(f"{path}: cannot write the call record ({describe(e)})") from None

    def write(self, s: Sample) -> None:
        data = _csv_line(sample_row(s))
        if self._unfinished:
            data = b"\n" + data
        try:
            if self._fd is None:
                raise OSError(9, "the record is closed")
            size = os.fstat(self._fd).st_size
            _write_all(self._fd, data)
        except OSError as e:
            self._unfinished = self._unfinished if getattr(e, "written", 0) == 0 else True
            raise RecordingError(f"{self.path}: cannot write the call record ({describe(e)})") from None
        self._unfinished = False
        self._undo.append((s.time, size, replace(self.stats), self._last))
        self.stats.add(s.stress, s.face, s.visibility)
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
            raise RecordingError(f"{self.path}: cannot take back the rows after the call's end ({describe(e)})") from None
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
                os.close(fd)
        return self.stats.summary(self.id, self.start, self._last)


def read_samples(path: Path) -> Iterator[Sample]:
    """The rows of a call CSV; damaged rows are skipped with one warning naming them.

    A damaged header (a power cut) is read as the columns trayagent writes; a file in which no row
    reads that way is not a call record."""
    try:
        f = open_read(path)
    except OSError as e:
        raise TrayagentError(f"{path}: cannot read the call record ({describe(e)})") from None
    damage = _Damage(path)
    with f:
        rows = _rows(f, damage)
        first = next(rows, None)
        if first is None:
            return
        header_no, header = first
        columns, good = SAMPLE_COLUMNS, 0
        if tuple(header[:3]) == SAMPLE_COLUMNS[:3]:
            columns = tuple(header)
        else:
            damage.add(header_no, "damaged header")
        for line_no, row in rows:
            try:
                sample = _parse(_OLD_SAMPLE_COLUMNS if columns is SAMPLE_COLUMNS and len(row) == len(
                    _OLD_SAMPLE_COLUMNS) else columns, row, _sample)
            except (ValueError, KeyError) as e:
                damage.add(line_no, str(e))
                continue
            good += 1
            yield sample
        if columns is SAMPLE_COLUMNS and tuple(header[:3]) != SAMPLE_COLUMNS[:3] and good == 0:
            raise TrayagentError(f"{path}: not a trayagent call record (header {','.join(header)[:80]!r})")
    damage.report()


def summarize(call_id: str, samples: Iterable[Sample]) -> CallSummary | None:
    stats, first, last = CallStats(), None, None
    for s in samples:
        first = first or s.time
        last = s.time
        stats.add(s.stress, s.face, s.visibility)
    if first is None or last is None:
        return None
    return stats.summary(call_id, first, last)


@dataclass
class _Index:
    calls: list[CallSummary]
    damaged: bool  # a damaged header or row, or a repeated call: rewrite it
    current: bool  # the header is today's


class CallStore:
    """The data folder's calls: `calls/<id>.csv` per call and `calls.csv`, the index."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.dir = data_dir / "calls"
        self.index_path = data_dir / "calls.csv"

    def call_path(self, call_id: str) -> Path:
        return self.dir / f"{call_id}.csv"

    def _check_folder(self) -> None:
        if self.dir.is_symlink():
            raise RecordingError(f"{self.dir}: it is a link, and trayagent keeps calls only in its own "
                                 "folder: remove the link")

    def new_call(self, start: datetime) -> CallWriter:
        self._check_folder()
        base = start.strftime(_ID_TIME)
        for n in range(1, 1000):
            call_id = base if n == 1 else f"{base}-{n}"
            if os.path.lexists(self.call_path(call_id)):
                continue
            try:
                return CallWriter(self.call_path(call_id), call_id, start, exclusive=True)
            except FileExistsError:  # made meanwhile, or a link planted there: take the next name
                continue
        raise RecordingError(f"{self.dir}: no free name for a call starting {base}")

    # ---- the index -------------------------------------------------------------------------------
    def _read_index(self) -> _Index:
        try:
            f = open_read(self.index_path)
        except FileNotFoundError:
            return _Index([], False, False)
        except OSError as e:
            raise TrayagentError(f"{self.index_path}: cannot read the calls index ({describe(e)}); "
                                 "make it a file your user can read and write") from None
        damage = _Damage(self.index_path)
        out: dict[str, CallSummary] = {}
        current = False
        with f:
            columns: tuple[str, ...] | None = None
            for line_no, row in _rows(f, damage):
                first = columns is None
                if columns is None:
                    if tuple(row) in (INDEX_COLUMNS, *_OLD_INDEX_HEADERS):
                        columns, current = tuple(row), tuple(row) == INDEX_COLUMNS
                        continue
                    columns = INDEX_COLUMNS  # damaged header: read the columns trayagent writes
                try:
                    c = _parse(columns, row, _summary)
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

    def calls(self) -> list[CallSummary]:
        """Every finished call in the index, oldest first, each once; damaged rows skipped with a warning."""
        return self._read_index().calls

    def calls_on(self, day: date, tz: tzinfo | None = None, *, touching: bool = False) -> list[CallSummary]:
        """The calls that started on `day` in time zone `tz` (the machine's own by default), so that
        totals count each call once; with `touching`, also those that started earlier and ran into
        it (a call across midnight is listed under both days)."""
        tz = tz or datetime.now().astimezone().tzinfo
        if touching:
            return [c for c in self.calls() if c.start.astimezone(tz).date() <= day <= c.end.astimezone(tz).date()]
        return [c for c in self.calls() if c.start.astimezone(tz).date() == day]

    def add_to_index(self, summary: CallSummary) -> None:
        try:
            index = self._read_index()
        except TrayagentError as e:
            raise RecordingError(str(e)) from None
        if any(c.id == summary.id for c in index.calls):
            return  # already listed: a call is listed once
        if index.damaged or (index.calls and not index.current):
            self._rewrite_index([*index.calls, summary])  # same rows (less damage), today's header
            return
        try:
            make_private_dir(self.index_path.parent)
            fd = open_private_fd(self.index_path, "a")
            try:
                lines = _csv_line(_index_row(summary))
                if os.fstat(fd).st_size == 0:
                    lines = _csv_line(INDEX_COLUMNS) + lines
                _write_all(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise RecordingError(f"{self.index_path}: cannot update the calls index ({describe(e)})") from None

    def _rewrite_index(self, keep: list[CallSummary]) -> None:
        """Replace the index atomically and durably: a crash or power cut mid-way leaves the old
        one, never half of one. The temporary file is made anew, never written through a link."""
        tmp = self.index_path.with_suffix(".tmp")
        try:
            make_private_dir(self.index_path.parent)
            tmp.unlink(missing_ok=True)  # a link of that name goes, its target stays untouched
            fd = open_private_fd(tmp, "x")
            try:
                _write_all(fd, _csv_line(INDEX_COLUMNS) + b"".join(
                    _csv_line(_index_row(c)) for c in sorted(keep, key=lambda c: c.start)))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.index_path)
            sync_dir(self.index_path.parent)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise RecordingError(f"{self.index_path}: cannot rewrite the calls index ({describe(e)})") from None

    def repair_index(self) -> bool:
        """Rewrite a damaged index without its damage (at start, before `recover` adds back from the
        call files any call whose row was lost); True if it was rewritten."""
        index = self._read_index()
        if not index.damaged:
            return False
        self._rewrite_index(index.calls)
        log.warning("%s: rewrote the calls index without its damaged rows (%d calls kept)", self.index_path,
                    len(index.calls))
        return True

    # ---- a call's life after it ends -------------------------------------------------------------
    def discard(self, writer: CallWriter) -> None:
        """Drop a call too short to count (a mis-detection), with its rows."""
        writer.close()
        writer.path.unlink(missing_ok=True)

    def _call_files(self) -> list[Path]:
        """The call records in calls/ (files named as new_call names them; links are not records)."""
        if not self.dir.is_dir() or self.dir.is_symlink():
            return []
        return sorted(p for p in self.dir.glob("*.csv") if CALL_ID.fullmatch(p.stem) and not p.is_symlink())

    def purge(self, older_than: datetime) -> list[str]:
        """Delete calls that started before `older_than` (retention), and crashed calls too damaged
        to recover whose name says they started before it; returns their ids."""
        calls = self.calls()
        old = [c for c in calls if c.start < older_than]
        if old:
            self._rewrite_index([c for c in calls if c.start >= older_than])
        listed = {c.id for c in calls}
        orphans = [p.stem for p in self._call_files()
                   if p.stem not in listed and (_id_start(p.stem) or older_than) < older_than]
        deleted = [c.id for c in old] + orphans
        for call_id in deleted:
            self.call_path(call_id).unlink(missing_ok=True)
        if deleted:
            log.info("retention: deleted %d calls older than %s", len(deleted), older_than.date())
        return deleted

    def delete_all(self) -> int:
        """Every call, the index and rendered graphs: all the user's recorded data. Returns how many
        calls were deleted; TrayagentError naming what could not be deleted (nothing is followed
        through a link)."""
        problems: list[str] = []
        total = deleted = 0
        graphs = self.data_dir / "graphs"
        for folder in (self.dir, graphs):
            if folder.is_symlink():
                problems.append(f"{folder} is a link, not followed (remove the link yourself)")
                continue
            if not folder.exists():
                continue
            try:
                entries = sorted(folder.iterdir())
            except OSError as e:
                problems.append(f"{folder}: {e.strerror}")
                continue
            for p in entries:
                is_call = folder == self.dir and p.suffix == ".csv"
                total += is_call
                try:
                    if p.is_dir() and not p.is_symlink():
                        import shutil

                        shutil.rmtree(p)
                    else:
                        p.unlink()
                except OSError as e:
                    problems.append(f"{p}: {e.strerror}")
                    continue
                deleted += is_call
            try:
                folder.rmdir()
            except OSError as e:
                if not problems:
                    problems.append(f"{folder}: {e.strerror}")
        for path in (self.index_path, self.index_path.with_suffix(".tmp")):
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                problems.append(f"{path}: {e.strerror}")
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise TrayagentError(f"deleted {deleted} of {total} calls; could not delete {problems[0]}{more}")
        return deleted

    def recover(self, skip: Iterable[str] = frozenset(), min_call_s: float = 0.0) -> list[CallSummary]:
        """Close out calls whose CSV has no index row (the daemon died mid-call), by the same
        minimum-length rule as calls that end normally; repairs a damaged index first."""
        self.repair_index()
        files = self._call_files()
        if not files:
            return []
        known = {c.id for c in self.calls()} | set(skip)
        recovered = []
        for path in files:
            if path.stem in known:
                continue
            try:
                summary = summarize(path.stem, read_samples(path))
            except TrayagentError as e:
                log.warning("cannot recover %s: %s", path, e)
                continue
            if summary is None:
                log.info("removing empty call record %s", path)
                path.unlink(missing_ok=True)
                continue
            if summary.duration_s < min_call_s:
                log.info("call %s lasted %.1f s: too short to keep", summary.id, summary.duration_s)
                path.unlink(missing_ok=True)
                continue
            self.add_to_index(summary)
            recovered.append(summary)
            log.warning("closed out call %s left open by an earlier crash (%d samples)", path.stem,
                        summary.samples)
        return recovered


def _id_start(call_id: str) -> datetime | None:
    """When a call started, from its name (local time, as new_call names it); None if no time."""
    try:
        return datetime.strptime(call_id[:15], _ID_TIME).astimezone()
    except (ValueError, OverflowError):
        return None
