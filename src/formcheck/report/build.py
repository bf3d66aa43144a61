"""Assemble the report dict (``report.json``, see ``schema.json``) from an analysis.

Inputs are the finished products of the core: the `PoseSequence`, its `MetricSet`, the
`Reps`, the scoring result's ``to_dict()`` and the `RuleSet`. Nothing is measured here;
this module only arranges, names and words what was measured.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ..core.metricset import VIEW_NAMES, MetricSet
from ..core.sequence import PoseSequence
from .schema import SCHEMA_VERSION

#: Words for a rule's comparison, e.g. "at least 100°".
_COMPARE_WORDS = {">=": "at least", "<=": "at most", "within": "within ±"}
_UNIT_WORDS = {"deg": "°", "degrees": "°", "%": "%"}


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def target_text(compare: str, threshold: float, unit: str) -> str:
    """A rule's limit in words: ``at least 100°``, ``at most 1.2× hip width``, ``within ±10°``."""
    words = _COMPARE_WORDS.get(compare, compare)
    number = f"{threshold:g}"
    unit_text = _UNIT_WORDS.get(unit, f" {unit}" if unit else "")
    sep = "" if words.endswith("±") else " "
    return f"{words}{sep}{number}{unit_text}"


def view_summary(metrics: MetricSet, detected: np.ndarray) -> tuple[str, dict[str, float]]:
    """The camera view seen on most frames with a person, and the share of each view."""
    view = np.asarray(metrics.view)[np.asarray(detected, dtype=bool)]
    if view.size == 0:
        return "unknown", {}
    codes, counts = np.unique(view, return_counts=True)
    fractions = {
        VIEW_NAMES.get(int(c), "unknown"): round(float(n) / view.size, 4)
        for c, n in zip(codes, counts, strict=True)
    }
    known = {k: v for k, v in fractions.items() if k != "unknown"}
    main = max(known, key=known.get) if known else "unknown"  # type: ignore[arg-type]
    return main, fractions


#: How a view reads after a target ("at least 110° from the side").
VIEW_WORDS = {"front": "from the front", "oblique": "at 45°", "side": "from the side"}


def rules_section(ruleset: Any) -> list[dict[str, Any]]:
    """The rule set as report entries, with a ``target`` in words; where fallback checks
    judge other views by other limits, each limit names its views ("at least 110° from the
    side, at least 100° at 45° or from the front")."""
    out = []
    for rule in ruleset.rules:
        d = rule.to_dict()
        targets: dict[str, list[str]] = {}
        for c in d.get("checks", [d]):
            views = targets.setdefault(target_text(c["compare"], c["threshold"], c["unit"]), [])
            views += [v for v in c.get("views", ["any"]) if v not in views]
        if len(targets) == 1 or any("any" in views for views in targets.values()):
            d["target"] = " or ".join(targets)
        else:
            d["target"] = ", ".join(
                f"{target} {' or '.join(VIEW_WORDS.get(v, v) for v in views)}"
                for target, views in targets.items()
            )
        out.append(d)
    return out


def people_section(seq: PoseSequence) -> dict[str, Any]:
    """``{"people": ...}``: how many people were in view at once and which one was analysed
    (from ``seq.meta``, see `formcheck.media.pose.extract`); empty for landmarks that do not
    say (caches from before formcheck looked for several people)."""
    if "people_seen" not in seq.meta:
        return {}
    seen = int(seq.meta["people_seen"])
    tracked = json.loads(seq.meta.get("people", "[]"))
    where = tracked[0]["position"] if tracked else None
    if seen < 2:
        note = "1 person in view" if seen == 1 else "nobody in view"
    else:
        place = "in the centre" if where == "centre" else f"on the {where}"
        moved_most = tracked[0]["hip_motion"] >= max(p["hip_motion"] for p in tracked)
        why = ", who moves up and down the most" if moved_most else ""
        note = f"{seen} people in view; analysed the one {place} of the frame{why}"
    return {"people": {"seen": seen, "analysed": where, "note": note, "tracked": tracked}}


def build_report(
    *,
    video_path: str | Path,
    width: int,
    height: int,
    seq: PoseSequence,
    metrics: MetricSet,
    scored: Mapping[str, Any],
    ruleset: Any,
    status: str,
    message: str,
    files: Mapping[str, str | None],
) -> dict[str, Any]:
    """The report dict. ``scored`` is `formcheck.core.scoring.SetScore.to_dict()`; ``status`` one of
    ``analysed``, ``no_person``, ``no_squat`` (then ``message`` is the verdict)."""
    rules = rules_section(ruleset)
    view, fractions = view_summary(metrics, seq.detected)
    summary = scored["summary"]
    reps = [_rep_entry(rep) for rep in scored["reps"]]
    score = _number(summary["score"], 1) if reps else None
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": status,
        "message": message,
        "video": {
            "path": str(video_path),
            "fps": float(seq.fps),
            "frames": len(seq),
            "duration_s": round(float(seq.duration), 4),
            "width": int(width),
            "height": int(height),
            "person_found_fraction": round(float(seq.detected.mean()), 4) if len(seq) else 0.0,
        },
        **people_section(seq),
        "view": view,
        "view_fractions": fractions,
        "summary": {
            "rep_count": len(reps),
            "score": score,
            "verdict": summary["verdict"] if status == "analysed" else message,
            "top_cues": [str(c) for c in summary["top_cues"]][:3],
            "not_judged": [
                {k: str(item[k]) for k in ("rule", "title", "hint")}
                for item in summary["not_judged"]
            ],
        },
        "rules": rules,
        "reps": reps,
        "versions": {
            "formcheck": package_version("formcheck"),
            "mediapipe": seq.meta.get("mediapipe") or package_version("mediapipe"),
            "model_sha256": seq.model_sha256,
            "rule_set": f"{ruleset.name} {ruleset.version}".strip(),
            "python": platform.python_version(),
        },
        "files": dict(files),
    }


def _number(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    v = float(value)
    return round(v, digits) if np.isfinite(v) else None


def _rep_entry(rep: Mapping[str, Any]) -> dict[str, Any]:
    """A scored rep as the report has it: times rounded, NaN as null."""
    rules = {}
    for name, r in rep["rules"].items():
        entry = {
            "status": r["status"],
            "value": _number(r.get("value")),
            "unit": str(r.get("unit", "")),
        }
        for key in ("threshold", "left", "right"):
            if key in r:
                entry[key] = _number(r[key])
        for key in ("compare", "metric", "reason"):
            if r.get(key):
                entry[key] = str(r[key])
        rules[name] = entry
    return {
        "index": int(rep["index"]),
        "start_s": round(float(rep["start_s"]), 4),
        "bottom_s": round(float(rep["bottom_s"]), 4),
        "end_s": round(float(rep["end_s"]), 4),
        "start_frame": int(rep["start_frame"]),
        "bottom_frame": int(rep["bottom_frame"]),
        "end_frame": int(rep["end_frame"]),
        "score": _number(rep.get("score"), 1),
        "view": str(rep.get("view", "unknown")),
        "measurements": {k: _number(v) for k, v in rep.get("measurements", {}).items()},
        "rules": rules,
    }
