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

import logging
import os
from collections.abc import Iterable
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

    # ---- the index (storage/index.py) -----------------------------------------------------------
    def calls(self) -> list[CallSummary]:
        """Every finished call in the index, oldest first, each once; damaged rows skipped with a warning."""
        return self.index.read().calls

    def calls_on(self, day: date, tz: tzinfo | None = None, *, touching: bool = False) -> list[CallSummary]:
        """The calls that started on `day` in time zone `tz` (the machine's own by default), so that
        totals count each call once; with `touching`, also those that started earlier and ran into
        it (a call across midnight is listed under both days)."""
        tz = tz or datetime.now().astimezone().tzinfo
        if touching:
            return [c for c in self.calls() if c.start.astimezone(tz).date() <= day <= c.end.astimezone(tz).date()]
        return [c for c in self.calls() if c.start.astimezone(tz).date() == day]

    def add_to_index(self, summary: CallSummary) -> None:
        self.index.add(summary)

    def repair_index(self) -> bool:
        """Rewrite a damaged index without its damage (at start, before `recover` adds back from the
        call files any call whose row was lost); True if it was rewritten."""
        return self.index.repair()

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
            self.index.rewrite([c for c in calls if c.start >= older_than])
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
