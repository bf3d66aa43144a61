"""One video's digest for the batch summary, computed once from its `Analysis` in the worker.

`video_summary` builds a `VideoSummary` (repetitions, score, detected view, and per rule the
pass rate and the median measured value over judged repetitions) from the core's `Analysis`.
The worker returns it to the scheduler (it pickles across Dask processes) and writes it as
``summary.json`` beside ``report.json``; a resumed batch reads that file for a finished video
instead of analysing it again. ``summary.csv`` and ``index.html`` serialise it at the edge
(`formcheck.batch.summary`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..core.analysis import Analysis
    from ..core.scoring import SetScore

#: The digest's file in a video's output folder, written atomically by the worker.
SUMMARY_JSON = "summary.json"


@dataclass(frozen=True)
class RuleDigest:
    """How one rule fared over a video's repetitions.

    ``judged`` repetitions were passed, failed or borderline (the others could not be judged
    from the view or for missing landmarks); ``borderline`` of them lay within the measurement
    error of the limit, neither passed nor failed; ``pass_rate`` is passed / (passed + failed)
    (0-1; None when none passed or failed) and ``median`` the median measured value over judged
    repetitions in ``unit`` (None when none was judged).
    ``metric`` and ``view`` say what most judged repetitions measured and from which camera view,
    for the measurement error of a change between sessions (``metric`` None for a left-right
    difference, whose error is not the metric's; both None when none was judged).
    """

    title: str
    unit: str
    judged: int
    pass_rate: float | None
    median: float | None
    metric: str | None = None
    view: str | None = None
    borderline: int = 0


@dataclass(frozen=True)
class VideoSummary:
    """The batch's digest of one analysed video (a row of ``summary.csv``).

    ``status`` is ``analysed``, ``no_person`` or ``no_squat``; ``message`` one sentence on the
    outcome; ``reps`` the number of repetitions; ``score`` the mean repetition score (0-100,
    None when no repetition was scored); ``detected_view`` the camera view of the set;
    ``rules`` a `RuleDigest` per rule name, in the rule file's order.
    """

    status: str
    message: str
    reps: int
    score: float | None
    detected_view: str
    rules: dict[str, RuleDigest] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (None for unknown numbers), rules in order."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoSummary:
        """The digest `to_dict` gave; raises KeyError, TypeError or ValueError on another shape."""
        rules = {str(name): RuleDigest(**r) for name, r in data["rules"].items()}
        summary = cls(**{**data, "rules": rules})
        if not isinstance(summary.reps, int) or not isinstance(summary.status, str):
            raise ValueError("not a video summary")
        return summary

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _most(values: list[str]) -> str | None:
    """The most frequent of ``values`` (the first seen of a tie); None for none."""
    return max(dict.fromkeys(values), key=values.count) if values else None


def video_summary(analysis: Analysis, message: str) -> VideoSummary:
    """The digest of ``analysis`` (see `VideoSummary`).

    Parameters
    ----------
    analysis : Analysis
        What the core found in the video (`formcheck.core.analysis.analyze`).
    message : str
        One sentence on the outcome, as ``report.json`` has it
        (`formcheck.report.pipeline.outcome_message`).

    Returns
    -------
    VideoSummary
        Status, repetition count, mean score (0-100), set view, and per rule the number of
        judged repetitions, their pass rate (0-1), median measured value in the rule's unit, and
        the metric and view that median measured.
    """
    return scores_summary(
        analysis.scores, analysis.rep_views, analysis.status, analysis.view, message
    )


def scores_summary(
    scores: SetScore, rep_views: Any, status: str, view: str, message: str
) -> VideoSummary:
    """The digest of a set's ``scores`` (`video_summary`'s, also for several videos fused into
    one verdict, `formcheck.batch.pairs`): ``rep_views`` the view each rep was judged from, per
    rep ``(R,)`` or per rep and rule ``(R, K)`` (fused: the judging camera's), ``status`` and
    ``view`` those of the set."""
    cell_views = np.asarray(rep_views, dtype=object)
    cell_views = cell_views[:, None] if cell_views.ndim == 1 else cell_views  # (R, 1) or (R, K)
    judged = scores.status > 0  # (R, K): passed, failed or borderline
    stats = scores.rule_summaries()
    n_reps = scores.rep_count
    reps = [scores.rep(i) for i in range(n_reps)]
    rules = {}
    for k, rule in enumerate(scores.rules.rules):
        values = scores.values[judged[:, k], k]
        values = values[np.isfinite(values)]
        idx = np.flatnonzero(judged[:, k])
        metric = _most([reps[i].results[rule.name].metric for i in idx])
        diffs = {c.metric for c in rule.checks if c.sides == "abs_diff"}
        rules[rule.name] = RuleDigest(
            title=rule.title,
            unit=rule.primary.unit,
            judged=int(judged[:, k].sum()),
            pass_rate=stats[rule.name].pass_rate,
            median=float(np.median(values)) if values.size else None,
            metric=None if metric in diffs else metric,
            view=_most([cell_views[i, min(k, cell_views.shape[1] - 1)] for i in idx]),
            borderline=stats[rule.name].n_borderline,
        )
    return VideoSummary(
        status=status,
        message=message,
        reps=n_reps,
        score=_finite(scores.score) if n_reps else None,
        detected_view=view,
        rules=rules,
    )


def write_summary_json(outdir: str | Path, summary: VideoSummary) -> None:
    """Write ``summary.json`` into ``outdir`` atomically."""
    from .jobs import write_atomic

    write_atomic(Path(outdir) / SUMMARY_JSON, summary.to_json())


def read_summary_json(outdir: str | Path) -> VideoSummary | None:
    """The ``summary.json`` in ``outdir``, or None when absent or unreadable."""
    try:
        data = json.loads((Path(outdir) / SUMMARY_JSON).read_text(encoding="utf-8"))
        return VideoSummary.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
