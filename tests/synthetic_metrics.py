"""Exact, hand-built `MetricSet`s for the reps / rules / scoring tests."""

from __future__ import annotations

import numpy as np

from formcheck.core.metricset import VIEW_FRONT, Metric, MetricSet

UNITS = {
    "knee_flexion": "deg",
    "knee_flexion_image": "deg",
    "fppa": "deg",
    "knee_deviation": "deg",
    "medial_knee_shift": "%",
    "foot_progression": "deg",
    "heel_elevation": "cm",
    "foot_pitch": "deg",
}


def squat_flexion(
    n_reps: int = 3,
    fps: float = 30.0,
    peak: float = 100.0,
    top: float = 0.0,
    descent_s: float = 1.0,
    ascent_s: float = 1.0,
    stand_s: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knee flexion (deg) of ``n_reps`` half-cosine squats separated by standing
    at ``top``; returns ``(flexion, bottoms, timestamps)``. Each bottom is the
    single frame where flexion equals ``peak``."""
    nd, na, ns = round(descent_s * fps), round(ascent_s * fps), round(stand_s * fps)
    down = (
        top + (peak - top) * (1 - np.cos(np.pi * np.arange(nd) / nd)) / 2
    )  # top .. just below peak
    up = top + (peak - top) * (1 + np.cos(np.pi * np.arange(na) / na)) / 2  # peak .. just above top
    rep = np.concatenate((down, up))
    stand = np.full(ns, top)
    parts, bottoms, pos = [stand], [], ns
    for _ in range(n_reps):
        parts += [rep, stand]
        bottoms.append(pos + nd)
        pos += rep.size + ns
    flex = np.concatenate(parts)
    return flex, np.array(bottoms, dtype=np.int64), np.arange(flex.size) / fps


def metric_set(
    timestamps: np.ndarray,
    view: int | np.ndarray = VIEW_FRONT,
    **values: np.ndarray | float,
) -> MetricSet:
    """A `MetricSet` from named arrays (or constants); ``name__valid`` keys give masks."""
    ts = np.asarray(timestamps, dtype=np.float64)
    n = ts.shape[0]
    metrics = {}
    for name, v in values.items():
        if name.endswith("__valid"):
            continue
        arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()
        valid = np.broadcast_to(np.asarray(values.get(name + "__valid", True), dtype=bool), (n,))
        base = name.rsplit("_", 1)[0] if name.endswith(("_left", "_right")) else name
        metrics[name] = Metric(name, arr, valid, UNITS.get(base, ""))
    return MetricSet(ts, np.broadcast_to(np.asarray(view, dtype=np.int8), (n,)).copy(), metrics)


def squat_metrics(
    flex_left: np.ndarray,
    flex_right: np.ndarray | None = None,
    timestamps=None,
    fps: float = 30.0,
    hip_per_deg: float = 0.004,
    **extra,
) -> MetricSet:
    """Knee flexion for both legs (world), hip_drop = ``hip_per_deg`` x the
    smaller flexion (0.4 leg lengths at 100 deg), plus ``extra`` metrics."""
    fl = np.asarray(flex_left, dtype=np.float64)
    fr = fl if flex_right is None else np.asarray(flex_right, dtype=np.float64)
    ts = np.arange(fl.size) / fps if timestamps is None else timestamps
    hip = hip_per_deg * np.minimum(fl, fr)
    extra.setdefault("hip_drop", hip)
    return metric_set(ts, knee_flexion_left=fl, knee_flexion_right=fr, **extra)
