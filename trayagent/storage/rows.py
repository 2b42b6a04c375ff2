"""CSV rows as the data folder stores them: written whole or not at all (one os.write loop, the
count of bytes handed over kept on failure), read a physical line at a time so that damage costs
the damaged rows only, each value checked (times in range and zoned, numbers finite, counts not
negative), and one warning per read naming the damaged lines."""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

# Far inside datetime's range, so converting a time to any zone cannot overflow.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_SHOWN_LINES = 5  # damaged lines named in one warning

T = TypeVar("T")


def fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != 0 else "0"


def csv_line(row: Iterable) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue().encode("utf-8")


def write_all(fd: int, data: bytes) -> int:
    """Write everything or raise OSError; returns how much was written before a failure."""
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:])
    except OSError as e:
        e.written = done  # type: ignore[attr-defined]
        raise
    return done


def parse_time(text: str) -> datetime:
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


def number(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"{text[:20]!r} is not a finite number")
    return x


def count(text: str) -> int:
    n = int(text)
    if n < 0:
        raise ValueError(f"negative count {n}")
    return n


@dataclass
class Damage:
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


def read_rows(f: io.TextIOWrapper, damage: Damage) -> Iterator[tuple[int, list[str]]]:
    """Numbered CSV rows, one per physical line; a line csv cannot read is damage, blank lines are not."""
    for line_no, line in enumerate(f, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            yield line_no, next(csv.reader([text]))
        except (csv.Error, StopIteration) as e:
            damage.add(line_no, str(e))


def parse(columns: tuple[str, ...], row: list[str], build: Callable[[dict[str, str]], T]) -> T:
    if len(row) != len(columns):
        raise ValueError(f"{len(row)} fields, expected {len(columns)}")
    return build(dict(zip(columns, row)))
