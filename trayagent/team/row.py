"""The one row a call becomes for the team view, and nothing else: pure, no I/O.

A random id (not the PC's call id), the team, this week's pseudonym, the start rounded down to 15
minutes, the length in whole seconds split into seconds per band and seconds not measured (core.
measured: unmeasured time is never calm), the band at the end (None: the call was not measured),
and whether the faces were read through the agent's calibration. Never a sample, an emotion, a
probability, the index curve, or a user, machine or host name.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from trayagent.core.measured import Measured
from trayagent.core.records import CallSummary
from trayagent.core.stress import Band

SLOT_S = 15 * 60


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def pseudonym(key: bytes, week: str) -> str:
    """Same key and ISO week, same pseudonym: the server can count distinct agents in a week but
    never follow one across weeks, and only this PC's key can say which pseudonyms were its own."""
    return hmac.new(key, f"trayagent-team/{week}".encode(), hashlib.sha256).hexdigest()


def slot(start: datetime) -> datetime:
    """The 15-minute slot the call started in, in UTC."""
    t = int(start.timestamp())
    return datetime.fromtimestamp(t - t % SLOT_S, UTC)


@dataclass(frozen=True)
class TeamRow:
    call_id: str
    team: str
    pseudonym: str
    start_slot: datetime
    duration_s: int
    calm_s: int
    elevated_s: int
    alert_s: int
    unmeasured_s: int
    end_band: str | None
    calibrated: bool

    def as_dict(self) -> dict:
        d = asdict(self)
        d["start_slot"] = self.start_slot.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TeamRow:
        fields = dict(d)
        fields["start_slot"] = datetime.fromisoformat(d["start_slot"])
        row = cls(**fields)
        if set(d) != set(asdict(row)):
            raise ValueError("not a team row")
        return row


def whole_seconds(parts: list[float], total: int) -> list[int]:
    """`parts` scaled to whole seconds that add up to exactly `total` (largest remainders)."""
    s = sum(parts)
    if s <= 0:
        return [0] * (len(parts) - 1) + [total]
    exact = [p * total / s for p in parts]
    out = [int(x) for x in exact]
    for i in sorted(range(len(parts)), key=lambda i: exact[i] - out[i], reverse=True)[:total - sum(out)]:
        out[i] += 1
    return out


def make_row(summary: CallSummary, measured: Measured, team: str, key: bytes) -> TeamRow:
    duration = max(1, round(summary.duration_s))
    if measured.measured:
        parts = [measured.bands[Band.CALM], measured.bands[Band.ELEVATED], measured.bands[Band.ALERT],
                 measured.unmeasured_s]
    else:
        parts = [0.0, 0.0, 0.0, 1.0]
    calm, elevated, alert, unmeasured = whole_seconds(parts, duration)
    return TeamRow(
        call_id=str(uuid.uuid4()), team=team, pseudonym=pseudonym(key, iso_week(summary.start.astimezone().date())),
        start_slot=slot(summary.start), duration_s=duration, calm_s=calm, elevated_s=elevated, alert_s=alert,
        unmeasured_s=unmeasured, end_band=measured.end.value if measured.end is not None else None,
        calibrated=summary.calibrated)
