"""Scoring: each repetition judged against a `RuleSet`, and a summary of the set.

Per rep and rule the verdict is ``pass``, ``fail``, ``borderline`` or ``not_judged`` (no check of
the rule can be judged from the rep's camera view, or too few of the phase's frames are valid),
with the measured value in the rule's unit and its measurement error: the error of the value the
rule reads over a rep (``rule.<name>``) seen from the rep's view, else the per-frame error of the
check's metric (`formcheck.core.measurement_error`, the shipped ``rules/measurement_error.toml``;
None when unknown). A judged value within that error of the limit is ``borderline``
(`measurement_error.within_error` decides): the measurement cannot tell a pass from a fail, so it
is listed but neither failed nor passed outright. The rep score is ``100 x`` (weight of passed
rules + `BORDERLINE_CREDIT` x weight of borderline rules) / (weight of judged rules); ``None`` when
nothing was judged. A borderline check gives no cue and no habit. Everything is computed on arrays
of shape ``(n_reps,)``: one pass per rule check, no per-frame Python loops.

Per-rep measurements (always computed, whatever the rules), from the knee flexion
``knee_bend`` (`formcheck.core.metrics.knee_bend`): ``descent_s``, ``ascent_s``, ``duration_s``,
``peak_knee_flexion_deg`` (deepest knee bend, the shallower leg),
``lockout_knee_flexion_deg`` (the straightest knee within ``top_window_s`` of
each standing point, the worse of the two and of the legs) and
``knee_flexion_asymmetry_deg`` (``|left - right|`` median over the bottom
window); and the rep's ``view`` (that of most of its frames). Each measurement the measurement
error table lists (``rep.<name>``) carries its error from the rep's view.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .measurement_error import (
    ERROR_VIEWS,
    MeasurementErrors,
    load_measurement_errors,
    within_error,
)
from .metrics import with_knee_bend
from .metricset import (
    VIEW_FRONT,
    VIEW_NAMES,
    VIEW_OBLIQUE,
    VIEW_SIDE,
    VIEW_UNKNOWN,
    MetricSet,
)
from .reps import Reps
from .ruleset import Check, RuleSet, load_rules

PASS, FAIL, NOT_JUDGED, BORDERLINE = "pass", "fail", "not_judged", "borderline"
_STATUS = (NOT_JUDGED, PASS, FAIL, BORDERLINE)  # codes 0, 1, 2, 3 of SetScore.status
#: Share of a borderline rule's weight a rep's score earns. A value within the measurement error
#: of the limit is as likely to lie on either side of it (the error is a scatter around the
#: reading), so the expected credit is half: a borderline rep scores between a pass and a fail,
#: and a set of borderline reps reads "needs work", not "good" or "poor".
BORDERLINE_CREDIT = 0.5
MEASUREMENTS = (
    "descent_s",
    "ascent_s",
    "duration_s",
    "peak_knee_flexion_deg",
    "lockout_knee_flexion_deg",
    "knee_flexion_asymmetry_deg",
)
MAX_CUES = 3
#: Set grade by average score: "good" from `GRADE_GOOD`, "fair" from `GRADE_FAIR`, else "poor"
#: (80 and 60: every rule judged passed in 4 of 5 reps of equal weight, or 3 of 5).
GRADE_GOOD, GRADE_FAIR = 80.0, 60.0
#: A rule of these severities that failed in at least `HABIT_FRACTION` of the reps that judged it
#: is a habit, not a slip: the set is at best "fair" however high the average (a set in which
#: every rep stopped well short of depth averaged 83 and was shown green). Low-severity rules
#: (tempo, symmetry) only lower the score.
HABIT_SEVERITIES = ("high", "medium")
HABIT_FRACTION = 0.5


def _num(x: float) -> float | None:
    """JSON-safe float: NaN becomes None."""
    x = float(x)
    return None if math.isnan(x) else x


# --- ragged windows over frames -------------------------------------------------------------------


@dataclass(frozen=True)
class _Windows:
    """Frames of one phase of every rep, flattened: ``flat`` frame indices,
    ``owner`` rep of each, ``first`` position in ``flat`` where each rep starts."""

    flat: np.ndarray
    owner: np.ndarray
    first: np.ndarray
    size: np.ndarray  # frames per rep

    @classmethod
    def of(cls, lo: np.ndarray, hi: np.ndarray, owner: np.ndarray, n_reps: int) -> _Windows:
        """Ranges ``[lo_j, hi_j]`` (inclusive, ``hi >= lo``, sorted by ``owner``)."""
        lengths = hi - lo + 1
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        flat = np.arange(int(lengths.sum()))
        flat += np.repeat(lo - starts, lengths)
        owner_flat = np.repeat(owner, lengths)
        size = np.bincount(owner, weights=lengths, minlength=n_reps).astype(np.int64)
        first = (
            np.concatenate(([0], np.cumsum(size)[:-1])) if n_reps else np.empty(0, dtype=np.int64)
        )
        return cls(flat, owner_flat, first, size)

    def aggregate(
        self, values: np.ndarray, valid: np.ndarray, how: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per rep ``how`` (max/min/mean/median) of the valid values, and the
        fraction of the window's frames that are valid."""
        n = self.first.shape[0]
        if n == 0:
            return np.empty(0), np.empty(0)
        v = values[self.flat]
        ok = valid[self.flat] & np.isfinite(v)
        count = np.add.reduceat(ok.astype(np.int64), self.first)
        coverage = count / self.size
        with np.errstate(invalid="ignore", divide="ignore"):
            if how == "max":
                out = np.fmax.reduceat(np.where(ok, v, np.nan), self.first)
            elif how == "min":
                out = np.fmin.reduceat(np.where(ok, v, np.nan), self.first)
            elif how == "mean":
                out = np.add.reduceat(np.where(ok, v, 0.0), self.first) / count
            elif how == "median":
                out = self._median(v, ok, count)
            else:
                raise ValueError(f"aggregate: expected one of max, min, mean, median, got {how!r}")
        return np.where(count > 0, out, np.nan), coverage

    def _median(self, v: np.ndarray, ok: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Per-rep median of the valid ``v``: rows of a (reps, longest window)
        table padded with +inf, sorted along the rows."""
        n, width = self.first.shape[0], int(self.size.max())
        table = np.full((n, width), np.inf)
        table[self.owner, np.arange(self.flat.shape[0]) - self.first[self.owner]] = np.where(
            ok, v, np.inf
        )
        table.sort(axis=1)
        rows = np.arange(n)
        lo, hi = np.maximum(count - 1, 0) // 2, np.minimum(count // 2, width - 1)
        return (table[rows, lo] + table[rows, hi]) / 2


def _phase_windows(
    reps: Reps,
    timestamps: np.ndarray,
    phase: str,
    rules: RuleSet,
) -> _Windows:
    """Frames of ``phase`` of every rep (``top_start`` / ``top_end``: the two halves of ``top``).
    ``bottom`` is ``bottom_window_s`` either side of the bottom frame, widened to the bottom's
    plateau (``reps.bottom_first`` .. ``reps.bottom_last``): a held bottom is judged over the
    whole hold."""
    n = len(reps)
    idx = np.arange(n)
    if phase == "rep":
        return _Windows.of(reps.start, reps.end, idx, n)
    if phase == "descent":
        return _Windows.of(reps.start, reps.bottom, idx, n)
    if phase == "ascent":
        return _Windows.of(reps.bottom, reps.end, idx, n)
    if phase == "bottom":
        w = rules.bottom_window_s + 1e-9
        lo = np.searchsorted(timestamps, reps.t_bottom - w, side="left")
        hi = np.searchsorted(timestamps, reps.t_bottom + w, side="right") - 1
        lo, hi = np.minimum(lo, reps.bottom_first), np.maximum(hi, reps.bottom_last)
        return _Windows.of(
            np.clip(lo, reps.start, reps.bottom), np.clip(hi, reps.bottom, reps.end), idx, n
        )
    if phase == "top_start":
        lo = np.searchsorted(timestamps, reps.t_start - rules.top_window_s - 1e-9, side="left")
        return _Windows.of(np.minimum(lo, reps.start), reps.start, idx, n)
    if phase == "top_end":
        hi = np.searchsorted(timestamps, reps.t_end + rules.top_window_s + 1e-9, side="right") - 1
        return _Windows.of(reps.end, np.maximum(hi, reps.end), idx, n)
    raise ValueError(f"phase: expected one of rep, descent, ascent, bottom, top, got {phase!r}")


def _worse(a: np.ndarray, b: np.ndarray, compare: str) -> np.ndarray:
    """Elementwise, the value that fares worse against a threshold (NaN ignored)."""
    if compare == "<=":
        return np.fmax(a, b)
    if compare == ">=":
        return np.fmin(a, b)
    return np.where((np.abs(a) >= np.abs(b)) | np.isnan(b), a, b)  # within: farther from zero


def rep_views(metrics: MetricSet, reps: Reps) -> np.ndarray:
    """The camera view of each rep.

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics; their ``view`` codes are read.
    reps : Reps
        Repetitions (frames of ``metrics``).

    Returns
    -------
    np.ndarray
        ``(n_reps,)`` int8 view codes: that of most of the rep's frames with a known view,
        `VIEW_UNKNOWN` when none has one.
    """
    n = len(reps)
    if n == 0:
        return np.empty(0, dtype=np.int8)
    w = _Windows.of(reps.start, reps.end, np.arange(n), n)
    codes = np.asarray(metrics.view, dtype=np.int64)[w.flat]
    counts = np.bincount(w.owner * 4 + np.clip(codes, 0, 3), minlength=4 * n).reshape(n, 4)
    known = counts[:, [VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE]]
    best = np.array([VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE])[np.argmax(known, axis=1)]
    return np.where(known.sum(axis=1) > 0, best, VIEW_UNKNOWN).astype(np.int8)


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict on one rep. ``value`` in ``unit`` (None when not measured)."""

    rule: str
    status: str
    value: float | None
    unit: str
    threshold: float
    compare: str
    metric: str
    reason: str = ""
    left: float | None = None
    right: float | None = None
    error: float | None = None  # measurement error of ``value`` (unit), None when unknown

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "status": self.status,
            "value": self.value,
            "error": self.error,
            "unit": self.unit,
            "threshold": self.threshold,
            "compare": self.compare,
            "metric": self.metric,
        }
        if self.reason:
            d["reason"] = self.reason
        if self.left is not None or self.right is not None:
            d["left"], d["right"] = self.left, self.right
        return d


@dataclass(frozen=True)
class RepScore:
    """One rep: frames, times (s), view, score 0-100 (None if nothing judged),
    rule results by rule name and measurements."""

    index: int  # 1-based
    start: int
    bottom: int
    end: int
    t_start: float
    t_bottom: float
    t_end: float
    view: str
    score: float | None
    results: dict[str, RuleResult]
    measurements: dict[str, float | None]
    #: measurement name -> its error from the rep's view (None where unknown)
    measurement_errors: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start_s": self.t_start,
            "bottom_s": self.t_bottom,
            "end_s": self.t_end,
            "start_frame": self.start,
            "bottom_frame": self.bottom,
            "end_frame": self.end,
            "score": self.score,
            "view": self.view,
            "rules": {name: r.to_dict() for name, r in self.results.items()},
            "measurements": dict(self.measurements),
            "measurement_errors": dict(self.measurement_errors),
        }


@dataclass(frozen=True)
class RuleSummary:
    """How one rule fared over the set; ``pass_rate`` over the reps that passed or failed
    (borderline ones count neither way; None if none)."""

    rule: str
    title: str
    n_pass: int
    n_fail: int
    n_not_judged: int
    n_borderline: int = 0

    @property
    def pass_rate(self) -> float | None:
        judged = self.n_pass + self.n_fail
        return self.n_pass / judged if judged else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "n_pass": self.n_pass,
            "n_fail": self.n_fail,
            "n_not_judged": self.n_not_judged,
            "n_borderline": self.n_borderline,
            "pass_rate": self.pass_rate,
        }


@dataclass(frozen=True, eq=False)
class SetScore:
    """Scores of a set of reps, as arrays over reps (``R``) and rules (``K``);
    `reps`, `summary` and `to_dict` give the per-rep objects and JSON."""

    rules: RuleSet
    reps_frames: Reps
    views: np.ndarray  # (R,) int8 view codes
    status: np.ndarray  # (R, K) int8: 0 not_judged, 1 pass, 2 fail, 3 borderline
    values: np.ndarray  # (R, K) measured values (NaN when not measured)
    errors: np.ndarray  # (R, K) measurement error of the values (NaN when unknown)
    left: np.ndarray  # (R, K) per-side values of bilateral checks (NaN otherwise)
    right: np.ndarray  # (R, K)
    check: np.ndarray  # (R, K) index of the deciding check in the rule (-1 when not judged)
    reasons: np.ndarray  # (R, K) object: why not judged ("" otherwise)
    scores: np.ndarray  # (R,) 0-100, NaN when nothing judged
    measurements: dict[str, np.ndarray] = field(default_factory=dict)
    #: (R,) measurement error of each measurement that has one in some view (`measurement_errors`)
    measurement_errors: dict[str, np.ndarray] = field(default_factory=dict)
    missing_metrics: tuple[str, ...] = ()

    @property
    def rep_count(self) -> int:
        return len(self.reps_frames)

    @property
    def score(self) -> float | None:
        """Mean rep score (None when no rep could be scored)."""
        s = self.scores[np.isfinite(self.scores)]
        return float(s.mean()) if s.size else None

    def rule_summaries(self) -> dict[str, RuleSummary]:
        return {
            rule.name: RuleSummary(
                rule.name,
                rule.title,
                int((self.status[:, k] == 1).sum()),
                int((self.status[:, k] == 2).sum()),
                int((self.status[:, k] == 0).sum()),
                int((self.status[:, k] == 3).sum()),
            )
            for k, rule in enumerate(self.rules.rules)
        }

    def top_cues(self, limit: int = MAX_CUES) -> list[dict[str, Any]]:
        """Failed rules, most failures x weight first (then weight, then file order)."""
        fails = (self.status == 2).sum(axis=0)
        weights = np.array([r.weight for r in self.rules.rules])
        order = np.lexsort((np.arange(weights.size), -weights, -(fails * weights)))
        return [
            {
                "rule": self.rules.rules[k].name,
                "cue": self.rules.rules[k].cue,
                "n_fail": int(fails[k]),
                "severity": self.rules.rules[k].severity,
            }
            for k in order[:limit]
            if fails[k] > 0
        ]

    def worst_failed(self) -> list[str | None]:
        """Per rep, the name of the heaviest failed rule (of equal weights the first in file
        order), None where no rule failed."""
        weights = np.array([r.weight for r in self.rules.rules])
        failed = np.where(self.status == 2, weights, -np.inf)
        heaviest = np.argmax(failed, axis=1) if failed.size else np.zeros(self.rep_count, int)
        return [
            self.rules.rules[k].name if np.isfinite(failed[i, k]) else None
            for i, k in enumerate(heaviest)
        ]

    def not_judged(self) -> list[dict[str, str]]:
        """Rules no rep could be judged on, with a hint (what to film)."""
        if self.rep_count == 0:
            return []
        never = ~(self.status > 0).any(axis=0)
        out = []
        for k in np.flatnonzero(never):
            rule = self.rules.rules[k]
            hint = rule.hint or str(self.reasons[0, k])
            out.append({"rule": rule.name, "title": rule.title, "hint": hint})
        return out

    def too_close(self) -> list[dict[str, Any]]:
        """Rules judged on some reps but passed or failed on none: every judged rep's value lay
        within its measurement error of the limit (borderline), so this camera could not call
        it. ``rule``, ``title``, ``n_borderline``, ``error`` (the median of those reps' errors,
        in ``unit``; None when unknown), ``unit`` and ``threshold`` (the rule's first check's)."""
        borderline = self.status == 3
        decided = (self.status == 1) | (self.status == 2)
        out = []
        for k in np.flatnonzero(borderline.any(axis=0) & ~decided.any(axis=0)):
            rule = self.rules.rules[k]
            errors = self.errors[borderline[:, k], k]
            errors = errors[np.isfinite(errors)]
            out.append(
                {
                    "rule": rule.name,
                    "title": rule.title,
                    "n_borderline": int(borderline[:, k].sum()),
                    "error": round(float(np.median(errors)), 2) if errors.size else None,
                    "unit": rule.primary.unit,
                    "threshold": float(rule.primary.threshold),
                }
            )
        return out

    def habits(self) -> list[dict[str, Any]]:
        """Rules of `HABIT_SEVERITIES` that failed in at least `HABIT_FRACTION` of the reps that
        judged them: ``rule``, ``title``, ``severity``, ``n_fail``, ``n_judged``; most failures
        first."""
        fails = (self.status == 2).sum(axis=0)
        judged = (self.status > 0).sum(axis=0)
        out = [
            {
                "rule": rule.name,
                "title": rule.title,
                "severity": rule.severity,
                "n_fail": int(fails[k]),
                "n_judged": int(judged[k]),
            }
            for k, rule in enumerate(self.rules.rules)
            if rule.severity in HABIT_SEVERITIES
            and fails[k] > 0
            and fails[k] >= HABIT_FRACTION * judged[k]
        ]
        return sorted(out, key=lambda h: h["n_fail"] / h["n_judged"], reverse=True)

    def grade(self) -> str | None:
        """``good``, ``fair`` or ``poor`` (None when nothing was scored): from the average score
        (`GRADE_GOOD`, `GRADE_FAIR`), at best ``fair`` when a serious fault is a habit
        (`habits`)."""
        score = self.score
        if score is None:
            return None
        grade = "good" if score >= GRADE_GOOD else "fair" if score >= GRADE_FAIR else "poor"
        return "fair" if grade == "good" and self.habits() else grade

    def verdict(self) -> str:
        """One plain-language sentence about the set: reps, average score, the serious fault
        repeated in most reps when the average alone would say "good", the main thing to work on."""
        n = self.rep_count
        if n == 0:
            return "No squat repetitions were found."
        score = self.score
        head = f"{n} rep{'s' if n != 1 else ''}" + (
            f", average score {score:.0f} of 100" if score is not None else ""
        )
        habits = self.habits()
        if habits and score is not None and score >= GRADE_GOOD:  # the average alone would mislead
            h = habits[0]
            every = h["n_fail"] == h["n_judged"]
            which = (
                ("the rep" if h["n_judged"] == 1 else "every rep")
                if every
                else f"{h['n_fail']} of {h['n_judged']} reps"
            )
            head += f", but “{h['title']}” failed in {which}"
        cues = self.top_cues(1)
        return (
            f"{head}. Main thing to work on: {cues[0]['cue'].rstrip('.')}."
            if cues
            else f"{head}. Good form."
        )

    def rep(self, i: int) -> RepScore:
        """Rep ``i`` (0-based) as an object."""
        r = self.reps_frames[i]
        results = {}
        for k, rule in enumerate(self.rules.rules):
            used = rule.checks[max(int(self.check[i, k]), 0)]
            results[rule.name] = RuleResult(
                rule=rule.name,
                status=_STATUS[int(self.status[i, k])],
                value=_num(self.values[i, k]),
                unit=used.unit,
                threshold=used.threshold,
                compare=used.compare,
                metric=used.metric,
                reason=str(self.reasons[i, k]),
                left=_num(self.left[i, k]),
                right=_num(self.right[i, k]),
                error=_num(self.errors[i, k]),
            )
        return RepScore(
            index=i + 1,
            start=r.start,
            bottom=r.bottom,
            end=r.end,
            t_start=r.t_start,
            t_bottom=r.t_bottom,
            t_end=r.t_end,
            view=VIEW_NAMES[int(self.views[i])],
            score=_num(self.scores[i]),
            results=results,
            measurements={name: _num(v[i]) for name, v in self.measurements.items()},
            measurement_errors={name: _num(v[i]) for name, v in self.measurement_errors.items()},
        )

    @property
    def reps(self) -> list[RepScore]:
        return [self.rep(i) for i in range(self.rep_count)]

    def summary(self) -> dict[str, Any]:
        """``rep_count``, ``score``, ``grade``, ``verdict``, ``top_cues`` (cue strings),
        ``not_judged``."""
        return {
            "rep_count": self.rep_count,
            "score": self.score,
            "grade": self.grade(),
            "verdict": self.verdict(),
            "top_cues": [c["cue"] for c in self.top_cues()],
            "not_judged": self.not_judged(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rules.name,
            "summary": self.summary(),
            "cues": self.top_cues(),
            "rule_stats": {name: s.to_dict() for name, s in self.rule_summaries().items()},
            "missing_metrics": list(self.missing_metrics),
            "reps": [r.to_dict() for r in self.reps],
        }


# --- evaluation -----------------------------------------------------------------------------------


class _Evaluator:
    """Evaluates checks on all reps at once, caching phase windows."""

    def __init__(self, metrics: MetricSet, reps: Reps, rules: RuleSet) -> None:
        self.metrics, self.reps, self.rules = metrics, reps, rules
        self.ts = np.asarray(metrics.timestamps, dtype=np.float64)
        self._windows: dict[str, _Windows] = {}
        self._values: dict[tuple[str, str, str, str], np.ndarray] = {}

    def windows(self, phase: str) -> _Windows:
        if phase not in self._windows:
            self._windows[phase] = _phase_windows(self.reps, self.ts, phase, self.rules)
        return self._windows[phase]

    def side(self, name: str, phase: str, how: str, compare: str = "<=") -> np.ndarray:
        """Per-rep aggregate of metric ``name`` over ``phase``; NaN where too few
        frames are valid. ``top`` combines its two halves by the worse (``compare``)."""
        key = (name, phase, how, compare if phase == "top" else "")
        if key not in self._values:
            if phase == "top":
                halves = (self.side(name, half, how) for half in ("top_start", "top_end"))
                self._values[key] = _worse(*halves, compare)
            else:
                m = self.metrics[name]
                value, coverage = self.windows(phase).aggregate(m.values, m.valid, how)
                self._values[key] = np.where(coverage >= self.rules.min_coverage, value, np.nan)
        return self._values[key]

    def available(self, c: Check) -> bool:
        """The metrics of check ``c`` are computed."""
        if c.is_rep_measure:
            return True
        names = (f"{c.metric}_left", f"{c.metric}_right") if c.bilateral else (c.metric,)
        return all(name in self.metrics for name in names)

    def check(self, c: Check) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(value, left, right)`` per rep for check ``c``; None if a metric is missing."""
        n = len(self.reps)
        nan = np.full(n, np.nan)
        if c.is_rep_measure:
            return getattr(self.reps, c.metric.removeprefix("rep.")), nan, nan
        if not c.bilateral:
            if c.metric not in self.metrics:
                return None
            return self.side(c.metric, c.phase, c.aggregate, c.compare), nan, nan
        names = (f"{c.metric}_left", f"{c.metric}_right")
        if any(name not in self.metrics for name in names):
            return None
        left, right = (self.side(name, c.phase, c.aggregate, c.compare) for name in names)
        if c.sides == "abs_diff":
            value = np.abs(left - right)
        elif c.sides == "mean":
            value = (left + right) / 2
        else:
            value = _worse(left, right, c.compare)
        return value, left, right


def rep_measurements(
    metrics: MetricSet, reps: Reps, rules: RuleSet | None = None
) -> dict[str, np.ndarray]:
    """Per-rep measurements (see the module docstring), whatever the rules judge.

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics; the knee flexion is ``knee_bend`` (degrees).
    reps : Reps
        Repetitions (frames of ``metrics``).
    rules : RuleSet or None
        Gives the bottom and top windows (seconds) and the coverage needed; None for the
        shipped rules.

    Returns
    -------
    dict[str, np.ndarray]
        `MEASUREMENTS` by name, ``(n_reps,)`` each: seconds for the ``*_s`` ones, degrees for
        the ``*_deg`` ones; NaN where unknown.
    """
    return _measurements(_Evaluator(with_knee_bend(metrics), reps, rules or load_rules()))


def _measurements(ev: _Evaluator) -> dict[str, np.ndarray]:
    reps = ev.reps
    out = {"descent_s": reps.descent_s, "ascent_s": reps.ascent_s, "duration_s": reps.duration_s}
    nan = np.full(len(reps), np.nan)
    if len(reps) == 0 or not all(f"knee_bend_{s}" in ev.metrics for s in ("left", "right")):
        return out | {name: nan for name in MEASUREMENTS[3:]}
    legs = ("knee_bend_left", "knee_bend_right")
    peak = np.fmin(*(ev.side(name, "rep", "max") for name in legs))
    lockout = np.fmax(*(ev.side(name, "top", "min", "<=") for name in legs))
    bottom = [ev.side(name, "bottom", "median") for name in legs]
    return out | {
        "peak_knee_flexion_deg": peak,
        "lockout_knee_flexion_deg": lockout,
        "knee_flexion_asymmetry_deg": np.abs(bottom[0] - bottom[1]),
    }


def score_reps(
    metrics: MetricSet,
    reps: Reps,
    rules: RuleSet | None = None,
    errors: MeasurementErrors | None = None,
) -> SetScore:
    """Judge every rep by every rule.

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics (`formcheck.core.metrics.compute_metrics`).
    reps : Reps
        Repetitions, frames of ``metrics`` (`formcheck.core.reps.find_reps`).
    rules : RuleSet or None
        The rules; None for the shipped cyclist-squat rules.
    errors : MeasurementErrors or None
        Measurement error of each metric by view; None for the shipped table.

    Returns
    -------
    SetScore
        Per rep and rule the verdict (borderline where the value lies within its measurement
        error of the threshold), the measured value (in the rule check's unit) and its error,
        and why a rule was not judged; per rep the score (0-100) and the measurements.

    Raises
    ------
    ValueError
        When a rep's frames lie outside ``metrics``.
    """
    rules = rules or load_rules()
    errors = _shipped_errors() if errors is None else errors
    n, k_rules = len(reps), len(rules.rules)
    if n and (reps.end.max() >= metrics.n_frames or reps.start.min() < 0):
        raise ValueError(
            f"reps: expected frames within 0..{metrics.n_frames - 1}, "
            f"got {reps.start.min()}..{reps.end.max()}"
        )
    ev = _Evaluator(with_knee_bend(metrics), reps, rules)
    views = rep_views(metrics, reps)
    view_names = np.array([VIEW_NAMES[int(v)] for v in range(4)], dtype=object)[views]
    status = np.zeros((n, k_rules), dtype=np.int8)
    values, errs, left, right = (np.full((n, k_rules), np.nan) for _ in range(4))
    check = np.full((n, k_rules), -1, dtype=np.int64)
    reasons = np.full((n, k_rules), "", dtype=object)
    missing: list[str] = []
    for k, rule in enumerate(rules.rules):
        decided = np.zeros(n, dtype=bool)
        any_view = np.zeros(n, dtype=bool)
        any_metric = False
        for j, c in enumerate(rule.checks):
            view_ok = c.judgeable_from(view_names)
            any_view |= view_ok
            if not ev.available(c):
                missing.append(c.metric if not c.bilateral else f"{c.metric}_left/right")
                continue
            any_metric = True
            if not (view_ok & ~decided).any():
                continue  # no rep left that this check may judge: skip computing it
            value, lv, rv = ev.check(c)
            judge = ~decided & view_ok & np.isfinite(value)
            err = errors.rule_error(rule.name, c.metric, view_names[judge], c.sides)
            near = within_error(c.margin(value[judge]), err)
            status[judge, k] = np.where(near, 3, np.where(c.passes(value[judge]), 1, 2))
            errs[judge, k] = err
            values[judge, k], left[judge, k], right[judge, k] = value[judge], lv[judge], rv[judge]
            check[judge, k] = j
            decided |= judge
        why_data = "too few valid frames" if any_metric else "the metric is not computed"
        reasons[~decided, k] = np.where(
            any_view[~decided], why_data, "not judgeable from the " + view_names[~decided] + " view"
        )
    scores = rep_scores(status, rules)
    return SetScore(
        rules=rules,
        reps_frames=reps,
        views=views,
        status=status,
        values=values,
        errors=errs,
        left=left,
        right=right,
        check=check,
        reasons=reasons,
        scores=scores,
        measurements=_measurements(ev),
        measurement_errors=measurement_errors(errors, view_names),
        missing_metrics=tuple(dict.fromkeys(missing)),
    )


def measurement_errors(errors: MeasurementErrors, views: np.ndarray) -> dict[str, np.ndarray]:
    """The error of each of `MEASUREMENTS` that ``errors`` lists for some view (as
    ``rep.<name>``), per rep from its view ``views`` ``(R,)`` (names); NaN where unknown."""
    return {
        name: errors.error_of(f"rep.{name}", views)
        for name in MEASUREMENTS
        if any(errors.lookup(f"rep.{name}", v) is not None for v in ERROR_VIEWS)
    }


def rep_scores(status: np.ndarray, rules: RuleSet) -> np.ndarray:
    """Each rep's score, 0-100: ``100 x`` (weight of passed rules + `BORDERLINE_CREDIT` x weight of
    borderline ones) / weight of judged rules, from ``status`` ``(R, K)`` (`SetScore.status`
    codes) over ``rules``; NaN for a rep with nothing judged."""
    weights = np.array([r.weight for r in rules.rules])
    judged_w = ((status > 0) * weights).sum(axis=1)
    passed_w = ((status == 1) * weights).sum(axis=1)
    passed_w = passed_w + BORDERLINE_CREDIT * ((status == 3) * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(judged_w > 0, 100.0 * passed_w / judged_w, np.nan)


@functools.cache
def _shipped_errors() -> MeasurementErrors:
    """The shipped measurement error table, read once per process."""
    return load_measurement_errors()
