"""What the team view keeps on this PC, in the data folder's team/ (user-only, like the rest):

- `key`: the random key the weekly pseudonyms are made from; made at `join`, never leaves the PC;
- `state.json`: opted in or not, since when (calls that ended before it are never queued), and the
  end of the newest call queued;
- `outbox/<local call id>.json`: one row per ended call not yet committed by the server; removed only
  after the commit (named by the local id so a crash between queueing and noting it queues it once);
- `sent.jsonl`: every row the server committed, as sent (`trayagent team status` shows them);
- `last.json`: how the last try went, one line for `doctor`, the tray and `team status`.
Every file is written whole to a temporary file and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trayagent import os_errors, paths
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _
from trayagent.storage.private import make_private_dir, open_private, sync_dir
from trayagent.team.row import TeamRow


class TeamFileError(TrayagentError):
    pass


@dataclass(frozen=True)
class State:
    joined: bool = False
    since: datetime | None = None  # when the agent opted in (UTC)
    queued_through: datetime | None = None  # end of the newest call queued
    key_made: datetime | None = None  # the key's first week starts no earlier than this


def _dt(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if isinstance(v, str) else None


class TeamFiles:
    def __init__(self, folder: Path | None = None) -> None:
        self.dir = folder or paths.data_dir() / "team"
        self.outbox = self.dir / "outbox"

    # ---- whole files ------------------------------------------------------------------------------
    def _write(self, path: Path, text: str) -> None:
        try:
            make_private_dir(path.parent)
            tmp = path.with_name(path.name + ".tmp")
            with open_private(tmp, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            sync_dir(path.parent)
        except OSError as e:
            raise TeamFileError(_("{path}: cannot be written ({reason})").format(
                path=path, reason=os_errors.reason(e))) from None

    def _read_json(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise TeamFileError(_("{path}: cannot be read ({reason})").format(
                path=path, reason=os_errors.reason(e) if isinstance(e, OSError) else _("damaged"))) from None

    # ---- state and key ----------------------------------------------------------------------------
    def state(self) -> State:
        d = self._read_json(self.dir / "state.json") or {}
        return State(bool(d.get("joined")), _dt(d.get("since")), _dt(d.get("queued_through")), _dt(d.get("key_made")))

    def save_state(self, s: State) -> None:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        self._write(self.dir / "state.json", json.dumps(
            {"joined": s.joined, "since": iso(s.since), "queued_through": iso(s.queued_through),
             "key_made": iso(s.key_made)}, indent=1) + "\n")

    def key(self, make: bool = False) -> bytes | None:
        path = self.dir / "key"
        try:
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            if not make:
                return None
        except (OSError, ValueError):
            raise TeamFileError(_("{path}: cannot be read ({reason})").format(path=path, reason=_("damaged"))) from None
        key = secrets.token_bytes(32)
        self._write(path, key.hex() + "\n")
        return key

    def forget(self) -> None:
        """The key, the outbox, the sent rows and the state: nothing left to tie this PC to its rows."""
        for p in sorted(self.dir.rglob("*"), reverse=True) if self.dir.is_dir() else []:
            try:
                p.rmdir() if p.is_dir() and not p.is_symlink() else p.unlink()
            except OSError as e:
                raise TeamFileError(_("{path}: cannot be deleted ({reason})").format(
                    path=p, reason=os_errors.reason(e))) from None

    # ---- outbox and the sent rows -----------------------------------------------------------------
    def queue(self, local_id: str, row: TeamRow) -> None:
        self._write(self.outbox / f"{local_id}.json", json.dumps(row.as_dict(), ensure_ascii=False) + "\n")

    def queued_ids(self) -> set[str]:
        return {p.stem for p in self.outbox.glob("*.json")} if self.outbox.is_dir() else set()

    def pending(self) -> list[tuple[Path, TeamRow]]:
        """Queued rows, oldest call first; a damaged file is set aside (`.damaged`), never sent."""
        out = []
        for p in sorted(self.outbox.glob("*.json")) if self.outbox.is_dir() else []:
            try:
                out.append((p, TeamRow.from_dict(json.loads(p.read_text(encoding="utf-8")))))
            except (OSError, ValueError, TypeError, KeyError):
                with contextlib.suppress(OSError):
                    os.replace(p, p.with_suffix(".damaged"))
        return out

    def sent(self, path: Path, row: TeamRow, status: str = "sent") -> None:
        """The server committed `row` (or refused it for good): noted, then out of the outbox."""
        try:
            make_private_dir(self.dir)
            with open_private(self.dir / "sent.jsonl", "a") as f:
                f.write(json.dumps({"status": status, **row.as_dict()}, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            path.unlink(missing_ok=True)
        except OSError as e:
            raise TeamFileError(_("{path}: cannot be written ({reason})").format(
                path=self.dir / "sent.jsonl", reason=os_errors.reason(e))) from None

    def sent_rows(self) -> list[dict]:
        try:
            lines = (self.dir / "sent.jsonl").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise TeamFileError(_("{path}: cannot be read ({reason})").format(
                path=self.dir / "sent.jsonl", reason=os_errors.reason(e))) from None
        rows = []
        for line in lines:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash: the row it began is still in the outbox
        return rows

    def told(self) -> bool:
        return (self.dir / "told").exists()

    def mark_told(self) -> None:
        self._write(self.dir / "told", "")

    # ---- how the last try went --------------------------------------------------------------------
    def note(self, problem: str | None) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        last = self.last()
        if problem is None and last.get("problem") is None and last.get("ok_at"):
            return  # all well, and already said so
        self._write(self.dir / "last.json", json.dumps(
            {"problem": problem, "at": now, "ok_at": now if problem is None else last.get("ok_at")},
            ensure_ascii=False) + "\n")

    def last(self) -> dict:
        try:
            d = self._read_json(self.dir / "last.json")
        except TeamFileError:
            return {}
        return d if isinstance(d, dict) else {}
