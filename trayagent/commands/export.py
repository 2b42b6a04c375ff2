"""`trayagent export`: the user's own calls over a range of days, for their own use (README, Export).

CSV: one row per call (EXPORT_COLUMNS). JSON: the same calls, each with its moments. Numbers only,
as recorded: never an image. The file is written for its user's eyes only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from trayagent import config as config_mod
from trayagent import paths
from trayagent.commands.graph import parse_day
from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError
from trayagent.core.measured import measure
from trayagent.core.stress import Band, Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import _, ngettext
from trayagent.storage.calls import CallStore, read_samples
from trayagent.storage.private import describe, open_private

FORMAT_VERSION = 1
EXPORT_COLUMNS = ("id", "start", "end", "duration_s", "samples", "faces", "peak", "mean", "final", "calibrated",
                  "seen", "calm_s", "elevated_s", "alert_s", "unmeasured_s")


def export_calls(store: CallStore, first: date, last: date, thresholds: Thresholds,
                 seen: VisibilityThresholds = VisibilityThresholds()) -> list[dict]:
    """Band seconds count measured time only; a call not measured has no peak, mean or final."""
    out = []
    day = first
    while day <= last:
        for c in store.calls_on(day):
            samples = list(read_samples(store.call_path(c.id)))
            m = measure(samples, thresholds, seen)
            row = c.as_dict() | {f"{b.value}_s": round(m.bands[b], 1) for b in Band}
            row["unmeasured_s"] = round(m.unmeasured_s, 1)
            if not m.measured:
                row |= {"peak": None, "mean": None, "final": None}
            row["moments"] = [{"time": s.time.isoformat(timespec="milliseconds"), "emotion": s.emotion,
                               "stress": round(s.stress, 6),
                               "probs": None if s.probs is None else dict(zip(PRODUCT4, (round(p, 6) for p in s.probs)))}
                              for s in samples]
            out.append(row)
        day += timedelta(days=1)
    return out


def as_csv(calls: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    for c in calls:
        w.writerow([int(c[k]) if k == "calibrated" else "" if c[k] is None else c[k] for k in EXPORT_COLUMNS])
    return buf.getvalue()


def as_json(calls: list[dict], first: date, last: date, thresholds: Thresholds) -> str:
    return json.dumps({"format": "trayagent-export", "version": FORMAT_VERSION, "from": first.isoformat(),
                       "to": last.isoformat(),
                       "bands": {"calm_below": thresholds.calm_below, "alert_from": thresholds.alert_from},
                       "calls": calls}, indent=2, ensure_ascii=False) + "\n"


def command(args: argparse.Namespace) -> int:
    last = parse_day(args.to, "--to")
    first = parse_day(args.from_, "--from") if args.from_ else last
    if first > last:
        raise TrayagentError(_("--from {first} is after --to {last}").format(first=first, last=last))
    out = Path(args.out) if args.out else None
    kind = out.suffix.lower() if out else ".csv"
    if kind not in (".csv", ".json"):
        raise TrayagentError(_("--out {path}: name a .csv or a .json file").format(path=out))
    cfg = config_mod.load_or_defaults()
    thresholds = cfg.thresholds
    calls = export_calls(CallStore(paths.data_dir()), first, last, thresholds, cfg.visibility)
    text = as_json(calls, first, last, thresholds) if kind == ".json" else as_csv(calls)
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        with open_private(out, "w") as f:
            f.write(text)
    except OSError as e:
        raise TrayagentError(_("--out {path}: cannot write ({reason})").format(path=out, reason=describe(e))) from None
    print(ngettext("wrote {n} call to {path}", "wrote {n} calls to {path}", len(calls)).format(n=len(calls), path=out),
          file=sys.stderr)
    return 0
