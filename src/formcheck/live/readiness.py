"""The setup check before squatting: whole body in view, heels on a block, facing the camera.

Judged on the last ``SETUP_WINDOW_S`` seconds of pose and metrics, from visibility and
the same metrics and rule thresholds the scoring uses; returns one message naming the
first problem, in the order a person fixes them (get in the picture, step back, put the
block under the heels, turn), or an empty string when the setup is good.

Notes
-----
- Feet: a foot's ankle, heel and toe count as seen with visibility >= 0.5
  (`formcheck.core.filtering.VISIBILITY_THRESHOLD`) inside the image (`in_picture`, as the
  metrics gate them); the feet are "not
  visible" unless, on the median frame, at least one foot has all three seen. One foot,
  not both: from the side the far foot is behind the near one (MediaPipe gives it
  visibility 0.3-0.5; on the rendered side views the old 4-of-6 count said "Step back" on
  every clip, for 4-19 of 23 one-second windows, feet fully in view), while a camera too
  close cuts off both feet in any view.
- Heel block: the rule that checks heel height (a rule with a ``heel_elevation`` or
  ``foot_pitch`` check) judged on the window like on a rep: the first of its checks
  judgeable from the view decides, on the median of the worse foot, a foot counting only
  when valid on at least ``min_coverage`` of the frames as in the scoring. From the side
  only the near foot (the better seen heel and toe) is judged: the far one is hidden behind
  it and its landmarks are guesses (on the rendered side views of an 8 cm block it read
  5.3-5.6 deg standing, the near foot 13-17 deg; judged, it said "Heel block not detected"
  to 3 of 6 blocked squatters). The block is under both feet, so one seen foot shows it.
  Where none is
  judgeable (the shipped rules judge heels from the side only: from the front, MediaPipe
  reads heels on an 8 cm block and flat heels within a centimetre of each other), or the
  rule set has no such rule, the block is not checked rather than guessed.
- Facing: knee tracking (the knee's frontal-plane projection angle) is only judged in
  front view (`formcheck.core.metrics`); the view of most frames with a known view decides.
"""

from __future__ import annotations

import numpy as np

from ..core.filtering import VISIBILITY_THRESHOLD, in_picture
from ..core.landmarks import (
    LEFT_ANKLE,
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    RIGHT_ANKLE,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
)
from ..core.metricset import VIEW_FRONT, VIEW_NAMES, VIEW_SIDE, VIEW_UNKNOWN, MetricSet
from ..core.ruleset import Check, RuleSet
from ..core.sequence import PoseSequence

SETUP_WINDOW_S = 1.0
FEET = (LEFT_ANKLE, RIGHT_ANKLE, LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX)
FOOT_LEFT, FOOT_RIGHT = [0, 2, 4], [1, 3, 5]  # positions in FEET of each foot's landmarks
HEEL_METRICS = ("heel_elevation", "foot_pitch")

NO_PERSON = "Step into the picture"
FEET_HIDDEN = "Step back: feet not visible"
TURN = "Turn to face the camera to check knee tracking"
NO_BLOCK = "Heel block not detected"


def heel_checks(rules: RuleSet) -> tuple[Check, ...]:
    """The checks of the first rule that measures heel height (empty if none)."""
    for rule in rules.rules:
        if any(c.metric in HEEL_METRICS for c in rule.checks):
            return rule.checks
    return ()


def _worst(values: list[float], check: Check) -> float:
    """The side's value that fares worse against ``check`` (NaN sides ignored)."""
    sides = np.array(values, dtype=float)
    sides = sides[np.isfinite(sides)]
    if sides.size == 0:
        return float("nan")
    if check.compare == ">=":
        return float(sides.min())
    if check.compare == "<=":
        return float(sides.max())
    return float(sides[np.argmax(np.abs(sides))])


def _median(metrics: MetricSet, name: str, min_coverage: float) -> float:
    """Median of metric ``name`` over its valid frames; NaN when fewer than ``min_coverage`` of
    the frames are valid (or it is not computed)."""
    if name not in metrics:
        return float("nan")
    values = metrics[name].masked
    values = values[np.isfinite(values)]
    if values.size == 0 or values.size < min_coverage * len(metrics[name].masked):
        return float("nan")
    return float(np.median(values))


def setup_problem(
    seq: PoseSequence,
    metrics: MetricSet,
    checks: tuple[Check, ...],
    min_coverage: float = RuleSet.min_coverage,
) -> str:
    """The first setup problem on ``seq``/``metrics`` (the same recent frames), or ``""``;
    ``min_coverage`` as the rule set's (see the module notes)."""
    detected = seq.detected
    if len(seq) == 0 or detected.mean() < 0.5:
        return NO_PERSON
    inside = in_picture(seq.landmarks[detected][:, FEET, :2])
    seen = inside & (seq.visibility[detected][:, FEET] >= VISIBILITY_THRESHOLD)
    best_foot = np.maximum(seen[:, FOOT_LEFT].sum(axis=1), seen[:, FOOT_RIGHT].sum(axis=1))
    if np.median(best_foot) < len(FOOT_LEFT):
        return FEET_HIDDEN
    views = np.asarray(metrics.view)[detected]
    known = views[views != VIEW_UNKNOWN]
    view = int(np.bincount(known, minlength=4).argmax()) if known.size else VIEW_UNKNOWN
    sides = ("left", "right")
    if view == VIEW_SIDE:  # the near foot: its heel and toe better seen
        vis = np.median(seq.visibility[detected][:, FEET], axis=0)
        sides = (sides[int(vis[FOOT_RIGHT[1:]].sum() > vis[FOOT_LEFT[1:]].sum())],)
    if not heels_ok(metrics, checks, VIEW_NAMES[view], min_coverage, sides):
        return NO_BLOCK
    if view != VIEW_FRONT and view != VIEW_UNKNOWN:
        return TURN
    return ""


def heels_ok(
    metrics: MetricSet,
    checks: tuple[Check, ...],
    view: str,
    min_coverage: float = RuleSet.min_coverage,
    sides: tuple[str, ...] = ("left", "right"),
) -> bool:
    """False only when the first heel check judgeable from ``view`` fails on ``metrics``, on the
    worse of ``sides`` for a two-sided check (a side valid on fewer than ``min_coverage`` of
    the frames is not judged)."""
    for check in checks:
        if not check.judgeable_from(view):
            continue
        if check.bilateral:
            values = [_median(metrics, f"{check.metric}_{side}", min_coverage) for side in sides]
            value = _worst(values, check)
        else:
            value = _median(metrics, check.metric, min_coverage)
        if np.isfinite(value):
            return check.passes(value)
    return True
