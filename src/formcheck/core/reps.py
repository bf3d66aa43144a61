"""Squat repetition segmentation: start, bottom and end frame of every rep.

A repetition is a prominent peak of the *bilateral* knee flexion (the smaller
of the left and right knee flexion on each frame, so both legs must bend)
that is confirmed by a descent of the hips and has a plausible duration.

Definitions (all on whole arrays, no per-frame Python loops):

- signal ``s``: per leg, the knee flexion ``knee_bend`` in degrees
  (`formcheck.core.metrics.knee_bend`, see `rep_signals`); then the minimum of the
  two legs (the known one where only one is known, as for the far leg in a side
  view). NaN where both legs are unknown.
- bottom: a peak of ``s`` (``scipy.signal.find_peaks``) at least
  ``min_bottom_deg`` high whose prominence is at least ``min_prominence_deg``,
  prominence measured within ``max_duration_s`` on each side and never across
  a NaN gap (gaps act as walls), so a rep lies inside one run of valid frames;
  its width at half prominence is at least ``min_width_s``. (Two peaks of
  exactly equal height count as prominent both, as ``find_peaks`` scans past
  equal values; when the dip between them is shallow, they are the two tops of
  one bottom hold and only the first is kept.)
- bottom frame: the middle of the bottom's plateau, the frames around the peak within
  ``bottom_tolerance_deg`` of its height: on a held bottom the deepest frame is wherever
  landmark noise puts it (two runs of the pose model on one video placed it 9 frames, 0.3 s,
  apart on a 0.3 s hold), while the plateau's edges move a frame or two. Tempo (descent,
  ascent) and the bottom window the rules judge are taken from it; the deepest frame
  (``peak``) is what the checks below and the streaming bounds read.
- start / end: the standing points either side of the bottom: the last local
  minimum before (first after) the bottom where ``s`` is back within
  ``top_tolerance`` of the prominence's reference level (the higher of the two
  bases), i.e. the onset of the movement. If that point lies beyond a
  neighbouring bottom, the boundary is the lowest point between the two
  bottoms instead.
- boundaries: a rep ends standing, its end back within ``max_end_frac`` of its knee
  excursion from its start (see `RepParams`: a recording that starts mid-descent counts its
  first rep, one that ends before standing up does not count the last);
- confirmation: hips at their lowest in the rep are at least ``min_hip_drop``
  lower (metric ``hip_drop``) than at the start and at the end; the trunk is
  upright at the start and at the end (median ``trunk_lean`` within
  ``standing_window_s`` at most ``max_standing_trunk_deg``; skipped where the
  trunk is unknown); the rep lasts ``min_duration_s`` to ``max_duration_s``;
  descent and ascent each last at least ``min_phase_s``; on the way down ``s``
  never falls back, nor on the way up rises again, by more than
  ``max_reversal_frac`` of the prominence (one descent, one ascent).

Every decision about a rep with peak ``b`` depends only on frames within
``R = 2 H + 1 + W`` of ``b`` (``H`` = ``max_duration_s`` and ``W`` = the larger of
``standing_window_s`` and ``flight_window_s``, in frames: what the checks read after the
end). `RepCounter` uses that
to give exactly the offline result from a bounded trailing buffer, and
`settled` to emit most reps right after their end rather than ``R`` frames
after the bottom.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np

from .filtering import ragged
from .metrics import KNEE_BEND, with_knee_bend
from .metricset import MetricSet
from .movement import (
    KNEE_ASYMMETRY,
    KNEE_OVER_TRUNK,
    MOVEMENT_RULES,
    SIGNALS,
    MovementRule,
    judge_candidates,
)

#: Metrics the segmentation reads.
FLEXION_WORLD = ("knee_flexion_left", "knee_flexion_right")
FLEXION_IMAGE = ("knee_flexion_image_left", "knee_flexion_image_right")
KNEE_BEND_LEGS = (f"{KNEE_BEND}_left", f"{KNEE_BEND}_right")
HIP_DROP = "hip_drop"
TRUNK_LEAN = "trunk_lean"


@dataclass(frozen=True)
class RepParams:
    """Thresholds of the segmentation (degrees, seconds, ``hip_drop`` units).

    Notes
    -----
    - ``min_prominence_deg`` 8 and ``min_bottom_deg`` 20: low on purpose. From
      45 degrees MediaPipe's world knee angle reads a rendered 65-degree squat
      as 44-48 degrees, and 7 of the 120 labelled front-view squats of
      ``frontsquat_depth_dev.npz`` (image landmarks only) went uncounted at
      40/50. What keeps walking, balancing, lunging, a backflip and two people
      at zero reps is the rest: hip descent, the peak's width, upright standing
      points, plausible durations and one descent and ascent per rep. Checked
      on every data set at hand by ``benchmarks/bench_reps.py`` (figures in
      ``benchmarks/RESULTS.md``).
    - ``min_hip_drop`` 0.10: the hips must sink by a tenth of the unit of
      ``hip_drop`` (standing shank lengths): ~25 degrees of knee bend does
      that, real squats sink them 0.6-1.4; a jump's tuck in the air raises them.
    - ``min_width_s`` 0.35: the knee angle stays above half its excursion
      for 0.65-2.2 s in real squats (fast air squats to slow reps) and for
      0.2 s in the spike of a take-off or a leg-tracking glitch.
    - ``max_standing_trunk_deg`` 50 within ``standing_window_s`` 0.1: people
      stand between squats with the trunk within ~25 degrees of vertical; going
      down to the floor into a plank (100 degrees), a forward reach or a flip
      ends bent over.
    - ``min_duration_s`` 1.0 and ``min_phase_s`` 0.25: a fast bodyweight squat
      takes 1-2 s (the shortest of the 163 real reps in ``../shared/footage``
      took 1.33 s); a jump's countermovement is quicker and ends in take-off,
      and the dips a jumper bounces in on a box took 0.7-0.9 s.
    - ``max_reversal_frac`` 0.5: a squat is one descent and one ascent. Those
      bounces, seen from the front, chain into one long "rep" whose knee angle
      turns back up to 0.62 of its excursion on the way down; real reps turn
      back 0.16 at most, 0.33 where a rack hides the hips (tracking glitches).
    - ``max_duration_s`` 12: slow tempo squats take 4-8 s.
    - ``max_end_frac`` 0.5: a rep ends standing. Its end must be back within half the rep's
      knee excursion of its start (``x[end] - x[start] <= 0.5 (x[bottom] - x[start])``): a
      held bottom that becomes another exercise or walking off, never standing up, is not a
      rep (turned down as an "unfinished rep"), while a rep that stops a little short of full
      lockout (the incomplete-lockout fault, 20-30 deg of a 100-deg rep) still counts. Not
      checked where the rep's end is the lowest point before the next bottom (a bounce at the
      bottom; a hold that turns into other bends is then left to the movement checks). A
      recording that starts mid-descent counts its first rep when at least ``min_phase_s`` of
      the descent is in it (its start is then the first frame); one that ends before standing
      does not count the unfinished rep (no end, no rep). One that starts at the bottom (no
      descent recorded) does not count the rise either: it shows only a person standing up
      from a crouch, which is also how a recording starts when the camera was set down low, and
      the rep's descent tempo and the lockout before it cannot be judged (the heel-raised
      goblet clip starts at 132 deg of knee bend: 1 rep counted of the 2 seen by eye).
    - ``top_tolerance_frac`` 0.05 / ``top_tolerance_deg`` 2: the standing point
      is where the knee angle is back within 5 % of the excursion (at least
      2 degrees, the noise of filtered landmarks) of the standing level.
    - ``flight_window_s`` 0.5: the frames after a rep's end the jump check reads
      (`formcheck.core.movement`, ``feet_stay_on_the_floor``): a jump squat's end is its
      take-off, and the flight of a jump of up to 30 cm (``2 sqrt(2 h / g)``) is over within it;
      a higher one still reads most of its height (a 40 cm jump is 17 cm up at 0.5 s). It is the
      rules' ``top_window_s``, which a live rep waits for anyway, so it adds no delay there.
    - ``hang_rise`` 0.5: a candidate whose hips never go down is turned down, and it is
      called a pull-up (hanging or climbing) rather than a standing movement when its hips are this many
      shank lengths higher at its deepest knee bend than at its ends: a pull-up lifts the hips
      0.3-0.6 m (0.75-1.5 shank lengths) as the legs tuck, a calf raise or a step 0.2 or less
      (only the label depends on it; figures in ``benchmarks/RESULTS.md``).
    - ``bottom_tolerance_deg`` 4: the bottom's plateau (the bottom frame is its middle). On a
      held bottom the filtered knee bend wanders 3-4 deg (the rendered knee-valgus sample's
      0.3 s hold at a constant 144 deg read 135.0-137.9 in one run of the pose model and
      135.2-139.2 in another: with 4 deg both bottoms fall on frame 177-178, the hold's middle,
      where the deepest frames were 173 and 182). Without a hold the plateau is lopsided when
      the descent and ascent differ in speed, which moves the bottom towards the slower side:
      0.06 s for a 1 s descent and a 0.3 s ascent of 120 deg, under the tempo's error. A fixed
      number of degrees, not a share of the prominence: the plateau then depends only on the
      rep's own frames, which `settled` and `RepCounter` rely on.
    """

    min_prominence_deg: float = 8.0
    min_bottom_deg: float = 20.0
    min_hip_drop: float = 0.10
    min_width_s: float = 0.35
    max_standing_trunk_deg: float = 50.0
    standing_window_s: float = 0.1
    min_duration_s: float = 1.0
    max_duration_s: float = 12.0
    min_phase_s: float = 0.25
    top_tolerance_frac: float = 0.05
    top_tolerance_deg: float = 2.0
    max_reversal_frac: float = 0.5
    max_end_frac: float = 0.5
    bottom_tolerance_deg: float = 4.0
    flight_window_s: float = 0.5
    hang_rise: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"RepParams.{f.name}: expected a finite number >= 0, got {value!r}"
                )
        if self.max_duration_s <= self.min_duration_s:
            raise ValueError(
                "RepParams.max_duration_s: expected more than min_duration_s "
                f"({self.min_duration_s}), got {self.max_duration_s}"
            )

    def half_window(self, fps: float) -> int:
        """``H``: ``max_duration_s`` in frames (at least 2)."""
        return max(2, int(round(self.max_duration_s * fps)))

    def standing_frames(self, fps: float) -> int:
        """``W``: ``standing_window_s`` in frames."""
        return int(round(self.standing_window_s * fps))

    def flight_frames(self, fps: float) -> int:
        """``F``: ``flight_window_s`` in frames."""
        return int(round(self.flight_window_s * fps))

    def after_end(self, fps: float) -> int:
        """Frames after a rep's end its checks read: the standing window's and the flight's."""
        return max(self.standing_frames(fps), self.flight_frames(fps))

    def radius(self, fps: float) -> int:
        """``R``: a rep with bottom ``b`` depends only on frames ``b - R .. b + R``."""
        return 2 * self.half_window(fps) + 1 + self.after_end(fps)


@dataclass(frozen=True)
class Rep:
    """One repetition: frame indices and times (seconds); ``bottom_first`` .. ``bottom_last``
    the frames of its bottom's plateau (`Reps`)."""

    start: int
    bottom: int
    end: int
    t_start: float
    t_bottom: float
    t_end: float
    bottom_first: int
    bottom_last: int

    @property
    def descent_s(self) -> float:
        return self.t_bottom - self.t_start

    @property
    def ascent_s(self) -> float:
        return self.t_end - self.t_bottom

    @property
    def duration_s(self) -> float:
        return self.t_end - self.t_start


@dataclass(frozen=True, eq=False)
class Reps:
    """Repetitions as parallel arrays: frame indices ``start <= bottom_first <= bottom <=
    bottom_last <= end`` (int64) and the timestamps ``t_*`` (seconds) of the first three.
    ``bottom_first`` .. ``bottom_last`` is the bottom's plateau (the frames around the deepest
    within ``RepParams.bottom_tolerance_deg`` of it: a held bottom, judged whole by the rules'
    bottom phase); None for a plateau of the bottom frame alone."""

    start: np.ndarray
    bottom: np.ndarray
    end: np.ndarray
    t_start: np.ndarray
    t_bottom: np.ndarray
    t_end: np.ndarray
    bottom_first: np.ndarray | None = None
    bottom_last: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.start).shape
        for name in ("bottom_first", "bottom_last"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.bottom)
        for f in fields(self):
            dtype = np.float64 if f.name.startswith("t_") else np.int64
            arr = np.asarray(getattr(self, f.name), dtype=dtype).reshape(-1)
            if arr.shape != (n[0] if n else 0,):
                raise ValueError(f"Reps.{f.name}: expected shape {n}, got {arr.shape}")
            object.__setattr__(self, f.name, arr)
        order = (self.start, self.bottom_first, self.bottom, self.bottom_last, self.end)
        if any(np.any(a > b) for a, b in zip(order[:-1], order[1:], strict=True)):
            raise ValueError(
                "Reps: expected start <= bottom_first <= bottom <= bottom_last <= end for every rep"
            )

    @classmethod
    def empty(cls) -> Reps:
        z = np.empty(0, dtype=np.int64)
        t = np.empty(0)
        return cls(z, z, z, t, t, t)

    @classmethod
    def from_indices(
        cls,
        start,
        bottom,
        end,
        timestamps: np.ndarray,
        plateau: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Reps:
        """Reps from frame indices, times looked up in ``timestamps``; ``plateau`` the first
        and last frame of each bottom's plateau (None: the bottom frame alone)."""
        ts = np.asarray(timestamps, dtype=np.float64)
        s, b, e = (np.asarray(a, dtype=np.int64) for a in (start, bottom, end))
        first, last = (None, None) if plateau is None else plateau
        return cls(s, b, e, ts[s], ts[b], ts[e], first, last)

    def shifted(self, frames: int) -> Reps:
        """The same reps with every frame index moved by ``frames`` (times unchanged)."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name) + frames
                for f in fields(self)
                if not f.name.startswith("t_")
            },
        )

    @classmethod
    def concat(cls, parts: list[Reps]) -> Reps:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def __getitem__(self, i: int) -> Rep:
        return Rep(*(getattr(self, f.name)[i].item() for f in fields(self)))

    def __iter__(self) -> Iterator[Rep]:
        return (self[i] for i in range(len(self)))

    def select(self, mask_or_index: np.ndarray) -> Reps:
        """Reps picked by a boolean mask or index array."""
        return Reps(*(getattr(self, f.name)[mask_or_index] for f in fields(self)))

    @property
    def descent_s(self) -> np.ndarray:
        return self.t_bottom - self.t_start

    @property
    def ascent_s(self) -> np.ndarray:
        return self.t_end - self.t_bottom

    @property
    def duration_s(self) -> np.ndarray:
        return self.t_end - self.t_start

    def to_list(self) -> list[dict[str, float | int]]:
        return [
            {
                "start": r.start,
                "bottom": r.bottom,
                "end": r.end,
                "t_start": r.t_start,
                "t_bottom": r.t_bottom,
                "t_end": r.t_end,
                "bottom_first": r.bottom_first,
                "bottom_last": r.bottom_last,
            }
            for r in self
        ]


@dataclass(frozen=True, eq=False)
class Rejected:
    """Candidates that were not counted: ``reps`` (their frames and times), and per candidate
    the ``movements`` it resembles and the measured ``reasons`` (`formcheck.core.movement`)."""

    reps: Reps
    movements: tuple[str, ...]
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.reps)
        if len(self.movements) != n or len(self.reasons) != n:
            raise ValueError(
                f"Rejected: expected {n} movements and reasons, got {len(self.movements)} and "
                f"{len(self.reasons)}"
            )

    @classmethod
    def empty(cls) -> Rejected:
        return cls(Reps.empty(), (), ())

    def __len__(self) -> int:
        return len(self.reps)

    def counts(self) -> dict[str, int]:
        """Movement -> how many candidates resembled it, in order of first appearance."""
        out: dict[str, int] = {}
        for m in self.movements:
            out[m] = out.get(m, 0) + 1
        return out

    def summary(self) -> str:
        """The movements seen in words, e.g. ``3 lunges, 1 hip hinge`` ('' when none)."""
        return ", ".join(f"{n} {m}{'s' if n != 1 else ''}" for m, n in self.counts().items())

    def to_list(self) -> list[dict[str, float | str]]:
        """One dict per candidate: ``start_s``, ``end_s`` (seconds), ``movement``, ``reason``."""
        return [
            {
                "start_s": round(rep.t_start, 3),
                "end_s": round(rep.t_end, 3),
                "movement": movement,
                "reason": reason,
            }
            for rep, movement, reason in zip(self.reps, self.movements, self.reasons, strict=True)
        ]


def estimate_fps(timestamps: np.ndarray) -> float:
    """Frames per second from the median frame interval.

    Parameters
    ----------
    timestamps : np.ndarray
        ``(T,)`` seconds, increasing, ``T >= 2``.

    Returns
    -------
    float
        ``1 / median(diff(timestamps))``, frames per second.
    """
    ts = np.asarray(timestamps, dtype=np.float64)
    if ts.shape[0] < 2:
        raise ValueError(
            f"timestamps: expected at least 2 frames to estimate fps, got {ts.shape[0]}"
        )
    dt = float(np.median(np.diff(ts)))
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"timestamps: expected increasing times, got median interval {dt}")
    return 1.0 / dt


class RepSignals(NamedTuple):
    """The per-frame inputs of the segmentation, ``(T,)`` each, NaN where unknown."""

    flexion: np.ndarray  # bilateral knee flexion, deg
    hip_drop: np.ndarray  # shank lengths, + = lower
    trunk_lean: np.ndarray | None  # deg from vertical; None when not computed


def rep_signals(metrics: MetricSet) -> RepSignals:
    """The segmentation's inputs from ``metrics``.

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics with ``knee_bend_left/right`` (or what `knee_bend` makes them from),
        ``hip_drop`` and optionally ``trunk_lean``.

    Returns
    -------
    RepSignals
        Bilateral knee flexion in degrees: per frame the smaller of the two legs'
        `formcheck.core.metrics.knee_bend` values (where one leg is unknown, e.g. the far leg
        hidden in a side view, the other leg's; NaN where both are); counting uses its value
        even on frames where it is not valid for judging. ``hip_drop`` (shank lengths) and
        ``trunk_lean`` (deg; None when absent), NaN where invalid.
    """
    metrics = with_knee_bend(metrics)
    for name, world, image in zip(KNEE_BEND_LEGS, FLEXION_WORLD, FLEXION_IMAGE, strict=True):
        if name not in metrics:
            raise ValueError(f"metrics: expected {world!r} or {image!r}, got {sorted(metrics)}")
    legs = [metrics[name] for name in KNEE_BEND_LEGS]
    if HIP_DROP not in metrics:
        raise ValueError(f"metrics: expected {HIP_DROP!r}, got {sorted(metrics)}")
    trunk = metrics[TRUNK_LEAN].masked if TRUNK_LEAN in metrics else None
    with np.errstate(invalid="ignore"):
        return RepSignals(np.fmin(legs[0].values, legs[1].values), metrics[HIP_DROP].masked, trunk)


def movement_signals(metrics: MetricSet) -> np.ndarray:
    """The per-frame signals the movement checks read (`formcheck.core.movement`).

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics with ``knee_bend_left/right`` (or what `knee_bend` makes them from)
        and, when computed, ``feet_split`` and ``hip_offset``.

    Returns
    -------
    np.ndarray
        ``(len(SIGNALS), T)`` in the order of `formcheck.core.movement.SIGNALS`: the metrics of
        those names (NaN where invalid or absent) and ``knee_asymmetry``, the absolute difference
        of the two legs' ``knee_bend`` in degrees (NaN where a leg is unknown).
    """
    metrics = with_knee_bend(metrics)
    n = metrics.n_frames
    unknown = np.full(n, np.nan)
    rows = []
    for name in SIGNALS:
        if name == KNEE_ASYMMETRY:
            left, right = (metrics[k].values if k in metrics else unknown for k in KNEE_BEND_LEGS)
            rows.append(np.abs(left - right))
        elif name == KNEE_OVER_TRUNK:
            trunk = metrics[TRUNK_LEAN].masked if TRUNK_LEAN in metrics else unknown
            left, right = (metrics[k].values if k in metrics else unknown for k in KNEE_BEND_LEGS)
            with np.errstate(invalid="ignore"):
                rows.append(np.fmin(left, right) - trunk)
        else:
            rows.append(metrics[name].masked if name in metrics else unknown)
    return np.stack(rows).reshape(len(SIGNALS), n)


def _last_below(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, thr: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """For each k, the last index in ``[lo_k, hi_k]`` with ``x <= thr_k`` (and
    ``where`` true, if given); -1 if none."""
    flat, lengths, offsets = ragged(lo, hi)
    ok = x[flat] <= np.repeat(thr, lengths)
    if where is not None:
        ok &= where[flat]
    return np.maximum.reduceat(np.where(ok, flat, -1), offsets)


def _first_below(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, thr: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """For each k, the first index in ``[lo_k, hi_k]`` with ``x <= thr_k`` (and
    ``where`` true, if given); the largest int64 if none."""
    flat, lengths, offsets = ragged(lo, hi)
    ok = x[flat] <= np.repeat(thr, lengths)
    if where is not None:
        ok &= where[flat]
    return np.minimum.reduceat(np.where(ok, flat, np.iinfo(np.int64).max), offsets)


def _local_minima(x: np.ndarray) -> np.ndarray:
    """``(T,)`` bool: ``x`` is no higher than either neighbour (plateaus included)."""
    out = np.ones(x.shape, dtype=bool)
    out[1:] &= x[1:] <= x[:-1]
    out[:-1] &= x[:-1] <= x[1:]
    return out


def _argmin_between(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each k, the first index of the minimum of ``x[lo_k:hi_k + 1]``."""
    if lo.size == 0:
        return np.empty(0, dtype=np.int64)
    flat, lengths, offsets = ragged(lo, hi)
    v = x[flat]
    lowest = np.minimum.reduceat(v, offsets)
    hit = np.where(v <= np.repeat(lowest, lengths), flat, np.iinfo(np.int64).max)
    return np.minimum.reduceat(hit, offsets)


def _argmax_between(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each k, the first index of the maximum of ``x[lo_k:hi_k + 1]`` (NaN ignored)."""
    return _argmin_between(-np.nan_to_num(x, nan=-np.inf), lo, hi)


def _plateau(
    x: np.ndarray, start: np.ndarray, peak: np.ndarray, end: np.ndarray, tol: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each rep, the first and last frame of the run around ``peak`` (within
    ``start..end``) where ``x`` stays within ``tol`` of ``x[peak]``."""
    level = x[peak] - tol
    below = np.nextafter(level, -np.inf)  # `_last_below` / `_first_below` take x <= thr
    before = _last_below(x, start, peak, below)
    after = _first_below(x, peak, end, below)
    first = np.where(before >= 0, before + 1, start)
    last = np.where(after <= end, after - 1, end)
    return first, last


def _plateau_middle(first: np.ndarray, last: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """For each rep, the middle frame of its `_plateau` ``first .. last``: the bottom frame
    (module docstring); of two middles, the one nearer the deepest frame ``peak``."""
    low, high = (first + last) // 2, (first + last + 1) // 2  # equal unless the run is even
    return np.where(np.abs(high - peak) < np.abs(low - peak), high, low)  # the one nearer the peak


def _walls(flexion: np.ndarray) -> np.ndarray:
    """The signal the segmentation searches: unknown frames become +inf walls, never a
    peak (filtered by the height bound), and prominence / base searches stop at them."""
    return np.where(np.isfinite(flexion), flexion, np.inf)


def _largest_reversal(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each k, the largest drop of ``x`` below its running maximum within
    ``[lo_k, hi_k]`` (0 for a series that never falls; NaN frames skipped)."""
    if lo.size == 0:
        return np.empty(0)
    flat, lengths, offsets = ragged(lo, hi)
    v = np.where(np.isfinite(x[flat]), x[flat], np.nan)
    # One accumulate over all ranges: lift range k by k * step so no maximum carries over between
    # ranges.
    finite = v[np.isfinite(v)]
    step = 2.0 * (np.ptp(finite) + 1.0) if finite.size else 1.0
    lift = np.repeat(np.arange(lo.size) * step, lengths)
    running = np.fmax.accumulate(v + lift) - lift
    return np.fmax.reduceat(np.where(np.isfinite(v), running - v, 0.0), offsets)


def detect_reps(
    flexion: np.ndarray,
    hip_drop: np.ndarray,
    timestamps: np.ndarray,
    fps: float,
    params: RepParams | None = None,
    trunk_lean: np.ndarray | None = None,
    movement: np.ndarray | None = None,
) -> Reps:
    """Repetitions in a bilateral knee flexion series (see the module docstring).

    The counted candidates of `detect_candidates` (same parameters).
    """
    return detect_candidates(flexion, hip_drop, timestamps, fps, params, trunk_lean, movement)[0]


def detect_candidates(
    flexion: np.ndarray,
    hip_drop: np.ndarray,
    timestamps: np.ndarray,
    fps: float,
    params: RepParams | None = None,
    trunk_lean: np.ndarray | None = None,
    movement: np.ndarray | None = None,
    rules: tuple[MovementRule, ...] = MOVEMENT_RULES,
) -> tuple[Reps, Rejected]:
    """Repetitions and the rejected candidates in a bilateral knee flexion series.

    A candidate is a bend with the shape of a rep (duration, phases, one descent and ascent:
    see the module docstring). It counts when the hips go down, it starts and ends upright and
    it passes the movement checks; otherwise it is rejected as a hip hinge, floor work or the
    movement of the first failed rule of ``rules``, with the measured value.

    Parameters
    ----------
    flexion : np.ndarray
        ``(T,)`` bilateral knee flexion in degrees (`rep_signals`), NaN where unknown.
    hip_drop : np.ndarray
        ``(T,)`` hip descent in standing shank lengths, + = lower; confirms each rep.
    timestamps : np.ndarray
        ``(T,)`` seconds, increasing.
    fps : float
        Frames per second (`estimate_fps`).
    params : RepParams or None
        Thresholds; None for the defaults.
    trunk_lean : np.ndarray or None
        ``(T,)`` degrees from vertical; when given, a rep must start and end upright.
    movement : np.ndarray or None
        ``(len(SIGNALS), T)`` movement signals (`movement_signals`); None: not checked.
    rules : tuple[MovementRule, ...]
        The movement checks (`formcheck.core.movement.MOVEMENT_RULES`).

    Returns
    -------
    tuple[Reps, Rejected]
        Start, bottom and end frame (and time) of every repetition, in order; the candidates
        that were not counted, with the movement each resembles and why.
    """
    from scipy.signal import find_peaks

    p = params or RepParams()
    flex = np.asarray(flexion, dtype=np.float64)
    hip = np.asarray(hip_drop, dtype=np.float64)
    ts = np.asarray(timestamps, dtype=np.float64)
    trunk = None if trunk_lean is None else np.asarray(trunk_lean, dtype=np.float64)
    if flex.ndim != 1 or hip.shape != flex.shape or ts.shape != flex.shape:
        raise ValueError(
            f"expected flexion, hip_drop and timestamps of one shape (T,), got {flex.shape}, "
            f"{hip.shape} and {ts.shape}"
        )
    if trunk is not None and trunk.shape != flex.shape:
        raise ValueError(f"trunk_lean: expected shape {flex.shape}, got {trunk.shape}")
    if movement is not None:
        movement = np.asarray(movement, dtype=np.float64)
        if movement.shape != (len(SIGNALS), flex.shape[0]):
            raise ValueError(
                f"movement: expected shape {(len(SIGNALS), flex.shape[0])}, got {movement.shape}"
            )
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps}")
    n = flex.shape[0]
    if n < 3:
        return Reps.empty(), Rejected.empty()
    h = p.half_window(fps)
    x = _walls(flex)
    height = (p.min_bottom_deg, np.finfo(np.float64).max)
    with warnings.catch_warnings():  # flat stretches have peaks of prominence 0: filtered out below
        warnings.filterwarnings("ignore", message="some peaks have a (prominence|width) of 0")
        peaks, props = find_peaks(
            x,
            height=height,
            prominence=p.min_prominence_deg,
            wlen=2 * h + 1,
            width=p.min_width_s * fps,
        )
    gap_low = _argmin_between(x, peaks[:-1], peaks[1:])  # lowest frame between neighbouring bottoms
    if (
        peaks.size > 1
    ):  # two tops of one bottom hold that tie exactly are one bottom: keep the first
        tie = (x[peaks[1:]] == x[peaks[:-1]]) & (x[peaks[1:]] - x[gap_low] < p.min_prominence_deg)
        keep = np.concatenate(([True], ~(tie & (np.diff(peaks) <= h))))
        peaks, props = peaks[keep], {name: values[keep] for name, values in props.items()}
        if not keep.all():
            gap_low = _argmin_between(x, peaks[:-1], peaks[1:])
    if peaks.size == 0:
        return Reps.empty(), Rejected.empty()
    prom = props["prominences"]
    ref = np.maximum(x[props["left_bases"]], x[props["right_bases"]])  # = peak - prominence
    thr = ref + np.maximum(p.top_tolerance_deg, p.top_tolerance_frac * prom)
    start, end = _standing_points(x, peaks, thr, h, gap_low)
    first, last = _plateau(x, start, peaks, end, np.full(peaks.shape, p.bottom_tolerance_deg))
    reps = Reps.from_indices(start, _plateau_middle(first, last, peaks), end, ts, (first, last))
    # Hip confirmation: lowest hips in the rep versus the standing points.
    flat, _, offsets = ragged(start, end)
    with np.errstate(invalid="ignore"):
        sink = np.fmax.reduceat(hip[flat], offsets) - np.maximum(hip[start], hip[end])
    lean = _standing_lean(trunk, start, end, p.standing_frames(fps))
    shaped = (
        (reps.duration_s >= p.min_duration_s)
        & (reps.duration_s <= p.max_duration_s)
        & (reps.descent_s >= p.min_phase_s)
        & (reps.ascent_s >= p.min_phase_s)
        & (_largest_reversal(x, start, peaks) <= p.max_reversal_frac * prom)
        & (_largest_reversal(-x, peaks, end) <= p.max_reversal_frac * prom)
    )
    hips_down = sink >= p.min_hip_drop  # NaN (hips unknown): not confirmed
    rise = np.minimum(hip[start], hip[end]) - hip[peaks]  # the hips up as the knees bend
    # A rep ends standing, unless its end is the lowest point before the next bottom (a bounce
    # at the bottom: the next candidate is judged on its own).
    shared = np.concatenate((end[:-1] == start[1:], [False]))
    stood_up = shared | (x[end] - x[start] <= p.max_end_frac * (x[peaks] - x[start]))
    upright = ~(lean > p.max_standing_trunk_deg)  # NaN (trunk unknown): nothing to check
    if movement is None:
        squat = np.ones(peaks.shape, dtype=bool)
        verdicts = None
    else:
        verdicts = judge_candidates(movement, start, peaks, end, rules, p.flight_frames(fps))
        squat = verdicts.squat
    keep = shaped & stood_up & hips_down & upright & squat
    rejected = np.flatnonzero(shaped & ~keep)
    movements, reasons = [], []
    for k in rejected.tolist():  # one entry per rejected candidate, a few per video
        if not upright[k]:
            movements.append("floor exercise")
            reasons.append(f"trunk {lean[k]:.0f} deg from vertical at the start or end")
        elif not stood_up[k]:
            movements.append("unfinished rep")
            reasons.append(
                f"did not stand up: knees still bent {x[end[k]]:.0f} deg at the end, "
                f"{x[start[k]]:.0f} at the start"
            )
        elif not hips_down[k] and rise[k] >= p.hang_rise:
            movements.append("pull-up")
            reasons.append(
                f"hips {rise[k]:.2f} shank lengths higher at the deepest knee bend than at the "
                "start and end (hanging or climbing)"
            )
        elif not hips_down[k]:
            movements.append("standing movement" if np.isfinite(sink[k]) else "unclear movement")
            reasons.append(
                f"hips {sink[k]:.2f} shank lengths lower at the bottom than standing"
                if np.isfinite(sink[k])
                else "hips not seen"
            )
        else:
            assert verdicts is not None
            movements.append(verdicts.movement(k))
            reasons.append(verdicts.reason(k))
    return reps.select(keep), Rejected(reps.select(rejected), tuple(movements), tuple(reasons))


def _standing_points(
    x: np.ndarray, peaks: np.ndarray, thr: np.ndarray, h: int, gap_low: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end frame of the rep at each peak (see the module docstring).

    The standing point is the nearest local minimum within tolerance (the onset
    of the movement on a flat or noisy standing phase), else the nearest frame
    within tolerance, searched up to ``h`` frames away. One that would lie
    beyond a neighbouring bottom is the lowest point between the two instead;
    so the search stops at the neighbours: between two bottoms the lowest point
    is a local minimum, found whenever it is within tolerance.
    """
    n = x.shape[0]
    big = np.iinfo(np.int64).max
    prev = np.concatenate(([-big], peaks[:-1]))
    nxt = np.concatenate((peaks[1:], [big]))
    lo = np.maximum(peaks - h, 0)
    hi = np.minimum(peaks + h, n - 1)
    left_cut, right_cut = prev > lo, nxt < hi  # the search window reaches a neighbouring bottom
    lo, hi = np.where(left_cut, prev, lo), np.where(right_cut, nxt, hi)
    minima = _local_minima(x)
    start = _last_below(x, lo, peaks, thr, minima)
    end = _first_below(x, peaks, hi, thr, minima)
    missing = start < 0
    if missing.any():
        cut = missing & left_cut
        start[cut] = gap_low[np.flatnonzero(cut) - 1]
        rest = missing & ~left_cut
        if rest.any():
            start[rest] = _last_below(x, lo[rest], peaks[rest], thr[rest])
    missing = end >= n
    if missing.any():
        cut = missing & right_cut
        end[cut] = gap_low[np.flatnonzero(cut)]
        rest = missing & ~right_cut
        if rest.any():
            end[rest] = _first_below(x, peaks[rest], hi[rest], thr[rest])
    return start, end


def _standing_lean(
    trunk: np.ndarray | None, start: np.ndarray, end: np.ndarray, w: int
) -> np.ndarray:
    """Per rep: the larger of the median trunk lean (deg) within ``w`` frames of the start and
    of the end; NaN without a trunk signal, or where it is unknown around both standing points
    (nothing to check against)."""
    if trunk is None:
        return np.full(start.shape, np.nan)
    n = trunk.shape[0]
    frames = np.stack((start, end), axis=1).reshape(-1, 1) + np.arange(
        -w, w + 1
    )  # (2 reps, 2w + 1)
    inside = (frames >= 0) & (frames < n)
    v = np.where(inside, trunk[np.clip(frames, 0, n - 1)], np.nan)
    ok = np.isfinite(v)
    table = np.sort(np.where(ok, v, np.inf), axis=1)
    count = ok.sum(axis=1)
    rows = np.arange(table.shape[0])
    mid = (
        table[rows, np.maximum(count - 1, 0) // 2] + table[rows, np.minimum(count // 2, 2 * w)]
    ) / 2
    mid = np.where(count == 0, np.nan, mid).reshape(-1, 2)
    return np.fmax(mid[:, 0], mid[:, 1])


def _range_max(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each k, the maximum of ``x[lo_k:hi_k + 1]`` (-inf for an empty range)."""
    out = np.full(lo.shape, -np.inf)
    some = lo <= hi
    if some.any():
        flat, _, offsets = ragged(lo[some], hi[some])
        out[some] = np.maximum.reduceat(x[flat], offsets)
    return out


def settled(
    flexion: np.ndarray, reps: Reps, fps: float, params: RepParams | None = None, known: int = -1
) -> np.ndarray:
    """Per rep of ``reps`` (found by `detect_reps` in ``flexion``, the frames seen so far,
    NaN where unknown): True when no frame still to come can change it, nor bring a
    rep before it, long before the ``R`` frames of `RepParams.radius` have passed.

    What later frames can still move is the right base of the bottom's prominence: until
    a frame above the bottom arrives it can only fall, towards the left base ``L``, so
    the reference level lies between ``L`` and the one found. The rep is settled when it
    is the same for every level in that range: its standing points are back within
    tolerance of ``L`` too (a lower level only widens the peak and deepens its
    prominence, which no check penalises), or the right base is bounded; the knee never
    rises above the bottom elsewhere in the rep nor rises again on the way up by
    ``min_prominence_deg`` (no later bottom can appear inside it or tie with it), both
    standing points are ``min_prominence_deg`` below the bottom, the frames the trunk
    and flight checks read after the end have arrived, and no earlier frame as high as the
    bottom is still within
    ``max_duration_s`` of the newest frame (an earlier bottom that could still become a
    rep), except up to frame ``known``, the end of the last rep already known final (its
    own conditions keep any later bottom out of it).
    """
    p = params or RepParams()
    x = _walls(np.asarray(flexion, dtype=np.float64))
    n = x.shape[0]
    s, e = reps.start, reps.end
    if s.size == 0:
        return np.zeros(0, dtype=bool)
    b = _argmax_between(x, s, e)  # the peak: reps.bottom is its plateau's middle
    h, w = p.half_window(fps), p.after_end(fps)
    top = x[b]
    ok = e + w + 1 <= n - 1
    e1 = np.minimum(e + 1, n - 1)
    ok &= (_range_max(x, s, b - 1) < top) & (_range_max(x, b + 1, e) < top)
    ok &= (top - x[s] >= p.min_prominence_deg) & (top - x[e] >= p.min_prominence_deg)
    ok &= _largest_reversal(-x, b, e) < p.min_prominence_deg
    ok &= (
        (x[e] <= x[e - 1])
        & (x[e] <= x[e1])
        & (x[s] <= x[np.maximum(s - 1, 0)])
        & (x[s] <= x[s + 1])
    )
    # The left base as find_peaks has it: the lowest point back to the last higher frame, within h
    # frames.
    lo = np.maximum(b - h, 0)
    flat, lengths, offsets = ragged(lo, b)
    higher = np.maximum.reduceat(np.where(x[flat] > np.repeat(top, lengths), flat, -1), offsets)
    flat, _, offsets = ragged(np.maximum(higher + 1, lo), b)
    left_base = np.minimum.reduceat(x[flat], offsets)
    thr = left_base + np.maximum(p.top_tolerance_deg, p.top_tolerance_frac * (top - left_base))
    # A frame above the bottom within h frames after it bounds the right base: the level is final.
    bounded = _range_max(x, b + 1, np.minimum(b + h, n - 1)) > top
    ok &= bounded | ((x[s] <= thr) & (x[e] <= thr))
    ok &= _range_max(x, np.full(b.shape, max(n - h, known + 1, 0)), b - 1) < top
    return ok


def find_reps(
    metrics: MetricSet, params: RepParams | None = None, fps: float | None = None
) -> Reps:
    """Repetitions of a whole `MetricSet` (offline).

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics (`formcheck.core.metrics.compute_metrics`); read through `rep_signals`.
    params : RepParams or None
        Thresholds; None for the defaults.
    fps : float or None
        Frames per second; None to estimate it from the timestamps (`estimate_fps`).

    Returns
    -------
    Reps
        The repetitions (`detect_reps`, with the movement checks); empty for fewer than 3
        frames.
    """
    return find_candidates(metrics, params, fps)[0]


def find_candidates(
    metrics: MetricSet, params: RepParams | None = None, fps: float | None = None
) -> tuple[Reps, Rejected]:
    """Repetitions and rejected candidates of a whole `MetricSet` (`detect_candidates`;
    parameters as for `find_reps`)."""
    ts = np.asarray(metrics.timestamps, dtype=np.float64)
    if ts.shape[0] < 3:
        return Reps.empty(), Rejected.empty()
    sig = rep_signals(metrics)
    fps = estimate_fps(ts) if fps is None else fps
    return detect_candidates(
        sig.flexion, sig.hip_drop, ts, fps, params, sig.trunk_lean, movement_signals(metrics)
    )


class RepCounter:
    """Incremental `find_reps` for live mode: feed frames in chunks of any size,
    get each repetition once, as soon as it is final.

    It keeps a trailing buffer of ``2 R + 2`` frames (``R``: see
    `RepParams.radius`) and re-runs `detect_reps` on it after every update. A
    rep with bottom ``b`` depends only on frames ``b - R .. b + R``, so it is
    emitted once frame ``b + R`` has arrived (24 s with the shipped parameters)
    or, usually a few frames after its end, as soon as `settled` shows that no
    later frame can change it (or at `flush`); reps are emitted in order. The
    reps emitted over a whole stream are exactly those of `find_reps` on the
    whole sequence with the same ``fps`` (tests: any chunking, adversarial
    random walks with NaN holes and exact ties, real footage).
    """

    def __init__(self, fps: float, params: RepParams | None = None) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps: expected a positive number, got {fps}")
        self.fps = float(fps)
        self.params = params or RepParams()
        self._radius = self.params.radius(self.fps)
        self._keep = 2 * self._radius + 2
        # columns: timestamp, flexion, hip_drop, trunk_lean, then the movement signals (SIGNALS)
        self._buf = np.empty((0, 4 + len(SIGNALS)))
        self._with_trunk: bool | None = None  # fixed by the first frames
        self._offset = 0  # stream index of the buffer's first frame
        self._last_bottom = self._last_end = -1
        self._emitted: list[Reps] = []

    @property
    def n_frames(self) -> int:
        """Frames seen so far."""
        return self._offset + self._buf.shape[0]

    @property
    def reps(self) -> Reps:
        """Every repetition emitted so far (stream frame indices)."""
        return Reps.concat(self._emitted)

    def update(self, chunk: MetricSet) -> Reps:
        """Add the frames of ``chunk`` (the next frames of the stream); return
        the repetitions completed by them."""
        sig = rep_signals(chunk)
        return self.push(
            chunk.timestamps, sig.flexion, sig.hip_drop, sig.trunk_lean, movement_signals(chunk)
        )

    def push(self, timestamps, flexion, hip_drop, trunk_lean=None, movement=None) -> Reps:
        """Like `update`, from per-frame values: timestamps (s), bilateral knee
        flexion (deg), ``hip_drop`` and optionally trunk lean (deg; give it
        always or never); scalars for one frame or ``(k,)`` arrays; ``movement``
        the ``(len(SIGNALS), k)`` signals of `movement_signals` (None: unknown,
        the movement checks pass)."""
        ts = np.atleast_1d(np.asarray(timestamps, dtype=np.float64))
        cols = [np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (flexion, hip_drop)]
        with_trunk = trunk_lean is not None
        if self._with_trunk is not None and with_trunk != self._with_trunk:
            raise ValueError(
                f"trunk_lean: expected {'values' if self._with_trunk else 'None'} as in the "
                f"first frames, got {'values' if with_trunk else 'None'}"
            )
        self._with_trunk = with_trunk
        cols.append(
            np.atleast_1d(np.asarray(trunk_lean, dtype=np.float64))
            if with_trunk
            else np.zeros(ts.shape)
        )
        if movement is None:
            cols += [np.full(ts.shape, np.nan)] * len(SIGNALS)
        else:
            mv = np.asarray(movement, dtype=np.float64).reshape(len(SIGNALS), -1)
            cols += list(mv)
        if ts.ndim != 1 or any(c.shape != ts.shape for c in cols):
            raise ValueError(
                f"expected timestamps, flexion, hip_drop (and trunk_lean) of one shape (k,), got "
                f"{ts.shape}, {', '.join(str(c.shape) for c in cols)}"
            )
        if ts.size and self._buf.shape[0] and ts[0] <= self._buf[-1, 0]:
            raise ValueError(f"timestamps: expected times after {self._buf[-1, 0]}, got {ts[0]}")
        self._buf = np.concatenate((self._buf, np.column_stack([ts, *cols])))
        new = self._emit(final_only=True)
        drop = max(0, self._buf.shape[0] - self._keep)
        if drop:
            self._buf = self._buf[drop:]
            self._offset += drop
        return new

    def flush(self) -> Reps:
        """End of stream: return the repetitions not yet emitted."""
        return self._emit(final_only=False)

    def _emit(self, final_only: bool) -> Reps:
        b = self._buf
        trunk = b[:, 3] if self._with_trunk else None
        found = detect_reps(b[:, 1], b[:, 2], b[:, 0], self.fps, self.params, trunk, b[:, 4:].T)
        bottom = found.bottom + self._offset
        # the locality bounds hold around each rep's peak (`RepParams.radius`)
        peak = _argmax_between(_walls(b[:, 1]), found.start, found.end) + self._offset
        ok = bottom > self._last_bottom
        if self._offset > 0:
            ok &= peak - self._radius >= self._offset
        if final_only:
            early = settled(
                b[:, 1], found, self.fps, self.params, known=self._last_end - self._offset
            )
            final = (peak + self._radius <= self.n_frames - 1) | early
            # in order: a rep that is not final yet holds back the ones after it
            ok &= np.logical_and.accumulate(final | ~ok)
        new = found.select(ok).shifted(self._offset)
        if len(new):
            self._last_bottom, self._last_end = int(new.bottom[-1]), int(new.end[-1])
            self._emitted.append(new)
        return new
