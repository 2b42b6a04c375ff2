"""`trayagent analyze VIDEO`: a recorded call, analysed as one call, into a CSV and a graph."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trayagent import os_errors, wording
from trayagent.core.emotions import PRODUCT4
from trayagent.core.errors import TrayagentError
from trayagent.core.measured import call_measured
from trayagent.core.records import CallSummary, Sample
from trayagent.core.stress import CallStats, Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.i18n import _, ngettext
from trayagent.perception.frames import open_video, video_frames
from trayagent.perception.pipeline import Perception
from trayagent.storage import baseline
from trayagent.storage.calls import CallWriter
from trayagent.ui import graphs


@dataclass(frozen=True)
class Analysis:
    summary: CallSummary
    csv: Path
    graph: Path
    emotions: dict[str, int]
    skipped_frames: int = 0  # damaged frames the decoder could not read

    def as_dict(self) -> dict:
        s = self.summary
        figures = {} if call_measured(s) else {"peak": None, "mean": None, "final": None}  # not measured: not calm
        return {**s.as_dict(), **figures, "measured": call_measured(s),
                "faces_found_rate": round(s.faces / s.samples, 4) if s.samples else 0.0,
                "emotions": self.emotions, "skipped_frames": self.skipped_frames, "csv": str(self.csv),
                "graph": str(self.graph)}

    def text(self) -> str:
        s = self.summary
        rate = s.faces / s.samples if s.samples else 0.0
        shares = ", ".join(f"{wording.emotion(e)} {self.emotions[e]}" for e in PRODUCT4 if self.emotions.get(e))
        seen = "" if s.seen is None else _(", seen well in {share}").format(share=f"{s.seen:.0%}")
        skipped = self.skipped_frames
        return "\n".join([
            _("{samples} frames over {length}, face found in {faces} ({rate})").format(
                samples=s.samples, length=wording.duration(s.duration_s), faces=s.faces, rate=f"{rate:.0%}") + seen
            + ("; " + ngettext("skipped {n} damaged frame", "skipped {n} damaged frames", skipped).format(n=skipped)
               if skipped else ""),
            _("emotions: {shares}").format(shares=shares or _("none (no face found)")),
            (_("stress: peak {peak}, mean {mean}, final {final}").format(
                peak=f"{s.peak:.3f}", mean=f"{s.mean:.3f}", final=f"{s.final:.3f}") if call_measured(s)
             else _("stress: not measured (the face was seen well in fewer than half the frames)"))
            + (_(" (faces read through your calibration)") if s.calibrated else ""),
            _("wrote {path}").format(path=self.csv),
            _("wrote {path}").format(path=self.graph),
        ])


def analyze(video: Path, out_dir: Path, fps: float | None, perception: Perception,
            thresholds: Thresholds = Thresholds(), progress: bool = True,
            visibility: VisibilityThresholds = VisibilityThresholds()) -> Analysis:
    cap, file_fps = open_video(video)  # fails early, before any output is created
    total = int(cap.get(7))  # CAP_PROP_FRAME_COUNT: only for the progress bar
    cap.release()
    if fps and file_fps:
        total = int(total * min(1.0, fps / file_fps))
    if out_dir.exists() and not out_dir.is_dir():
        raise TrayagentError(_("--out {path}: is a file; name a folder for {csv} and {png}").format(
            path=out_dir, csv=f"{video.stem}.csv", png=f"{video.stem}.png"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrayagentError(_("--out {path}: cannot make the folder ({reason})").format(
            path=out_dir, reason=os_errors.reason(e))) from None
    csv_path = out_dir / f"{video.stem}.csv"
    csv_path.unlink(missing_ok=True)
    start = datetime.now().astimezone()
    writer = CallWriter(csv_path, video.stem, start)
    stats = CallStats(visibility=visibility)
    samples: list[Sample] = []
    from tqdm import tqdm

    frames = video_frames(video, fps)
    try:
        for frame in tqdm(frames, total=total or None, unit="frame", disable=None if progress else True,
                          leave=False):
            obs = perception.observe(frame.image)
            sample = obs.sample(start + timedelta(seconds=frame.t), stats.step(obs.emotion, obs.calibrated, obs.visibility))
            writer.write(sample)
            samples.append(sample)
    finally:
        writer.close()
    summary = stats.summary(writer.id, start, samples[-1].time if samples else start)
    graph = graphs.save(graphs.call_figure(samples, f"{video.name}: " + graphs.call_title(summary, samples)
                                           .removeprefix("Call "), thresholds, visibility=visibility),
                        out_dir / f"{video.stem}.png")
    counts = Counter(s.emotion for s in samples if s.emotion)
    return Analysis(summary, csv_path, graph, {e: counts.get(e, 0) for e in PRODUCT4}, frames.skipped)


def command(args: argparse.Namespace) -> int:
    from trayagent import config as config_mod

    cfg = config_mod.load_or_defaults()  # a bad value is named on stderr and falls back alone
    perception = Perception.for_user(args.model or cfg["model.path"] or None,
                                     None if args.no_calibration else baseline.stored(), cfg)
    result = analyze(Path(args.video), Path(args.out), args.fps, perception, cfg.thresholds, progress=not args.json,
                     visibility=cfg.visibility)
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.text())
    return 0
