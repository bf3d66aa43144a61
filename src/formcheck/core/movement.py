"""Is a repetition candidate a squat? The movement checks of `formcheck.core.reps`.

`formcheck.core.reps` finds candidates: a bend of both knees that goes down and comes back up.
Many movements do that and are not squats. A squat keeps both feet planted side by side on the
floor, bends both knees together and lowers the hips between the feet. `MOVEMENT_RULES` says,
as data, what each candidate must satisfy, which movement it resembles when it does not, and why
the limit is where it is; `judge_candidates` applies them to every candidate at once (no
per-frame Python loops). The live `RepCounter` reads the same per-frame signals and calls the same
function, so live and offline agree.

Per-frame signals (`movement_values`, added to the `MetricSet` by `compute_metrics`; world
landmarks; units: leg lengths, the frame's hip-knee plus knee-ankle world length averaged over
both legs). From the front ``feet_split`` rests on MediaPipe's depth, which still read 0.61-0.84
(median over a rep; upper quartile 0.66-0.85) on real front-oblique lunges against 0.03-0.08
(upper quartile 0.04-0.14) on real front-view squats:

- ``feet_split``: the distance between the ankles along the body's forward direction (the floor
  direction perpendicular to the hip line), i.e. how far one foot stands in front of the other.
- ``hip_offset``: the distance of the hip centre from the ankles' midpoint along the hip line,
  i.e. how far the hips sit over one foot rather than between the feet.
- ``arm_elevation``: deg, the angle between the shoulder -> hip and shoulder -> wrist lines
  (0 = arms hanging along the trunk, 90 = held forward), mean of the two arms; NaN without
  wrists.

from the image (`formcheck.core.metrics`; body-scale units, standing shank lengths, + = up):

- ``feet_height``: the lower foot's lowest point (heel or toe) above the floor, so one planted
  foot holds it at 0.
- ``hip_height``: the hip centre above its height standing straight-legged on the floor.

and from the knee angle every rep is counted with (`formcheck.core.metrics.knee_bend`):

- ``knee_asymmetry``: deg, the difference of the two knees' bend.
- ``knee_over_trunk``: deg, the knee bend (the smaller leg's) minus the trunk's lean from
  vertical: how much more the knees bend than the hips hinge.

Decisions (documented, tested in ``tests/test_movement.py``):

- Lunges, split squats, step-ups: the feet are staggered (``feet_split``, median over the rep's
  frames) or one knee bends alone (``knee_asymmetry``); lateral lunges put the hips over one
  foot (``hip_offset``).
- Hip hinges (deadlifts, good mornings, picking something up): the trunk leans about as far as
  the knees bend (``knee_over_trunk``). Kettlebell swings bend the knees more, like a shallow
  squat seen from 45 deg; what sets them apart is the arms, thrown up with the bell as the body
  stands and hanging at the bottom (``arm_elevation`` higher at the candidate's standing ends
  than at its bottom). Where the hips do not go down at all (calf raises,
  weight shifts, the steps between walking lunges) `reps.RepParams.min_hip_drop` turns the
  candidate down as a "standing movement".
- ``hip_offset`` is valid from the front only: from the side the hip line points at the camera,
  along MediaPipe's poor depth, and real side-view squats read 0.25.
- Hanging (pull-ups): the knees tuck as the body rises, so the hips never go down
  (`reps.RepParams.min_hip_drop`); with them `reps.RepParams.hang_rise` higher at the deepest
  knee bend the candidate is called a pull-up.
- Floor work (push-ups, burpees): a candidate must start and end upright
  (`reps.RepParams.max_standing_trunk_deg`), else it is a "floor exercise".
- Jumps and hops (jumping jacks, jump rope): a take-off's bend is too short to be a candidate
  (`reps.RepParams.min_width_s`, ``min_phase_s``). High knees and running on the spot alternate
  the legs: the feet split front to back (upper quartile 0.49-0.50 on the real clip) or one knee bends alone.
- Jump squats: decided **not** a squat rep (a plyometric exercise, not the strength movement
  judged). A fast one is too short to be a candidate. A slower one (rendered: 0.9 s down, 0.3 s
  up, 20 cm of flight) is a candidate whose end (the straightest knee) lies anywhere in the
  flight, so the flight is read from the bottom to `reps.RepParams.flight_window_s` after the end
  (the ``flight`` statistic): the hips and both feet rise together above the floor.
- Box jumps: decided **not** a squat rep. The landing on the box is a squat-shaped candidate
  with no flight after its bottom (the flight comes before it); its feet stand a box higher
  from the bottom on than they stood before it (``feet_height``, the ``climb`` statistic).
  Rendered (`formcheck.synth.movements`, box not drawn) from the side it counted before this
  check; no real box-jump footage was at hand.
- Sitting down on a chair and standing up (sit-to-stand): decided **counted**, a squat to a
  seat with the same movement pattern and form faults (a box squat). Untested on footage;
  rendered (`formcheck.synth.movements`, no chair drawn) it counts one rep per stand-up.
- Standing with gestures, talking, weight shifts: the knees do not both bend and the hips do not
  drop: no candidate, or a "standing movement".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .filtering import ragged
from .geometry import angle_between

#: The per-frame movement signals `movement_values` makes, with their units.
MOVEMENT_UNITS: dict[str, str] = {
    "feet_split": "leg lengths",
    "hip_offset": "leg lengths",
    "arm_elevation": "deg",
}
#: The signal computed in `formcheck.core.reps.rep_signals` from the two knees' bend.
KNEE_ASYMMETRY = "knee_asymmetry"
#: The signal computed in `formcheck.core.reps.movement_signals` from the knees and the trunk.
KNEE_OVER_TRUNK = "knee_over_trunk"
#: Signals a rule may read, in the row order `judge_candidates` expects.
SIGNALS = (
    "feet_split",
    "hip_offset",
    KNEE_ASYMMETRY,
    KNEE_OVER_TRUNK,
    "arm_elevation",
    "feet_height",
    "hip_height",
)
#: How a rule summarises its signal over a candidate: a quantile of its frames (the value), the
#: value at its ``bottom`` (None), ``top_minus_bottom`` (None): the mean of its two standing
#: ends minus the bottom, or ``flight`` (None; ``feet_height`` with ``also`` ``hip_height``):
#: over the frames from the bottom to ``after`` frames past the end (`judge_candidates`), how
#: far the feet and the hips both rise above the floor the feet stand on at the bottom, less
#: what they are still up at the last of those frames (a flight comes back down; a track that
#: slides away and stays does not), or ``climb`` (None): the lesser of the values at the
#: ``bottom`` and at the end, less the lowest from the start to the bottom (how much higher the
#: feet stand from the bottom on than they stood before it).
STATISTICS: dict[str, float | None] = {
    "median": 0.5,
    "upper quartile": 0.75,
    "bottom": None,
    "top_minus_bottom": None,
    "flight": None,
    "climb": None,
}


@dataclass(frozen=True)
class MovementRule:
    """One check a candidate must pass to count as a squat.

    ``signal`` (a name of `SIGNALS`) summarised over the candidate's frames (``median``, robust
    to a few glitched frames; ``upper quartile``, which a state held over a quarter of the
    frames reaches; the value at the ``bottom``; ``top_minus_bottom``: the mean of the first
    and last frames' values minus the bottom's; ``flight`` or ``climb``, see `STATISTICS`) must
    be at most ``limit`` (in ``unit``; at least, when ``at_least``); otherwise the candidate is
    the ``movement`` named, for the ``reason`` (a format string of ``value``). ``why`` defends
    the limit. ``also``: the second signal a ``flight`` reads.
    """

    name: str
    signal: str
    statistic: str
    limit: float
    unit: str
    movement: str
    reason: str
    why: str
    at_least: bool = False
    also: str | None = None

    def __post_init__(self) -> None:
        for signal in (self.signal, self.also or self.signal):
            if signal not in SIGNALS:
                raise ValueError(
                    f"MovementRule {self.name}: expected a signal of {SIGNALS}, got {signal!r}"
                )
        if (self.statistic == "flight") != (self.also is not None):
            raise ValueError(
                f"MovementRule {self.name}: a flight reads two signals (also), nothing else does"
            )
        if self.statistic not in STATISTICS:
            raise ValueError(
                f"MovementRule {self.name}: expected a statistic of {STATISTICS}, got "
                f"{self.statistic!r}"
            )
        if not np.isfinite(self.limit):
            raise ValueError(
                f"MovementRule {self.name}: expected a finite limit, got {self.limit!r}"
            )


#: The checks, in the order a rejected candidate is explained by (the first failed one).
MOVEMENT_RULES: tuple[MovementRule, ...] = (
    MovementRule(
        name="feet_stay_on_the_floor",
        signal="feet_height",
        also="hip_height",
        statistic="flight",
        limit=0.3,
        unit="shank lengths",
        movement="jump",
        reason="feet and hips {value:.2f} shank lengths off the floor at the top (squat: 0.3 "
        "or less)",
        why=(
            "A squat keeps both feet on the floor; a jump squat ends its rise in a take-off, and "
            "in the flight the feet and the hips both rise above the floor by the jump's height "
            "(a shank is ~0.4 m: a 20 cm jump is 0.5 shank lengths). Both must rise: a calf "
            "raise at the top lifts the hips but not the toes, a turn on the spot moved a real "
            "squatter's foot landmarks up 0.42 for 0.2 s with the hips still, and a track that "
            "slides away with the whole skeleton does not come back down. 0.3 (12 cm) lies "
            "between a real squat whose track slid at its end (0.19; every other real squat "
            "0.00 or less) and the rendered 20 cm jump squats (0.51 or more); a hop of under "
            "12 cm is missed."
        ),
    ),
    MovementRule(
        name="feet_side_by_side",
        signal="feet_split",
        statistic="median",
        limit=0.25,
        unit="leg lengths",
        movement="lunge",
        reason="feet {value:.2f} leg lengths apart front to back",
        why=(
            "In a squat the feet stand side by side: a stagger of up to half a foot length "
            "(a foot is ~0.15 of the body height, ~0.3 leg lengths) is still a squat stance. A "
            "lunge or split squat steps one foot ~0.6-1 leg lengths ahead. Real squats measured "
            "0.02-0.09 (median over the rep, every clip of ../shared/footage/squats). The "
            "median, not a higher quantile: from the front the split rests on MediaPipe's "
            "depth, which jumps for a quarter of a rep when the knees cave in (a rendered squat "
            "with 18 deg of valgus: median 0.03, upper quartile 0.45), and a squat with caving "
            "knees is the one this tool must judge, not turn down. A lunge that steps out and "
            "back within its rep, split over less than half of it, is missed by this check."
        ),
    ),
    MovementRule(
        name="hips_between_feet",
        signal="hip_offset",
        statistic="bottom",
        limit=0.15,
        unit="leg lengths",
        movement="lateral lunge",
        reason="hips {value:.2f} leg lengths to one side of the feet at the bottom",
        why=(
            "A squat lowers the hips between the feet; a lateral lunge moves them over the bent "
            "leg, half the stance width (0.3-0.5 leg lengths) to one side. 0.15 leaves room for a "
            "weight shift onto one leg, which is a fault to judge, not another movement."
        ),
    ),
    MovementRule(
        name="knees_bend_together",
        signal=KNEE_ASYMMETRY,
        statistic="bottom",
        limit=35.0,
        unit="deg",
        movement="single-leg bend",
        reason="one knee bent {value:.0f} deg more than the other at the bottom",
        why=(
            "Both knees bend together in a squat: real squats differed by 0-11 deg at the bottom "
            "(the far knee from the side the most). A lunge's or step-up's legs differ by 40-90 "
            "deg; 35 deg stays clear of the measurement noise of a hidden far leg."
        ),
    ),
    MovementRule(
        name="knees_bend_more_than_hips_hinge",
        signal=KNEE_OVER_TRUNK,
        statistic="bottom",
        limit=25.0,
        at_least=True,
        unit="deg",
        movement="hip hinge",
        reason="knee bend only {value:.0f} deg above the trunk lean at the bottom (squat: 25+)",
        why=(
            "A hinge bends at the hips with soft knees: the trunk leans about as far as the knees "
            "bend (real deadlifts and good mornings: -21 to 9 deg; picking a kettlebell up from "
            "the floor and putting it down, knees bent and trunk 60 deg forward: 19 and 22; "
            "rendered pick-ups up to 16). In a squat the knee bend is the thigh's angle from "
            "vertical plus the shin's lean while the trunk stays roughly parallel to the shin, so "
            "the knees bend by about the thigh's angle more: 55-122 deg on real squats, 31 on the "
            "shallowest rendered one (65 deg of knee bend, seen from 45 deg, where MediaPipe "
            "reads the knee low). 25 lies between. Kettlebell swings (26-37 deg, a squatting "
            "swing) are not separated by it: see arms_stay_with_the_load."
        ),
    ),
    MovementRule(
        name="arms_stay_with_the_load",
        signal="arm_elevation",
        statistic="top_minus_bottom",
        limit=25.0,
        unit="deg",
        movement="kettlebell swing",
        reason="arms {value:.0f} deg higher standing than at the bottom (squat: 25 or less)",
        why=(
            "A swing throws the bell forward as the hips extend: standing, the arms are raised "
            "towards chest height, at the bottom they hang with the bell between the thighs. A "
            "squat holds its load still (bar on the back, goblet at the chest) or reaches the arms "
            "forward as a counterweight at the bottom, so its arms are never higher standing "
            "than at the bottom by much. Measured (world landmarks, mean of the two arms): the "
            "real swing's reps 30-38 deg (its last, parking the bell, -23); real squats -122 to "
            "2 deg (21 on a rack rep whose torso the plates hide), rendered squats -70 or less. "
            "25 lies between."
        ),
    ),
    MovementRule(
        name="feet_stay_on_one_floor",
        signal="feet_height",
        statistic="climb",
        limit=0.4,
        unit="shank lengths",
        movement="box jump",
        reason="feet {value:.2f} shank lengths higher at the bottom and at the end than before "
        "(squat: 0.4 or less)",
        why=(
            "A squat starts, bottoms out and stands up with the feet on one floor. A box jump "
            "takes off from the floor and lands in a squat on the box, and stands up there: from "
            "the bottom on, the feet stand a box higher than before it. Both the bottom and the "
            "end must be higher: a foot landmark that drifts at the bottom and comes back, or a "
            "track that slides away after the rep, is not a climb. Real squats measured -0.01 to "
            "0.19 (every rep of ../shared/footage/squats), rendered ones 0.09 or less; rendered "
            "jumps onto a 40 cm box 0.58-0.81 (the front the least: the box stands towards the "
            "camera), so a 30 cm box, the lowest plyometric box, reads about 0.43-0.61. 0.4 is "
            "twice the real squats' largest and below the 30 cm box's; a lower step is missed."
        ),
    ),
)


def movement_values(world: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-frame signals of `MOVEMENT_UNITS` from world landmarks.

    Parameters
    ----------
    world : dict[str, np.ndarray]
        ``(3, T)`` world coordinates in metres (x right, y down, z away from the camera) of
        ``left_/right_`` ``hip``, ``knee`` and ``ankle`` and, optionally, ``shoulder`` and
        ``wrist``; NaN where unknown.

    Returns
    -------
    dict[str, np.ndarray]
        ``feet_split`` and ``hip_offset``, ``(T,)`` leg lengths, and ``arm_elevation`` (deg;
        all NaN without shoulders and wrists): see the module docstring; NaN where a landmark
        is unknown.
    """
    hips = world["left_hip"] - world["right_hip"]
    with np.errstate(invalid="ignore", divide="ignore"):
        lateral = np.stack((hips[0], hips[2])) / np.hypot(hips[0], hips[2])
        forward = np.stack((-lateral[1], lateral[0]))
        leg = (
            sum(
                np.linalg.norm(world[f"{s}_hip"] - world[f"{s}_knee"], axis=0)
                + np.linalg.norm(world[f"{s}_knee"] - world[f"{s}_ankle"], axis=0)
                for s in ("left", "right")
            )
            / 2
        )
        ankles = world["left_ankle"] - world["right_ankle"]
        ankles = np.stack((ankles[0], ankles[2]))
        mid = (world["left_ankle"] + world["right_ankle"]) / 2
        hip_c = (world["left_hip"] + world["right_hip"]) / 2
        offset = np.stack((hip_c[0] - mid[0], hip_c[2] - mid[2]))
        return {
            "feet_split": np.abs((ankles * forward).sum(axis=0)) / leg,
            "hip_offset": np.abs((offset * lateral).sum(axis=0)) / leg,
            "arm_elevation": _arm_elevation(world),
        }


def _arm_elevation(world: dict[str, np.ndarray]) -> np.ndarray:
    """Per frame, the mean over both arms of the angle (deg) between shoulder -> hip and
    shoulder -> wrist; NaN where unknown (all NaN without shoulders and wrists)."""
    names = [f"{s}_{n}" for s in ("left", "right") for n in ("shoulder", "wrist")]
    n = world["left_hip"].shape[-1]
    if any(name not in world for name in names):
        return np.full(n, np.nan)
    angles = [
        angle_between(
            world[f"{s}_hip"] - world[f"{s}_shoulder"],
            world[f"{s}_wrist"] - world[f"{s}_shoulder"],
            axis=0,
        )
        for s in ("left", "right")
    ]
    with warnings.catch_warnings():  # a frame with both arms unknown: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(angles, axis=0)


@dataclass(frozen=True, eq=False)
class Verdicts:
    """Per candidate: ``squat`` (bool), and for the others the index of the first failed rule
    of ``rules`` (-1 for a squat) and its measured ``value`` (NaN for a squat)."""

    squat: np.ndarray
    rule: np.ndarray
    value: np.ndarray
    rules: tuple[MovementRule, ...]

    def movement(self, k: int) -> str:
        """The movement candidate ``k`` resembles (``squat`` when it is one)."""
        return "squat" if self.squat[k] else self.rules[int(self.rule[k])].movement

    def reason(self, k: int) -> str:
        """Why candidate ``k`` is not a squat, with the measured value ('' for a squat)."""
        if self.squat[k]:
            return ""
        return self.rules[int(self.rule[k])].reason.format(value=float(self.value[k]))


def judge_candidates(
    signals: np.ndarray,
    start: np.ndarray,
    bottom: np.ndarray,
    end: np.ndarray,
    rules: tuple[MovementRule, ...] = MOVEMENT_RULES,
    after: int = 0,
) -> Verdicts:
    """Which candidates are squats, by `MOVEMENT_RULES`.

    Parameters
    ----------
    signals : np.ndarray
        ``(len(SIGNALS), T)`` per-frame signals in the order of `SIGNALS`, NaN where unknown.
    start, bottom, end : np.ndarray
        ``(K,)`` int frame indices of each candidate (``start <= bottom <= end``).
    rules : tuple[MovementRule, ...]
        The checks; a summary that is unknown (every frame NaN) passes: nothing to judge by.
    after : int
        Frames after each end the ``after_end_rise`` statistic reads (up to the last frame).

    Returns
    -------
    Verdicts
        Per candidate, squat or the first failed rule and its measured value.
    """
    s, b, e = (np.asarray(a, dtype=np.int64) for a in (start, bottom, end))
    k = s.shape[0]
    if k == 0 or not rules:
        return Verdicts(np.ones(k, bool), np.full(k, -1), np.full(k, np.nan), rules)
    flat, lengths, _ = ragged(s, e)
    last = np.minimum(e + after, signals.shape[1] - 1)
    values = np.empty((len(rules), k))
    for i, rule in enumerate(rules):  # a handful of rules, each over every candidate at once
        row = signals[SIGNALS.index(rule.signal)]
        if rule.statistic == "bottom":
            values[i] = row[b]
        elif rule.statistic == "top_minus_bottom":
            values[i] = (row[s] + row[e]) / 2 - row[b]
        elif rule.statistic == "flight":
            assert rule.also is not None
            values[i] = _flight(row, signals[SIGNALS.index(rule.also)], b, last)
        elif rule.statistic == "climb":
            values[i] = np.minimum(row[b], row[e]) - _ragged_nanmin(row, s, b)
        else:
            values[i] = _ragged_nanquantile(row[flat], lengths, STATISTICS[rule.statistic])
    limits = np.array([r.limit for r in rules])[:, None]
    at_least = np.array([r.at_least for r in rules])[:, None]
    fail = np.where(at_least, values < limits, values > limits)  # NaN compares False: passes
    first = np.where(fail.any(axis=0), fail.argmax(axis=0), -1)
    value = np.where(first >= 0, values[np.maximum(first, 0), np.arange(k)], np.nan)
    return Verdicts(first < 0, first, value, rules)


def _flight(feet: np.ndarray, hips: np.ndarray, bottom: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per candidate, the ``flight`` statistic (`STATISTICS`): over frames ``bottom .. last``,
    the highest that ``feet`` and ``hips`` (heights, the same unit) both are above
    ``feet[bottom]``, less how far they both still are above it at ``last``, if at all. NaN
    where the floor or every frame is unknown."""
    if bottom.size == 0:
        return np.empty(0)
    flat, _, offsets = ragged(bottom, last)
    floor = feet[bottom]
    with warnings.catch_warnings():  # all-NaN windows: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        air = np.minimum(feet, hips)  # NaN where either is unknown
        highest = np.fmax.reduceat(air[flat], offsets) - floor
        still_up = np.fmax(air[last] - floor, 0.0)
    return highest - still_up


def _ragged_nanmin(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per candidate, the smallest of ``v[lo .. hi]`` (inclusive), NaN skipped (NaN if all)."""
    flat, _, offsets = ragged(lo, hi)
    return np.fmin.reduceat(v[flat], offsets)


def _ragged_nanquantile(v: np.ndarray, lengths: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of each consecutive run of ``lengths`` values of ``v``, NaN skipped (NaN
    if all)."""
    k = lengths.shape[0]
    width = int(lengths.max())
    table = np.full((k, width), np.nan)
    rows = np.repeat(np.arange(k), lengths)
    cols = np.arange(v.shape[0]) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    table[rows, cols] = v
    with warnings.catch_warnings():  # all-NaN rows: unknown, NaN, judged as passing
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(table, q, axis=1)
