"""One analysis of a set of squats: `analyze` a `PoseSequence` against a `RuleSet`.

`Analysis` holds everything the core found, each fact computed once: the sequence, its
`MetricSet` (with the one knee angle, ``knee_bend``), the `Reps`, the per-rep scores and the
set summary (`SetScore`), the view of every rep and of the set. The report (HTML, JSON, CSV,
stills, plots), ``live --record`` and ``batch`` read it; ``report.json`` is serialised from it
at the edge (`formcheck.report.build`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import compute_metrics
from .metricset import VIEW_NAMES, MetricSet
from .reps import Rejected, Reps, find_candidates
from .ruleset import RuleSet
from .scoring import SetScore, score_reps
from .sequence import PoseSequence

#: `Analysis.status` values: reps were scored, nobody was found, or a person but no squat.
ANALYSED, NO_PERSON, NO_SQUAT = "analysed", "no_person", "no_squat"


def set_view(view: np.ndarray, detected: np.ndarray) -> tuple[str, dict[str, float]]:
    """The camera view of most frames with a person, and the share of each view.

    Parameters
    ----------
    view : np.ndarray
        ``(T,)`` int view codes per frame (`formcheck.core.metricset.VIEW_NAMES`).
    detected : np.ndarray
        ``(T,)`` bool, a person was found on the frame.

    Returns
    -------
    tuple[str, dict[str, float]]
        The name of the known view seen most (``unknown`` when none is), and per view name its
        fraction of the frames with a person (rounded to 4 decimals).
    """
    seen = np.asarray(view)[np.asarray(detected, dtype=bool)]
    if seen.size == 0:
        return "unknown", {}
    codes, counts = np.unique(seen, return_counts=True)
    fractions = {
        VIEW_NAMES.get(int(c), "unknown"): round(float(n) / seen.size, 4)
        for c, n in zip(codes, counts, strict=True)
    }
    known = {k: v for k, v in fractions.items() if k != "unknown"}
    main = max(known, key=known.get) if known else "unknown"  # type: ignore[arg-type]
    return main, fractions


@dataclass(frozen=True, eq=False)
class Analysis:
    """What the core found in one pose sequence (see the module docstring).

    ``rejected``: the rep candidates that were not squats, with the movement each resembles and
    the measured reason (`formcheck.core.movement`). The measurement error of each rep's rule
    values, and the borderline verdicts it makes, are in ``scores`` (`SetScore.errors`).
    """

    sequence: PoseSequence
    rules: RuleSet
    metrics: MetricSet
    reps: Reps
    scores: SetScore
    rejected: Rejected = field(default_factory=Rejected.empty)

    @property
    def rep_views(self) -> list[str]:
        """The view of each rep (that of most of its frames), ``(R,)`` names."""
        return [VIEW_NAMES[int(v)] for v in self.scores.views]

    @property
    def view(self) -> str:
        """The view of the set: that of most frames with a person (`set_view`)."""
        return set_view(self.metrics.view, self.sequence.detected)[0]

    @property
    def view_fractions(self) -> dict[str, float]:
        """Per view name, its share of the frames with a person (`set_view`)."""
        return set_view(self.metrics.view, self.sequence.detected)[1]

    @property
    def legs_seen(self) -> float:
        """Share (0-1) of the frames with a person on which a knee angle (`knee_bend`, either
        leg) is known; low when the frame cuts off the feet or the legs are hidden (0 without a
        person)."""
        person = np.asarray(self.sequence.detected, dtype=bool)
        if not person.any():
            return 0.0
        known = np.isfinite(self.metrics["knee_bend_left"].masked) | np.isfinite(
            self.metrics["knee_bend_right"].masked
        )
        return float(known[person].mean())

    @property
    def status(self) -> str:
        """`ANALYSED`, `NO_PERSON` (no frame has a person) or `NO_SQUAT` (no rep found)."""
        if not self.sequence.detected.any():
            return NO_PERSON
        return ANALYSED if len(self.reps) else NO_SQUAT

    def worst_failed(self) -> list[str | None]:
        """Per rep, the name of the heaviest failed rule (the first in file order of equal
        weight), None when no rule failed: the cue to show for the rep."""
        return self.scores.worst_failed()


def analyze(seq: PoseSequence, rules: RuleSet) -> Analysis:
    """Metrics, repetitions and scores of ``seq`` judged by ``rules``.

    Parameters
    ----------
    seq : PoseSequence
        The pose of every frame (missing frames as NaN rows).
    rules : RuleSet
        The rules to judge each rep by (`formcheck.core.ruleset.load_rules`).

    Returns
    -------
    Analysis
        The sequence, `compute_metrics` of it, `find_candidates` on those (the reps and the
        rejected candidates) and `score_reps`.
    """
    metrics = compute_metrics(seq)
    reps, rejected = find_candidates(metrics)
    return Analysis(seq, rules, metrics, reps, score_reps(metrics, reps, rules), rejected)
