"""Per-frame joint angles as an OpenSim storage file (``.mot``), in degrees.

Columns (each side the subject's own): ``time`` (s, the video's timestamps), ``knee_flexion_left``,
``knee_flexion_right`` (0 = straight leg: formcheck's one knee angle,
`formcheck.core.metrics.knee_bend`, the measurement closest to the truth from each frame's
view), ``fppa_left``, ``fppa_right`` (frontal plane projection angle,
+ = knee medial), ``foot_progression_left``, ``foot_progression_right`` (+ = toes out) and
``trunk_lean`` (from vertical). These are formcheck's metrics with their conventions
(`formcheck.core.metrics`), not the generalised coordinates of an OpenSim model. A value is ``NaN``
wherever ``frames.csv`` leaves its cell empty (unknown, or not measurable from that view); a column
with no value at all (FPPA and foot progression from the side) is left out and the header says so.

OpenSim reads the file with ``TimeSeriesTable`` / ``STOFileAdapter`` (OpenSim 4's tables, NaN
included). Its legacy ``Storage`` class (used by the GUI's *Load Motion*) reads the header but stops
at the first ``NaN`` row, as it does for every storage file with missing values.
"""

from __future__ import annotations

import numpy as np

from ..core.metrics import KNEE_BEND
from ..core.metricset import MetricSet
from .markers import number_cells

#: ``.mot`` column base -> metric base name in `MetricSet`.
ANGLES: dict[str, str] = {
    "knee_flexion": KNEE_BEND,
    "fppa": "fppa",
    "foot_progression": "foot_progression",
    "trunk_lean": "trunk_lean",
}


def angle_sources(metrics: MetricSet) -> dict[str, str]:
    """``.mot`` column name -> the metric it copies, for the metrics ``metrics`` holds."""
    out = {}
    for column, base in ANGLES.items():
        if base in metrics:
            out[column] = base
        for side in ("left", "right"):
            if f"{base}_{side}" in metrics:
                out[f"{column}_{side}"] = f"{base}_{side}"
    return out


def mot_text(metrics: MetricSet, view: str) -> str:
    """The angles of `angle_sources` as an OpenSim ``.mot`` (Storage version 1, ``inDegrees=yes``,
    tab-separated, the header lines Sports2D writes, plus one line per column naming its metric)."""
    sources = angle_sources(metrics)
    missing = [c for c, m in sources.items() if not metrics[m].valid.any()]
    sources = {c: m for c, m in sources.items() if c not in missing}
    n = metrics.n_frames
    table = np.column_stack(
        [np.char.mod("%.6f", np.asarray(metrics.timestamps, dtype=float))]
        + [number_cells(metrics[m].masked, "%.4f") for m in sources.values()]
    )
    header = [
        "Coordinates",
        "version=1",
        f"nRows={n}",
        f"nColumns={len(sources) + 1}",
        "inDegrees=yes",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "Angles are in degrees. formcheck metrics (see formcheck.core.metrics), "
        f"{view} view; NaN where not measurable.",
        *(f"{column} = formcheck metric {metric}" for column, metric in sources.items()),
        *([f"Not measurable from the {view} view: {', '.join(missing)}"] if missing else []),
        "",
        "endheader",
        "\t".join(["time", *sources]),
    ]
    return "\n".join(header + ["\t".join(row) for row in table.tolist()]) + "\n"
