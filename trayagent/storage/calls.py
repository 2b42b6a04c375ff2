"""Per-call CSVs (one row per analysed frame, flushed as written) and the calls index.

A call's CSV exists from its first moment; its index row is written when it ends. A CSV without an
index row is a call cut off by a crash: `recover` closes it out from its rows at the next start.
Damaged rows are skipped with a warning; nothing else is lost.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Iterable, Iterator

from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import CallStats
from trayagent.storage.private import make_private_dir, open_private

log = logging.getLogger(__name__)

SAMPLE_COLUMNS = ("time", "emotion", "stress", *(f"p_{c}" for c in PRODUCT4), "face")
INDEX_COLUMNS = ("id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final", "calibrated")


def _index_row(summary: CallSummary) -> list:
    d = summary.as_dict()
    d["calibrated"] = "1" if summary.calibrated else "0"
    return [d[c] for c in INDEX_COLUMNS]


class RecordingError(TrayagentError):
    """Writing the record failed (disk full, permissions); what was written before is intact."""


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != 0 else "0"


def sample_row(s: Sample) -> list[str]:
    probs = [_fmt(p) for p in s.probs] if s.probs is not None else [""] * len(PRODUCT4)
    return [s.time.isoformat(timespec="milliseconds"), s.emotion or "", _fmt(round(s.stress, 6)), *probs,
            "1" if s.face else "0"]


class CallWriter:
    """Appends one call's samples to its CSV, a flushed row at a time."""

    def __init__(self, path: Path, call_id: str, start: datetime) -> None:
        self.path, self.id, self.start = path, call_id, start
        new = not path.exists()
        try:
            make_private_dir(path.parent)
            self._file = open_private(path, "a")
            self._csv = csv.writer(self._file)
            if new:
                self._csv.writerow(SAMPLE_COLUMNS)
                self._file.flush()
        except OSError as e:
            raise RecordingError(f"{path}: cannot write the call record ({e.strerror})") from None

    def write(self, s: Sample) -> None:
        try:
            self._csv.writerow(sample_row(s))
            self._file.flush()
        except OSError as e:
            raise RecordingError(f"{self.path}: cannot write the call record ({e.strerror})") from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass


def read_samples(path: Path) -> Iterator[Sample]:
    """The rows of a call CSV; a damaged row is skipped with a warning naming it."""
    try:
        f = path.open(newline="", encoding="utf-8", errors="replace")
    except OSError as e:
        raise TrayagentError(f"{path}: cannot read the call record ({e.strerror})") from None
    with f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        if tuple(header[:3]) != SAMPLE_COLUMNS[:3]:
            raise TrayagentError(f"{path}: not a trayagent call record (header {','.join(header)[:80]!r})")
        col = {name: i for i, name in enumerate(header)}
        for line_no, row in enumerate(reader, start=2):
            try:
                t = datetime.fromisoformat(row[col["time"]])
                if t.tzinfo is None:
                    raise ValueError("time without UTC offset")
                emotion = row[col["emotion"]] or None
                if emotion is not None and emotion not in PRODUCT4:
                    raise ValueError(f"unknown emotion {emotion!r}")
                stress = float(row[col["stress"]])
                if not math.isfinite(stress):
                    raise ValueError("stress is not a finite number")
                probs = None
                if emotion is not None:
                    probs = tuple(float(row[col[f"p_{c}"]]) for c in PRODUCT4)
            except (ValueError, IndexError, KeyError) as e:
                log.warning("%s line %d: damaged row skipped (%s)", path, line_no, e)
                continue
            yield Sample(t, emotion, stress, probs)


def summarize(call_id: str, samples: Iterable[Sample]) -> CallSummary | None:
    stats, first, last = CallStats(), None, None
    for s in samples:
        first = first or s.time
        last = s.time
        stats.add(s.stress, s.face)
    if first is None:
        return None
    return stats.summary(call_id, first, last)


class CallStore:
    """The data folder's calls: `calls/<id>.csv` per call and `calls.csv`, the index."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "calls"
        self.index_path = data_dir / "calls.csv"

    def call_path(self, call_id: str) -> Path:
        return self.dir / f"{call_id}.csv"

    def new_call(self, start: datetime) -> CallWriter:
        base = start.strftime("%Y%m%d-%H%M%S")
        call_id, n = base, 1
        while self.call_path(call_id).exists():
            n += 1
            call_id = f"{base}-{n}"
        return CallWriter(self.call_path(call_id), call_id, start)

    def add_to_index(self, summary: CallSummary) -> None:
        new = not self.index_path.exists()
        if not new and self._index_header() != list(INDEX_COLUMNS):
            self._rewrite_index(self.calls())  # an index from before a column was added: same rows, new header
        try:
            make_private_dir(self.index_path.parent)
            with open_private(self.index_path, "a") as f:
                w = csv.writer(f)
                if new:
                    w.writerow(INDEX_COLUMNS)
                w.writerow(_index_row(summary))
        except OSError as e:
            raise RecordingError(f"{self.index_path}: cannot update the calls index ({e.strerror})") from None

    def discard(self, writer: CallWriter) -> None:
        """Drop a call too short to count (a mis-detection), with its rows."""
        writer.close()
        writer.path.unlink(missing_ok=True)

    def calls(self) -> list[CallSummary]:
        """Every finished call in the index, oldest first; damaged rows skipped with a warning."""
        if not self.index_path.exists():
            return []
        out = []
        with self.index_path.open(newline="", encoding="utf-8", errors="replace") as f:
            for line_no, row in enumerate(csv.DictReader(f), start=2):
                try:
                    out.append(CallSummary(
                        row["id"], datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"]),
                        int(row["samples"]), int(row["faces"]), float(row["peak"]), float(row["mean"]),
                        float(row["final"]), row.get("calibrated") == "1"))  # absent in old indexes
                except (ValueError, TypeError, KeyError) as e:
                    log.warning("%s line %d: damaged row skipped (%s)", self.index_path, line_no, e)
        return sorted(out, key=lambda c: c.start)

    def calls_on(self, day: date, tz: tzinfo | None = None) -> list[CallSummary]:
        """The calls that started on `day` in time zone `tz` (the machine's own by default)."""
        tz = tz or datetime.now().astimezone().tzinfo
        return [c for c in self.calls() if c.start.astimezone(tz).date() == day]

    def _index_header(self) -> list[str]:
        with self.index_path.open(newline="", encoding="utf-8", errors="replace") as f:
            return next(csv.reader(f), [])

    def _rewrite_index(self, keep: list[CallSummary]) -> None:
        """Replace the index atomically: a crash mid-way leaves the old one, never half of one."""
        tmp = self.index_path.with_suffix(".tmp")
        with open_private(tmp, "w") as f:
            w = csv.writer(f)
            w.writerow(INDEX_COLUMNS)
            for c in keep:
                w.writerow(_index_row(c))
        os.replace(tmp, self.index_path)

    def purge(self, older_than: datetime) -> list[str]:
        """Delete calls that started before `older_than` (retention); returns their ids."""
        calls = self.calls()
        old = [c for c in calls if c.start < older_than]
        if not old:
            return []
        self._rewrite_index([c for c in calls if c.start >= older_than])
        for c in old:
            self.call_path(c.id).unlink(missing_ok=True)
        log.info("retention: deleted %d calls older than %s", len(old), older_than.date())
        return [c.id for c in old]

    def delete_all(self) -> int:
        """Every call, the index and rendered graphs: all the user's recorded data."""
        n = len(list(self.dir.glob("*.csv"))) if self.dir.exists() else 0
        import shutil

        for folder in (self.dir, self.index_path.parent / "graphs"):
            shutil.rmtree(folder, ignore_errors=True)
        self.index_path.unlink(missing_ok=True)
        return n

    def recover(self, skip: set[str] = frozenset()) -> list[CallSummary]:
        """Close out calls whose CSV has no index row (the daemon died mid-call)."""
        if not self.dir.exists():
            return []
        known = {c.id for c in self.calls()} | set(skip)
        recovered = []
        for path in sorted(self.dir.glob("*.csv")):
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
            self.add_to_index(summary)
            recovered.append(summary)
            log.warning("closed out call %s left open by an earlier crash (%d samples)", path.stem,
                        summary.samples)
        return recovered
