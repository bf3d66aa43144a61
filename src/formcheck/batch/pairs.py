"""Two cameras of one session in a batch: manifest rows of the same patient and session date with
different views are analysed as one pair (`formcheck.core.fusion`), one ``summary.csv`` row.

After every video's own job has run, `fuse_sessions` groups the analysed videos by
``(patient_id, session_date)``; a group of two or more videos whose views (the manifest's
``view``, else the detected one) differ is fused from the videos' landmark caches (no pose model
runs again) into ``pairs/<patient>_<date>/`` (`formcheck.report.fused.run_fused`: one report, and
each video's own report beside it, without annotated videos: those are in the videos' own job
folders). Its row replaces the videos' rows: ``path`` lists the sources (``a.mp4 + b.mp4``),
``view`` their views (``front+side``), ``sha256`` their hashes.
Videos without a patient or a date, or of a single view, keep their own rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .digest import scores_summary
from .discover import VideoEntry
from .jobs import LANDMARKS, Settings
from .run import Outcome

#: Folder of the batch's output where fused sessions go.
PAIRS_DIR = "pairs"


def session_groups(outcomes: Sequence[Outcome]) -> list[list[Outcome]]:
    """Analysed outcomes of one patient and session date with more than one view, each group in
    input order; groups in order of their first video."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        e = o.entry
        if not (e.patient_id and e.session_date) or o.result.outcome != "analysed":
            continue
        if o.job_dir is None or not (Path(o.job_dir) / LANDMARKS).is_file():
            continue
        groups.setdefault((e.patient_id, e.session_date), []).append(o)
    return [g for g in groups.values() if len(g) > 1 and len({_view(o) for o in g}) > 1]


def _view(o: Outcome) -> str:
    s = o.result.summary
    return o.entry.view or (s.detected_view if s is not None else "")


def _folder(entry: VideoEntry) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{entry.patient_id}_{entry.session_date}")


def fuse_sessions(
    outcomes: Sequence[Outcome], outdir: Path, settings: Settings
) -> tuple[list[Outcome], list[str]]:
    """The outcomes with each session filmed from several views fused into one (module
    docstring), and a warning per session that could not be fused (its videos keep their rows).

    Parameters
    ----------
    outcomes : Sequence[Outcome]
        Every video's outcome (`formcheck.batch.run.run_batch`).
    outdir : Path
        The batch's output folder.
    settings : Settings
        The batch's settings (rules, blurred faces).
    """
    from ..errors import FormcheckError
    from ..report.fused import run_fused
    from ..report.pipeline import AnalyzeOptions

    merged: dict[int, Outcome] = {}
    drop: set[int] = set()
    warnings: list[str] = []
    for group in session_groups(outcomes):
        first = group[0].entry
        folder = Path(outdir) / PAIRS_DIR / _folder(first)
        base = AnalyzeOptions(
            video=first.path,
            outdir=folder,
            rules=settings.rules,
            write_video=False,  # each video's annotated.mp4 is in its own job folder already
            blur_faces=settings.blur_faces,
            progress=False,
        )
        try:
            result = run_fused(
                [o.entry.path for o in group],
                base,
                landmarks=[Path(o.job_dir) / LANDMARKS for o in group],  # type: ignore[arg-type]
            )
        except FormcheckError as exc:
            warnings.append(f"{first.patient_id} {first.session_date}: not fused ({exc})")
            continue
        fused = result.fused
        assert fused is not None
        # per rep and rule, the view of the camera that judged it (its measurement error)
        names = np.array([s.view for s in fused.sources] + [""], dtype=object)
        views = names[fused.judged_by]  # -1 (not judged) picks ""
        summary = scores_summary(
            fused.scores,
            views,
            "analysed",
            "+".join(s.view for s in fused.sources),
            result.report["message"],
        )
        entry = VideoEntry(
            path=first.path,
            name=" + ".join(o.entry.name for o in group),
            patient_id=first.patient_id,
            session_date=first.session_date,
            view="+".join(_view(o) for o in group),
            notes="; ".join(dict.fromkeys(o.entry.notes for o in group if o.entry.notes)),
        )
        res = replace(
            group[0].result,
            sha256="+".join(o.result.sha256 for o in group),
            summary=summary,
            error="",
        )
        idx = [outcomes.index(o) for o in group]
        merged[idx[0]] = Outcome(entry, res, folder)
        drop.update(idx[1:])
    out = [merged.get(i, o) for i, o in enumerate(outcomes) if i not in drop]
    return out, warnings


__all__ = ["PAIRS_DIR", "fuse_sessions", "session_groups"]
