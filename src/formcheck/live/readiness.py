"""The setup check before squatting: whole body in view, heels on a block, facing the camera.

Judged on the last ``SETUP_WINDOW_S`` seconds of pose and metrics, from visibility and
the same metrics and rule thresholds the scoring uses; returns one message naming the
first problem, in the order a person fixes them (get in the picture, step back, put the
block under the heels, turn), or an empty string when the setup is good.

Notes
-----
- Feet: the ankles, heels and toes (6 landmarks) count as seen with visibility >= 0.5
  (`formcheck.core.filtering.VISIBILITY_THRESHOLD`) inside the image; the feet are "not
  visible" when fewer than ``MIN_FEET_SEEN`` of them are seen on the median frame.
- Heel block: the rule that checks heel height (a rule with a ``heel_elevation`` or
  ``foot_pitch`` check) judged on the window like on a rep: the first of its checks
  judgeable from the view decides, on the median of the worse foot. Where none is
  judgeable (the shipped rules judge heels from the side only: from the front, MediaPipe
  reads heels on an 8 cm block and flat heels within a centimetre of each other), or the
  rule set has no such rule, the block is not checked rather than guessed.
- Facing: knee tracking (the knee's frontal-plane projection angle) is only judged in
  front view (`formcheck.core.metrics`); the view of most frames with a known view decides.
"""

from __future__ import annotations

import numpy as np

from ..core.filtering import VISIBILITY_THRESHOLD
from ..core.landmarks import (
    LEFT_ANKLE,
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    RIGHT_ANKLE,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
)
from ..core.metricset import VIEW_FRONT, VIEW_NAMES, VIEW_UNKNOWN, MetricSet
from ..core.ruleset import Check, RuleSet
from ..core.sequence import PoseSequence

SETUP_WINDOW_S = 1.0
MIN_FEET_SEEN = 4
FEET = (LEFT_ANKLE, RIGHT_ANKLE, LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX)
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


def _worst(left: float, right: float, check: Check) -> float:
    """The side that fares worse against ``check`` (NaN sides ignored)."""
    sides = np.array([left, right])
    sides = sides[np.isfinite(sides)]
    if sides.size == 0:
        return float("nan")
    if check.compare == ">=":
        return float(sides.min())
    if check.compare == "<=":
        return float(sides.max())
    return float(sides[np.argmax(np.abs(sides))])


def _median(metrics: MetricSet, name: str) -> float:
    if name not in metrics:
        return float("nan")
    values = metrics[name].masked
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def setup_problem(seq: PoseSequence, metrics: MetricSet, checks: tuple[Check, ...]) -> str:
    """The first setup problem on ``seq``/``metrics`` (the same recent frames), or ``""``."""
    detected = seq.detected
    if len(seq) == 0 or detected.mean() < 0.5:
        return NO_PERSON
    feet = seq.landmarks[detected][:, FEET, :2]
    inside = ((feet >= 0.0) & (feet <= 1.0)).all(axis=2)
    seen = inside & (seq.visibility[detected][:, FEET] >= VISIBILITY_THRESHOLD)
    if np.median(seen.sum(axis=1)) < MIN_FEET_SEEN:
        return FEET_HIDDEN
    views = np.asarray(metrics.view)[detected]
    known = views[views != VIEW_UNKNOWN]
    view = int(np.bincount(known, minlength=4).argmax()) if known.size else VIEW_UNKNOWN
    if not heels_ok(metrics, checks, VIEW_NAMES[view]):
        return NO_BLOCK
    if view != VIEW_FRONT and view != VIEW_UNKNOWN:
        return TURN
    return ""


def heels_ok(metrics: MetricSet, checks: tuple[Check, ...], view: str) -> bool:
    """False only when the first heel check judgeable from ``view`` fails on ``metrics``."""
    for check in checks:
        if not check.judgeable_from(view):
            continue
        if check.bilateral:
            left, right = (_median(metrics, f"{check.metric}_{side}") for side in ("left", "right"))
            value = _worst(left, right, check)
        else:
            value = _median(metrics, check.metric)
        if np.isfinite(value):
            return check.passes(value)
    return True
