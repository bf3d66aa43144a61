"""Two (or more) cameras, one verdict: fuse the `Analysis` of videos of the same person.

A front camera judges stance, feet and knee tracking; only a side camera judges the heel block,
depth, chest and lockout (`formcheck.core.ruleset.Check.judgeable_from`). `fuse` combines the
analyses of several videos into one `FusedAnalysis`:

1. **Synchronise** (`synchronise`): the time offset of each video against a reference one, from
   the movement every camera sees whatever its angle: the hip's vertical travel (``hip_drop``,
   body-scale units) and the knee bend (``knee_bend``, degrees), each standardised per video,
   resampled to `RESAMPLE_HZ` and cross-correlated (`scipy.signal.correlate`) with the
   correlation normalised over the overlap at every lag; the peak is refined to a fraction of a
   sample by a parabola. The peak correlation is the confidence.
2. **Same set or separate sets** (`same_set`): the same set when the peak correlation is at least
   `SAME_SET_MIN_CORRELATION` *and* the reps then line up one to one (`pair_reps`); otherwise
   the videos are separate sets.
3. **One verdict per rep** (same set): reps are paired one to one by the time of their bottoms
   on the common clock (`scipy.optimize.linear_sum_assignment`, pairs at most `PAIR_TOLERANCE_S`
   apart); each rule of each rep is taken from the source whose view judged it, of two that did
   from the one with the smaller measurement error (`rules/measurement_error.toml`).
   **Separate sets**: every video's reps keep their own verdicts; the set summary takes each
   rule from the video that judged it on most reps.

Time convention: ``offset_s`` of a source is where its ``t = 0`` lies on the common clock (that
of the reference source), so a moment at ``t`` seconds in the source is at ``t + offset_s`` in
common time. The reference is the first source in a canonical order (by view: side, front,
oblique, unknown; then by path), so the order the videos are given in does not change the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.signal import correlate, correlation_lags

from .analysis import Analysis
from .measurement_error import MeasurementErrors, load_measurement_errors
from .metricset import VIEW_NAMES, VIEW_UNKNOWN
from .reps import Reps
from .ruleset import Check
from .scoring import SetScore, rep_scores

#: Rate (Hz) both movement signals are resampled to before correlating: a 10 ms grid, finer than
#: a frame of any camera (60 fps = 16.7 ms), refined further by the parabola through the peak.
RESAMPLE_HZ = 100.0
#: Least overlap of two videos, as a fraction of the shorter one's valid signal, for a lag to be
#: considered: two phones filming one set both record the set; what one records without the other
#: is setting up and stopping, shorter than the set itself. Short overlaps correlate by chance.
MIN_OVERLAP_FRACTION = 0.5
#: Least peak correlation (Pearson, over the overlap) for "filmed at the same time". Two cameras
#: see the same vertical hip travel and knee bend up to scale and noise: 224 rendered front/side
#: pairs (MediaPipe landmarks) correlate at 0.962 or more (benchmarks/RESULTS.md, bench_fusion),
#: while movement without a shared squat does not (0.03 on two cameras of a balancing trial). Two
#: sets filmed one after the other line up only by chance, and the one-to-one rep pairing below
#: must hold as well; two sets of the same reps at the same tempo do correlate like one set. 0.8
#: leaves real footage (occlusion, other lenses, clothing) room below the rendered 0.96.
SAME_SET_MIN_CORRELATION = 0.8
#: Largest gap (s) between the bottoms of two reps paired across cameras, on the common clock:
#: half the shortest rep formcheck counts (`RepParams.min_duration_s` = 1 s), so a rep can never
#: pair with its neighbour, while the bottom's time (within a pause of up to a few tenths of a
#: second) read by two cameras differs by far less.
PAIR_TOLERANCE_S = 0.5
#: Least share of the reps that must pair for the same set (`same_set`): a camera started late
#: or stopped early may miss a rep of three, not more.
MIN_PAIRED_FRACTION = 2 / 3
#: Order of views for the reference source (the view that judges the most cyclist-squat rules
#: alone first), then `Source.path`.
_VIEW_ORDER = {"side": 0, "front": 1, "oblique": 2, "unknown": 3}
#: Same set, separate sets.
SAME_SET, SEPARATE_SETS = "same_set", "separate_sets"


@dataclass(frozen=True)
class Sync:
    """The time offset of one source against the reference.

    ``offset_s``: where the source's ``t = 0`` lies on the reference clock, seconds.
    ``correlation``: peak normalised cross-correlation (-1..1) of the movement signals; NaN
    when the offset was given by hand or could not be measured. ``overlap_s``: seconds both
    signals cover at that offset. ``manual``: the offset was given, not measured.
    """

    offset_s: float
    correlation: float
    overlap_s: float
    manual: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "offset_s": round(self.offset_s, 4),
            "correlation": None
            if not np.isfinite(self.correlation)
            else round(self.correlation, 4),
            "overlap_s": round(self.overlap_s, 3) if np.isfinite(self.overlap_s) else None,
            "manual": self.manual,
        }


@dataclass(frozen=True, eq=False)
class Source:
    """One video of a fused analysis: its `Analysis`, the path, its view and its offset."""

    path: str
    analysis: Analysis
    sync: Sync

    @property
    def view(self) -> str:
        return self.analysis.view

    @property
    def fps(self) -> float:
        return self.analysis.sequence.fps

    @property
    def offset_s(self) -> float:
        return self.sync.offset_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "view": self.view,
            "fps": round(self.fps, 4),
            "image_size": list(self.analysis.sequence.image_size),
            "rep_count": len(self.analysis.reps),
            **self.sync.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class FusedAnalysis:
    """Several videos of one person fused into one verdict (module docstring).

    ``sources``: in canonical order, the first is the reference (offset 0). ``mode``:
    `SAME_SET` or `SEPARATE_SETS`; ``forced``: the mode was chosen by the user. ``rep_index``:
    ``(R, S)`` per fused rep the 0-based rep of each source (-1 when that source has none).
    ``scores``: the fused `SetScore`; same set: its reps' times are on one clock that starts when
    the first camera started (``clock_origin_s`` on the reference's clock, 0 or less); separate
    sets: each rep's times are its own video's. Frame indices are those of ``rep_source``'s
    video. ``judged_by``: ``(R, K)`` per rep and rule the source whose verdict it is (-1 when no
    source judged it). ``summary_source``: ``(K,)`` per rule the source that judged it on most
    reps (`_summary_source`).
    """

    sources: tuple[Source, ...]
    mode: str
    forced: bool
    rep_index: np.ndarray
    rep_source: np.ndarray
    judged_by: np.ndarray
    scores: SetScore
    summary_source: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    clock_origin_s: float = 0.0

    @property
    def rules(self) -> Any:
        return self.scores.rules

    @property
    def same_set(self) -> bool:
        return self.mode == SAME_SET

    def source_views(self) -> list[str]:
        return [s.view for s in self.sources]

    def judged_by_names(self) -> list[dict[str, str | None]]:
        """Per rep, per rule name, the view of the source that judged it (None: not judged)."""
        views = self.source_views()
        return [
            {
                rule.name: views[int(j)] if j >= 0 else None
                for rule, j in zip(self.rules.rules, row, strict=True)
            }
            for row in self.judged_by
        ]

    def to_dict(self) -> dict[str, Any]:
        """The fusion facts for ``report.json``: mode, sources, per rep the source of each rule."""
        return {
            "mode": self.mode,
            "forced": self.forced,
            "reference": self.sources[0].path,
            "clock_origin_s": round(self.clock_origin_s, 4),
            "sources": [s.to_dict() for s in self.sources],
            "reps": [
                {
                    "index": i + 1,
                    "source_reps": {
                        self.sources[s].path: int(r) + 1 if r >= 0 else None
                        for s, r in enumerate(row)
                    },
                    "judged_by": {
                        rule.name: self.sources[int(j)].path if j >= 0 else None
                        for rule, j in zip(self.rules.rules, self.judged_by[i], strict=True)
                    },
                }
                for i, row in enumerate(self.rep_index)
            ],
            "summary_source": {
                rule.name: self.sources[int(j)].path if j >= 0 else None
                for rule, j in zip(self.rules.rules, self.summary_source, strict=True)
            },
        }


# --- synchronisation ------------------------------------------------------------------------------


def movement_signals(analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The view-invariant movement signals of one video.

    Parameters
    ----------
    analysis : Analysis
        The video's analysis; its ``hip_drop`` (body scale) and ``knee_bend_left/right``
        (degrees) metrics are read.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, np.ndarray]
        ``timestamps (T,)`` in seconds, ``values (T, 2)`` (hip drop, mean knee bend) each
        standardised to zero mean and unit deviation over its valid frames, ``valid (T, 2)``.
    """
    m = analysis.metrics
    ts = np.asarray(m.timestamps, dtype=np.float64)
    cols, oks = [], []
    for names in (("hip_drop",), ("knee_bend_left", "knee_bend_right")):
        present = [m[n] for n in names if n in m]
        if not present:
            cols.append(np.zeros(len(ts)))
            oks.append(np.zeros(len(ts), dtype=bool))
            continue
        vals = np.stack([np.where(x.valid, x.values, np.nan) for x in present])
        with np.errstate(all="ignore"):
            v = np.nanmean(vals, axis=0) if vals.shape[0] > 1 else vals[0]
        ok = np.isfinite(v)
        sd = float(v[ok].std()) if ok.sum() > 1 else 0.0
        if sd <= 0:
            ok[:] = False
            v = np.zeros(len(ts))
        else:
            v = np.where(ok, (v - v[ok].mean()) / sd, 0.0)
        cols.append(v)
        oks.append(ok)
    return ts, np.stack(cols, axis=1), np.stack(oks, axis=1)


def _resample(
    ts: np.ndarray, values: np.ndarray, valid: np.ndarray, rate: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Linear resampling of ``values (T, C)`` onto a grid of ``rate`` Hz from ``ts[0]``; a grid
    point is valid when both frames around it are. Returns the grid start, values, valid."""
    if len(ts) < 2:
        return 0.0, np.zeros((0, values.shape[1])), np.zeros((0, values.shape[1]), dtype=bool)
    grid = ts[0] + np.arange(int(np.floor((ts[-1] - ts[0]) * rate)) + 1) / rate
    out = np.stack([np.interp(grid, ts, values[:, c]) for c in range(values.shape[1])], axis=1)
    ok = np.stack(
        [
            np.interp(grid, ts, valid[:, c].astype(float)) >= 1.0 - 1e-9
            for c in range(valid.shape[1])
        ],
        axis=1,
    )
    return float(ts[0]), np.where(ok, out, 0.0), ok


def normalised_xcorr(
    a: np.ndarray, ma: np.ndarray, b: np.ndarray, mb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pearson correlation of ``a`` and ``b`` at every lag, over the samples both have valid.

    Parameters
    ----------
    a, b : np.ndarray
        ``(Na,)`` and ``(Nb,)`` signals (any value where not valid).
    ma, mb : np.ndarray
        Their validity masks.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, np.ndarray]
        ``lags`` (samples; at lag L sample ``n`` of ``b`` meets sample ``n + L`` of ``a``), the
        correlation at each lag (NaN where the overlap has no variance) and the number of
        samples in the overlap.
    """
    ma, mb = ma.astype(float), mb.astype(float)
    a, b = np.where(ma > 0, a, 0.0), np.where(mb > 0, b, 0.0)

    def xc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return correlate(x, y, mode="full", method="fft")

    n = np.rint(xc(ma, mb))
    sa, sb, sab = xc(a, mb), xc(ma, b), xc(a, b)
    saa, sbb = xc(a * a, mb), xc(ma, b * b)
    with np.errstate(all="ignore"):
        cov = sab - sa * sb / n
        var = (saa - sa * sa / n) * (sbb - sb * sb / n)
        r = np.where((n > 2) & (var > 1e-12), cov / np.sqrt(np.clip(var, 1e-300, None)), np.nan)
    return correlation_lags(len(a), len(b), mode="full"), r, n


def synchronise(reference: Analysis, other: Analysis, rate: float = RESAMPLE_HZ) -> Sync:
    """The offset of ``other`` against ``reference`` from their movement (module docstring).

    Parameters
    ----------
    reference, other : Analysis
        Analyses of two videos (any frame rates).
    rate : float
        Resampling rate, Hz.

    Returns
    -------
    Sync
        ``offset_s`` (where ``other``'s ``t = 0`` lies on ``reference``'s clock), the peak
        correlation averaged over the hip and knee signals, and the overlap in seconds; NaN
        correlation when the videos share too little valid movement.
    """
    ta, va, oka = movement_signals(reference)
    tb, vb, okb = movement_signals(other)
    a0, ra, rma = _resample(ta, va, oka, rate)
    b0, rb, rmb = _resample(tb, vb, okb, rate)
    if len(ra) < 3 or len(rb) < 3:
        return Sync(0.0, float("nan"), 0.0)
    channels = [c for c in range(ra.shape[1]) if rma[:, c].sum() > 2 and rmb[:, c].sum() > 2]
    if not channels:
        return Sync(0.0, float("nan"), 0.0)
    rs, ws, ns = [], [], []
    for c in channels:
        lags, r, n = normalised_xcorr(ra[:, c], rma[:, c], rb[:, c], rmb[:, c])
        shorter = min(rma[:, c].sum(), rmb[:, c].sum())
        rs.append(np.where(n >= MIN_OVERLAP_FRACTION * shorter, r, np.nan))
        ws.append(n / shorter)
        ns.append(n)
    stack = np.stack(rs)
    with np.errstate(all="ignore"):
        r = np.where(np.isfinite(stack).all(axis=0), stack.mean(axis=0), np.nan)
        # the peak is sought on the correlation weighted by the overlap (the usual biased
        # estimate): a squat set is nearly periodic, and a lag of one rep period overlaps one
        # rep fewer at an equally high Pearson correlation; the whole overlap must match
        score = r * np.mean(ws, axis=0)
    if not np.isfinite(score).any():
        return Sync(0.0, float("nan"), 0.0)
    k = int(np.nanargmax(score))
    frac = 0.0
    if 0 < k < len(score) - 1 and np.isfinite(score[k - 1]) and np.isfinite(score[k + 1]):
        den = score[k - 1] - 2 * score[k] + score[k + 1]
        if den < 0:
            frac = float(np.clip(0.5 * (score[k - 1] - score[k + 1]) / den, -0.5, 0.5))
    lag = lags[k] + frac
    # at lag L: other's grid sample n (time b0 + n/rate) meets reference's n + L (a0 + (n+L)/rate)
    offset = a0 - b0 + lag / rate
    overlap = float(np.min([n[k] for n in ns])) / rate
    return Sync(float(offset), float(r[k]), overlap)


# --- rep pairing ----------------------------------------------------------------------------------


def pair_reps(
    t_a: np.ndarray, t_b: np.ndarray, tolerance_s: float = PAIR_TOLERANCE_S
) -> tuple[np.ndarray, np.ndarray]:
    """Pair reps one to one by time: ``(ia, ib)`` index arrays, pairs at most ``tolerance_s``
    apart, the total gap least (`scipy.optimize.linear_sum_assignment`).

    Parameters
    ----------
    t_a, t_b : np.ndarray
        ``(Ra,)``, ``(Rb,)`` times of the reps' bottoms on one clock, seconds.
    tolerance_s : float
        Largest gap of a pair, seconds.
    """
    t_a, t_b = np.asarray(t_a, dtype=float), np.asarray(t_b, dtype=float)
    if t_a.size == 0 or t_b.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    cost = np.abs(t_a[:, None] - t_b[None, :])
    big = 1e6
    ia, ib = linear_sum_assignment(np.where(cost <= tolerance_s, cost, big))
    keep = cost[ia, ib] <= tolerance_s
    return ia[keep].astype(np.int64), ib[keep].astype(np.int64)


def _in_span(t: np.ndarray, lo: float, hi: float) -> int:
    return int(((t >= lo) & (t <= hi)).sum())


def same_set(reference: Analysis, other: Analysis, sync: Sync) -> bool:
    """Whether two videos filmed the same set at the same time, given their `Sync`.

    True when the peak correlation is at least `SAME_SET_MIN_CORRELATION`, at least one rep
    pairs (`pair_reps` on the common clock), and the pairs are at least `MIN_PAIRED_FRACTION` of
    the reps of each video that lie within the other video's time span, and of the reps of the
    video with fewer: two cameras of one set see the same reps (one started late may miss one),
    while one rep of a set lining up with one of another set at some lag is chance.
    """
    if not (np.isfinite(sync.correlation) and sync.correlation >= SAME_SET_MIN_CORRELATION):
        return False
    ta = reference.reps.t_bottom
    tb = other.reps.t_bottom + sync.offset_s
    ia, _ = pair_reps(ta, tb)
    if ia.size == 0:
        return False
    sa, sb = reference.sequence.timestamps, other.sequence.timestamps + sync.offset_s
    if len(sa) == 0 or len(sb) == 0:
        return False
    lo, hi = max(sa[0], sb[0]), min(sa[-1], sb[-1])
    need = max(_in_span(ta, lo, hi), _in_span(tb, lo, hi), min(ta.size, tb.size))
    return ia.size >= MIN_PAIRED_FRACTION * need


# --- fused verdict --------------------------------------------------------------------------------


def _error(errors: MeasurementErrors, rule: str, check: Check, view: str) -> float:
    """The error of ``rule``'s value judged by ``check`` from ``view`` (inf when unknown)."""
    err = errors.rule_error(rule, check.metric, np.array([view], dtype=object), check.sides)[0]
    return float(err) if np.isfinite(err) else np.inf


def _choose(
    sources: tuple[Source, ...], rows: np.ndarray, errors: MeasurementErrors
) -> tuple[np.ndarray, np.ndarray]:
    """Per rep and rule, which source's verdict to take.

    ``rows (R, S)``: per fused rep the rep of each source (-1 none). Returns ``judged_by (R, K)``
    (-1 when none judged) and ``check (R, K)``. A judged verdict beats a not-judged one; of
    several judged ones that with the smallest measurement error of its value from its
    rep's view (unknown error counts as largest), then the earlier source (canonical order).
    """
    rules = sources[0].analysis.rules.rules
    n, k_rules = rows.shape[0], len(rules)
    best = np.full((n, k_rules), -1, dtype=np.int64)
    best_err = np.full((n, k_rules), np.inf)
    for s, src in enumerate(sources):
        sc = src.analysis.scores
        have = rows[:, s] >= 0
        if not have.any():
            continue
        idx = rows[have, s]
        status = sc.status[idx]
        views = [VIEW_NAMES[int(v)] for v in sc.views[idx]]
        err = np.full(status.shape, np.inf)
        for k, rule in enumerate(rules):
            used = np.clip(sc.check[idx, k], 0, None)
            err[:, k] = [
                _error(errors, rule.name, rule.checks[int(c)], v)
                for c, v in zip(used, views, strict=True)
            ]
        sub_best, sub_err = best[have], best_err[have]
        better = (status > 0) & ((sub_best < 0) | (err < sub_err))
        sub_best[better], sub_err[better] = s, err[better]
        best[have], best_err[have] = sub_best, sub_err
    return best, best_err


def _fused_scores(
    sources: tuple[Source, ...],
    rows: np.ndarray,
    judged_by: np.ndarray,
    rep_source: np.ndarray,
    shifts: np.ndarray,
) -> SetScore:
    """The `SetScore` of the fused reps.

    Every per-rep-and-rule array of `SetScore` (verdict, value, sides, check, reason, and any
    other ``(R, K)`` field) is taken cell by cell from the source that judged the rule
    (``judged_by``), else from the rep's own source (``rep_source``: not judged there either, so
    its reason says why); per-rep fields (view, measurements, frames) from the rep's own source,
    its times shifted by ``shifts[source]`` seconds; scores recomputed by weight as in
    `formcheck.core.scoring.score_reps`.
    """
    first = sources[0].analysis.scores
    rules = first.rules
    n, k_rules = rows.shape[0], len(rules.rules)
    cell_source = np.where(judged_by >= 0, judged_by, rep_source[:, None])  # (R, K)
    per_cell = {
        f.name
        for f in fields(SetScore)
        if isinstance(v := getattr(first, f.name), np.ndarray) and v.ndim == 2
    }
    out: dict[str, Any] = {}
    for name in per_cell:
        src0 = getattr(first, name)
        arr = np.empty((n, k_rules), dtype=src0.dtype)
        for s, src in enumerate(sources):
            mine = cell_source == s
            if mine.any():
                r, k = np.nonzero(mine)
                arr[r, k] = getattr(src.analysis.scores, name)[rows[r, s], k]
        out[name] = arr
    views = np.full(n, VIEW_UNKNOWN, dtype=np.int8)
    frames = {
        key: np.zeros(n, dtype=np.int64)
        for key in ("start", "bottom", "end", "bottom_first", "bottom_last")
    }
    times = {key: np.zeros(n) for key in ("t_start", "t_bottom", "t_end")}
    meas = {name: np.full(n, np.nan) for name in first.measurements}
    meas_err = {name: np.full(n, np.nan) for name in first.measurement_errors}
    for s, src in enumerate(sources):
        sc = src.analysis.scores
        own = rep_source == s
        if not own.any():
            continue
        idx = rows[own, s]
        views[own] = sc.views[idx]
        for key, arr in frames.items():
            arr[own] = getattr(sc.reps_frames, key)[idx]
        for key, arr in times.items():
            arr[own] = getattr(sc.reps_frames, key)[idx] + shifts[s]
        for name in meas:
            if name in sc.measurements:
                meas[name][own] = sc.measurements[name][idx]
        for name in meas_err:
            if name in sc.measurement_errors:
                meas_err[name][own] = sc.measurement_errors[name][idx]
    scores = rep_scores(out["status"], rules)
    missing = tuple(
        dict.fromkeys(m for src in sources for m in src.analysis.scores.missing_metrics)
    )
    return replace(
        first,
        reps_frames=Reps(**frames, **times),
        views=views,
        scores=scores,
        measurements=meas,
        measurement_errors=meas_err,
        missing_metrics=missing,
        **out,
    )


def _canonical(items: list[tuple[str, Analysis]]) -> list[tuple[str, Analysis]]:
    return sorted(items, key=lambda pa: (_VIEW_ORDER.get(pa[1].view, 9), pa[0]))


def fuse(
    analyses: list[tuple[str, Analysis]],
    mode: str | None = None,
    offsets: dict[str, float] | None = None,
    errors: MeasurementErrors | None = None,
) -> FusedAnalysis:
    """One verdict from the analyses of several videos of one person (module docstring).

    Parameters
    ----------
    analyses : list[tuple[str, Analysis]]
        ``(path, analysis)`` of each video (two or more), judged by the same rules; any order.
    mode : str or None
        `SAME_SET` or `SEPARATE_SETS` to force one; None decides from the movement (`same_set`).
    offsets : dict[str, float] or None
        By path, a video's start given by hand: where its ``t = 0`` lies on the clock of the
        video given first in ``analyses`` (seconds; "B started 2.4 s after A" is ``{B: 2.4}``).
        A video whose offset and the reference's are both known this way is not synchronised
        automatically.
    errors : MeasurementErrors or None
        Measurement errors to choose between two cameras that both judge a rule; the shipped
        table when None.

    Returns
    -------
    FusedAnalysis

    Raises
    ------
    ValueError
        Fewer than two analyses, different rule sets, or an unknown ``mode``.
    """
    if len(analyses) < 2:
        raise ValueError(f"analyses: expected two or more videos, got {len(analyses)}")
    if mode not in (None, SAME_SET, SEPARATE_SETS):
        raise ValueError(f"mode: expected {SAME_SET!r} or {SEPARATE_SETS!r}, got {mode!r}")
    names = {a.rules.name for _, a in analyses}
    if len(names) > 1:
        raise ValueError(f"analyses: expected one rule set, got {sorted(names)}")
    errors = errors or load_measurement_errors()
    items = _canonical(list(analyses))
    ref = items[0][1]
    syncs = [Sync(0.0, float("nan"), ref.sequence.duration, manual=True)]
    given = {analyses[0][0]: 0.0, **(offsets or {})}
    for path, a in items[1:]:
        if offsets and path in given and items[0][0] in given:
            manual = float(given[path]) - float(given[items[0][0]])
            syncs.append(Sync(manual, float("nan"), float("nan"), manual=True))
        else:
            syncs.append(synchronise(ref, a))
    sources = tuple(Source(p, a, s) for (p, a), s in zip(items, syncs, strict=True))
    if mode is None:
        together = all(s.sync.manual or same_set(ref, s.analysis, s.sync) for s in sources[1:])
        mode, forced = (SAME_SET if together else SEPARATE_SETS), False
    else:
        forced = True
    rows = _pair_all(sources) if mode == SAME_SET else _stack_all(sources)
    rep_source = np.argmax(rows >= 0, axis=1)
    judged_by, _ = _choose(sources, rows, errors)
    offsets_s = np.array([s.offset_s for s in sources])
    # same set: one clock from the moment the first camera started; separate: each its own
    origin = min(0.0, float(offsets_s.min()))
    shifts = offsets_s - origin if mode == SAME_SET else np.zeros(len(sources))
    scores = _fused_scores(sources, rows, judged_by, rep_source, shifts)
    order = np.lexsort((rep_source, scores.reps_frames.t_bottom))
    if mode == SEPARATE_SETS:
        order = np.lexsort((scores.reps_frames.t_bottom, rep_source))
    rows, rep_source, judged_by = rows[order], rep_source[order], judged_by[order]
    scores = _fused_scores(sources, rows, judged_by, rep_source, shifts)
    summary = _summary_source(sources, errors)
    return FusedAnalysis(
        sources, mode, forced, rows, rep_source, judged_by, scores, summary, origin
    )


def _pair_all(sources: tuple[Source, ...]) -> np.ndarray:
    """``(R, S)`` fused rows: the reference's reps, each other source's reps paired to them on
    the common clock (`pair_reps`), its unpaired reps as rows of their own."""
    first = sources[0].analysis.reps
    rows = np.full((len(first), len(sources)), -1, dtype=np.int64)
    rows[:, 0] = np.arange(len(first))
    times = first.t_bottom.astype(float)
    for s, src in enumerate(sources[1:], start=1):
        t = src.analysis.reps.t_bottom + src.offset_s
        ia, ib = pair_reps(times, t)
        rows[ia, s] = ib
        rest = np.setdiff1d(np.arange(len(t)), ib)
        extra = np.full((rest.size, len(sources)), -1, dtype=np.int64)
        extra[:, s] = rest
        rows = np.concatenate([rows, extra])
        times = np.concatenate([times, t[rest]])
    return rows


def _stack_all(sources: tuple[Source, ...]) -> np.ndarray:
    """``(R, S)`` rows of separate sets: every source's reps, each in a row of its own."""
    blocks = []
    for s, src in enumerate(sources):
        b = np.full((len(src.analysis.reps), len(sources)), -1, dtype=np.int64)
        b[:, s] = np.arange(len(src.analysis.reps))
        blocks.append(b)
    return np.concatenate(blocks) if blocks else np.empty((0, len(sources)), dtype=np.int64)


def _summary_source(sources: tuple[Source, ...], errors: MeasurementErrors) -> np.ndarray:
    """Per rule, the source whose reps judged it most often (ties: smaller measurement error of
    the rule's first check from the source's view, then canonical order); -1 when none did."""
    rules = sources[0].analysis.rules.rules
    out = np.full(len(rules), -1, dtype=np.int64)
    for k, rule in enumerate(rules):
        keys = []
        for s, src in enumerate(sources):
            judged = int((src.analysis.scores.status[:, k] > 0).sum())
            err = _error(errors, rule.name, rule.checks[0], src.view)
            keys.append((-judged, err, s))
        best = min(keys)
        out[k] = best[2] if best[0] < 0 else -1
    return out


__all__ = [
    "PAIR_TOLERANCE_S",
    "SAME_SET",
    "SAME_SET_MIN_CORRELATION",
    "SEPARATE_SETS",
    "FusedAnalysis",
    "Source",
    "Sync",
    "fuse",
    "normalised_xcorr",
    "pair_reps",
    "same_set",
    "synchronise",
]
