"""``frames.csv`` (one row per video frame) and ``reps.csv`` (one row per repetition).

Plain RFC 4180 CSV with ASCII headers that carry the unit (``knee_flexion_left_deg``,
``heel_elevation_left_cm``), numbers with a dot decimal separator, and empty cells where a
value is unknown or must not be judged (a frontal-plane angle seen from the side), so a
spreadsheet opens them without an import dialog.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.metricset import VIEW_NAMES, MetricSet
from ..core.scoring import SetScore

_UNIT_SUFFIX = {
    "deg": "deg",
    "degree": "deg",
    "degrees": "deg",
    "°": "deg",
    "cm": "cm",
    "m": "m",
    "s": "s",
    "%": "pct",
    "percent": "pct",
    "ratio": "ratio",
    "x": "ratio",
    "": "",
}


def unit_suffix(unit: str) -> str:
    """Column-name suffix for ``unit``: ``deg``, ``cm``, ``pct``... (ASCII, lower case)."""
    key = unit.strip().lower()
    if key in _UNIT_SUFFIX:
        return _UNIT_SUFFIX[key]
    return re.sub(r"[^a-z0-9]+", "_", key).strip("_")


def column_name(name: str, unit: str) -> str:
    """``name`` with its unit suffix, e.g. ``knee_flexion_left_deg``."""
    suffix = unit_suffix(unit)
    return f"{name}_{suffix}" if suffix and not name.endswith(f"_{suffix}") else name


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return ""
    v = float(value)
    return f"{v:.{digits}f}" if np.isfinite(v) else ""


def frames_csv(metrics: MetricSet, rep_spans: np.ndarray, detected: np.ndarray) -> str:
    """One row per frame: time, whether a person was found, the camera view, the repetition
    the frame belongs to (empty between reps) and every metric (empty where not valid).

    ``rep_spans`` ``(N, 2)`` start and end frame (inclusive) of each repetition.
    """
    n = metrics.n_frames
    spans = np.asarray(rep_spans, dtype=np.int64).reshape(-1, 2)
    rep = np.zeros(n, dtype=np.int64)
    for k, (a, b) in enumerate(spans):  # one slice per repetition, not per frame
        rep[a : b + 1] = k + 1
    names = list(metrics)
    header = ["frame", "time_s", "person_found", "view", "rep"]
    header += [column_name(m, metrics[m].unit) for m in names]
    columns: list[Sequence[str]] = [
        [str(i) for i in range(n)],
        [f"{t:.4f}" for t in np.asarray(metrics.timestamps, dtype=float)],
        ["1" if d else "0" for d in np.asarray(detected, dtype=bool)],
        [VIEW_NAMES.get(int(v), "unknown") for v in np.asarray(metrics.view)],
        [str(r) if r else "" for r in rep],
    ]
    for m in names:
        values = metrics[m].masked
        text = np.char.mod("%.3f", np.nan_to_num(values))
        columns.append(np.where(np.isfinite(values), text, "").tolist())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def _error_column(measurement: str) -> str:
    """``peak_knee_flexion_deg`` -> ``peak_knee_flexion_error_deg``: the error beside its unit."""
    base, _, unit = measurement.rpartition("_")
    return f"{base}_error_{unit}"


def reps_csv(scores: SetScore) -> str:
    """One row per repetition of ``scores``: times (s), score, view, the measurements and the
    measurement error of those that have one (empty where unknown from the rep's view), and per
    rule its status (``pass``, ``fail``, ``borderline``, ``not_judged``), measured value and that
    value's measurement error (both in the unit of the rule's first check; the error empty when
    unknown)."""
    rules = scores.rules.rules
    header = ["rep", "start_s", "bottom_s", "end_s", "duration_s", "score", "view"]
    # per-rep measurements carry their unit in their name (descent_s, lockout_knee_flexion_deg, ...)
    measures = [k for k in scores.measurements if k not in header]
    header += measures
    # and the error of each that has one (descent_error_s, peak_knee_flexion_error_deg, ...)
    known = [k for k in measures if k in scores.measurement_errors]
    header += [_error_column(k) for k in known]
    for rule in rules:
        unit = rule.primary.unit
        header += [f"{rule.name}_status", column_name(rule.name, unit)]
        header += [column_name(f"{rule.name}_error", unit)]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for rep in scores.reps:
        row = [
            str(rep.index),
            _num(rep.t_start, 3),
            _num(rep.t_bottom, 3),
            _num(rep.t_end, 3),
            _num(rep.t_end - rep.t_start, 3),
            _num(rep.score, 1),
            rep.view,
        ]
        row += [_num(rep.measurements.get(k)) for k in measures]
        row += [_num(rep.measurement_errors.get(k)) for k in known]
        for rule in rules:
            res = rep.results[rule.name]
            row += [res.status, _num(res.value), _num(res.error)]
        writer.writerow(row)
    return buf.getvalue()
