"""Per-call CSVs (one row per analysed frame, on disk as written) and the calls index.

A call's CSV exists from its first moment, held by its writer until it ends (platform/file_lock);
its index row is written when it ends. Every read of the index reconciles it with the call files: a
file the index does not list (a crash, a row lost or damaged, an index emptied, re-encoded or
replaced) is summed up from its rows and written back, so a call whose own file is intact is always
listed; a file still held by its writer is a call not over yet. `recover`, at start, also drops
crashed calls too short to keep.

Damage (a power cut's NUL bytes, a stray quote, a date out of range) costs the damaged rows only:
files are read a line at a time (no field of ours holds a line break, so a stray quote cannot
swallow the rest of a file), each damaged row is skipped, and one warning per read names the file
and the lines. The call files are the record.
Nothing is read or written through a link.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Container, Iterable, Iterator
from datetime import date, datetime, tzinfo
from pathlib import Path

from trayagent import os_errors
from trayagent.core.errors import TrayagentError
from trayagent.core.records import CallSummary
from trayagent.i18n import _
from trayagent.storage.callfile import (
    CALL_ID,
    SAMPLE_COLUMNS,
    VISIBILITY_COLUMNS,
    CallWriter,
    RecordingError,
    being_written,
    read_samples,
    sample_row,
    summarize,
)
from trayagent.storage.index import INDEX_COLUMNS, CallIndex

__all__ = ["CALL_ID", "INDEX_COLUMNS", "SAMPLE_COLUMNS", "VISIBILITY_COLUMNS", "CallStore", "CallWriter",
           "RecordingError", "read_samples", "sample_row", "summarize"]

log = logging.getLogger(__name__)

_ID_TIME = "%Y%m%d-%H%M%S"


class CallStore:
    """The data folder's calls: `calls/<id>.csv` per call and `calls.csv`, the index."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.dir = data_dir / "calls"
        self.index_path = data_dir / "calls.csv"
        self.index = CallIndex(self.index_path)
        # call files read for want of an index row: id -> ((mtime, size), summary, readable)
        self._summed: dict[str, tuple[tuple[int, int], CallSummary | None, bool]] = {}

    def call_path(self, call_id: str) -> Path:
        return self.dir / f"{call_id}.csv"

    def _check_folder(self) -> None:
        if self.dir.is_symlink():
            raise RecordingError(_("{path}: it is a link, and trayagent keeps calls only in its own folder: "
                                   "remove the link").format(path=self.dir))

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
        raise RecordingError(_("{path}: no free name for a call starting {start}").format(path=self.dir, start=base))

    # ---- the index (storage/index.py), reconciled with the call files ---------------------------
    def calls(self) -> list[CallSummary]:
        """Every finished call, oldest first, each once: the index's rows, and for every call file
        the index does not list (its row lost or damaged, the index emptied or unreadable) a row
        rebuilt from the file, written back. Costs a listing of calls/ when nothing is missing."""
        index = self.index.read()
        found = {c.id: c for c in index.calls}
        rebuilt = [s for _path, s in self._unlisted(found) if s is not None]
        found.update((s.id, s) for s in rebuilt)
        if rebuilt or index.damaged:
            if rebuilt:
                log.warning("%s: %d calls missing from it were read from their own files", self.index_path,
                            len(rebuilt))
            try:
                self.index.rewrite(list(found.values()))
            except RecordingError as e:
                log.warning("%s", e)
        return sorted(found.values(), key=lambda c: c.start)

    def calls_on(self, day: date, tz: tzinfo | None = None, *, touching: bool = False) -> list[CallSummary]:
        """The calls that started on `day` in time zone `tz` (the machine's own by default), so that
        totals count each call once; with `touching`, also those that started earlier and ran into
        it (a call across midnight is listed under both days)."""
        tz = tz or datetime.now().astimezone().tzinfo
        if touching:
            return [c for c in self.calls() if c.start.astimezone(tz).date() <= day <= c.end.astimezone(tz).date()]
        return [c for c in self.calls() if c.start.astimezone(tz).date() == day]

    def add_to_index(self, summary: CallSummary) -> None:
        """List a call that has ended, as its writer sums it up: that row wins over one rebuilt
        from its file meanwhile (the writer knows the dated end and the calibration)."""
        index = self.index.read()
        found = {c.id: c for c in index.calls}
        rebuilt = [s for _path, s in self._unlisted(found.keys() | {summary.id}) if s is not None]
        if not rebuilt and not index.damaged and summary.id not in found and (index.current or not found):
            self.index.append(summary)
            return
        found.update((s.id, s) for s in rebuilt)
        found[summary.id] = summary
        self.index.rewrite(list(found.values()))

    def _unlisted(self, listed: Container[str]) -> Iterator[tuple[Path, CallSummary | None]]:
        """The call files not in `listed` and not being written, each with its summary (None: no
        row in it); one that cannot be read as a call record is skipped with a warning. Names
        alone are compared: a listed call costs no look at its file. A file summed up once is not
        read again while it is unchanged (an index that cannot be written back, a stray that is no
        record: the daemon would otherwise read them on every listing)."""
        for call_id in self._call_ids(unless=listed):
            path = self.call_path(call_id)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or being_written(path):  # a link or a folder is no record
                continue
            key = (st.st_mtime_ns, st.st_size)
            known = self._summed.get(call_id)
            if known is None or known[0] != key:
                try:
                    known = key, summarize(call_id, read_samples(path)), True
                except TrayagentError as e:
                    log.warning("%s", e)
                    known = key, None, False
                self._summed[call_id] = known
            if known[2]:
                yield path, known[1]

    # ---- a call's life after it ends -------------------------------------------------------------
    def discard(self, writer: CallWriter) -> None:
        """Drop a call too short to count (a mis-detection), with its rows."""
        writer.close()
        writer.path.unlink(missing_ok=True)

    def _call_ids(self, unless: Container[str] = frozenset()) -> list[str]:
        """The names in calls/ that new_call could have made, less those in `unless` (whether each
        is a plain file is for the caller to see: a link or a folder is not a record)."""
        if self.dir.is_symlink():
            return []
        try:
            names = os.listdir(self.dir)
        except OSError:  # no calls folder yet, or something else in its place
            return []
        return [n[:-4] for n in names if n.endswith(".csv") and n[:-4] not in unless and CALL_ID.fullmatch(n[:-4])]

    def purge(self, older_than: datetime) -> list[str]:
        """Delete calls that started before `older_than` (retention), and crashed calls too damaged
        to recover whose name says they started before it; returns their ids."""
        calls = self.calls()
        old = [c for c in calls if c.start < older_than]
        if old:
            self.index.rewrite([c for c in calls if c.start >= older_than])
        listed = {c.id for c in calls}
        orphans = [call_id for call_id in sorted(self._call_ids(unless=listed))
                   if (_id_start(call_id) or older_than) < older_than and _is_record(self.call_path(call_id))]
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
                problems.append(_("{path} is a link, not followed (remove the link yourself)").format(path=folder))
                continue
            if not folder.exists():
                continue
            try:
                entries = sorted(folder.iterdir())
            except OSError as e:
                problems.append(f"{folder}: {os_errors.reason(e)}")
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
                    problems.append(f"{p}: {os_errors.reason(e)}")
                    continue
                deleted += is_call
            try:
                folder.rmdir()
            except OSError as e:
                if not problems:
                    problems.append(f"{folder}: {os_errors.reason(e)}")
        for path in (self.index_path, self.index_path.with_suffix(".tmp")):
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                problems.append(f"{path}: {os_errors.reason(e)}")
        if problems:
            problem = problems[0] if len(problems) == 1 else _("{problem} (and {n} more)").format(
                problem=problems[0], n=len(problems) - 1)
            raise TrayagentError(_("deleted {deleted} of {total} calls; could not delete {problem}").format(
                deleted=deleted, total=total, problem=problem))
        return deleted

    def recover(self, skip: Iterable[str] = frozenset(), min_call_s: float = 0.0) -> list[CallSummary]:
        """At start: close out calls whose file has no index row (the daemon died mid-call), by the
        same minimum-length rule as calls that end normally, and rewrite a damaged index."""
        index = self.index.read()
        recovered = []
        for path, summary in self._unlisted({c.id for c in index.calls} | set(skip)):
            if summary is None:
                log.info("removing empty call record %s", path)
                path.unlink(missing_ok=True)
            elif summary.duration_s < min_call_s:
                log.info("call %s lasted %.1f s: too short to keep", summary.id, summary.duration_s)
                path.unlink(missing_ok=True)
            else:
                recovered.append(summary)
                log.warning("closed out call %s left open by an earlier crash (%d samples)", summary.id,
                            summary.samples)
        if recovered or index.damaged:
            self.index.rewrite([*index.calls, *recovered])
        return recovered


def _is_record(path: Path) -> bool:
    """A plain file: a link or a folder of a call's name is not a record (and never followed)."""
    return not path.is_symlink() and path.is_file()


def _id_start(call_id: str) -> datetime | None:
    """When a call started, from its name (local time, as new_call names it); None if no time."""
    try:
        return datetime.strptime(call_id[:15], _ID_TIME).astimezone()
    except (ValueError, OverflowError):
        return None
