"""Assemble the report dict (``report.json``, see ``schema.json``) from an analysis.

Inputs are the finished products of the core: the `PoseSequence`, its `MetricSet`, the
`Reps`, the scoring result's ``to_dict()`` and the `RuleSet`. Nothing is measured here;
this module only arranges, names and words what was measured.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ..metricset import VIEW_NAMES, MetricSet
from ..sequence import PoseSequence
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


def rules_section(ruleset: Any) -> list[dict[str, Any]]:
    """The rule set as report entries (with a ``target`` in words)."""
    out = []
    for rule in ruleset.rules:
        d = rule.to_dict()
        d["target"] = target_text(d["compare"], d["threshold"], d["unit"])
        out.append(d)
    return out


def _hint(rule: Mapping[str, Any]) -> str:
    if rule.get("hint"):
        return str(rule["hint"])
    views = [v for v in rule.get("views", []) if v != "any"]
    where = "the front" if "front" in views else "the side" if "side" in views else "another angle"
    return f"Film from {where} to check {rule['title'].lower()}"


def verdict_text(score: float | None, reps: list[dict[str, Any]], cues: list[str]) -> str:
    """One plain sentence on the whole set."""
    n = len(reps)
    if n == 0 or score is None:
        return "Nothing could be judged from this video."
    failing = sum(any(r["status"] == "fail" for r in rep["rules"].values()) for rep in reps)
    label = "Good" if score >= 80 else "Fair" if score >= 60 else "Needs work"
    if failing == 0:
        plural = "s" if n != 1 else ""
        return f"{label}: all {n} rep{plural} passed every check that could be judged from this view."
    main = f" Main fix: {cues[0][0].lower()}{cues[0][1:].rstrip('.')}." if cues else ""
    verb = "needs" if failing == 1 else "need"
    return f"{label}: {failing} of {n} rep{'s' if n != 1 else ''} {verb} work.{main}"


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
    """The report dict. ``scored`` is the scoring result's ``to_dict()``; ``status`` one of
    ``analysed``, ``no_person``, ``no_squat``."""
    rules = rules_section(ruleset)
    view, fractions = view_summary(metrics, seq.detected)
    reps = [_rep_entry(k, rep) for k, rep in enumerate(scored.get("reps", []))]
    score = scored.get("score")
    score = None if score is None or not np.isfinite(score) or not reps else round(float(score), 1)
    cues = [str(c) for c in scored.get("top_cues", [])][:3]
    never_judged = [
        r for r in rules
        if reps and all(rep["rules"].get(r["name"], {}).get("status") == "not_judged" for rep in reps)
    ]  # fmt: skip
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
        "view": view,
        "view_fractions": fractions,
        "summary": {
            "rep_count": len(reps),
            "score": score,
            "verdict": verdict_text(score, reps, cues) if status == "analysed" else message,
            "top_cues": cues,
            "not_judged": [{"rule": r["name"], "title": r["title"], "hint": _hint(r)} for r in never_judged],
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


def _number(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return round(v, 3) if np.isfinite(v) else None


def _rep_entry(k: int, rep: Mapping[str, Any]) -> dict[str, Any]:
    rules = {
        name: {"status": r["status"], "value": _number(r.get("value")), "unit": str(r.get("unit", ""))}
        | ({"reason": str(r["reason"])} if r.get("reason") else {})
        for name, r in rep["rules"].items()
    }
    score = rep.get("score")
    return {
        "index": k + 1,
        "start_s": round(float(rep["t_start"]), 4),
        "bottom_s": round(float(rep["t_bottom"]), 4),
        "end_s": round(float(rep["t_end"]), 4),
        "start_frame": int(rep["start"]),
        "bottom_frame": int(rep["bottom"]),
        "end_frame": int(rep["end"]),
        "score": None if score is None or not np.isfinite(score) else round(float(score), 1),
        "rules": rules,
    }
