"""Assemble the report dict (``report.json``, see ``schema.json``) from an `Analysis`.

The input is the finished product of the core (`formcheck.core.analysis.Analysis`); nothing
is measured or decided here: this module only arranges, rounds, names and words it.
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

from ..core.analysis import ANALYSED, Analysis
from ..core.scoring import RepScore, RuleResult
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
    analysis: Analysis,
    *,
    video_path: str | Path,
    width: int,
    height: int,
    message: str,
    files: Mapping[str, str | None],
) -> dict[str, Any]:
    """The report dict (``report.json``, see ``schema.json``) of ``analysis``.

    Parameters
    ----------
    analysis : Analysis
        What the core found (`formcheck.core.analysis.analyze`).
    video_path : str or Path
        The video analysed, as the report names it.
    width, height : int
        The video's size in pixels.
    message : str
        One sentence on the outcome; the verdict unless ``analysis.status`` is ``analysed``.
    files : Mapping[str, str or None]
        The report folder's file names by role.
    """
    seq, scores = analysis.sequence, analysis.scores
    status = analysis.status
    reps = [_rep_entry(rep) for rep in scores.reps]
    score = _number(scores.score, 1) if reps else None
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
        "view": analysis.view,
        "view_fractions": analysis.view_fractions,
        "summary": {
            "rep_count": len(reps),
            "score": score,
            "grade": scores.grade() if reps else None,
            "verdict": scores.verdict() if status == ANALYSED else message,
            "top_cues": [str(c["cue"]) for c in scores.top_cues()][:3],
            "not_judged": [
                {k: str(item[k]) for k in ("rule", "title", "hint")} for item in scores.not_judged()
            ],
            "too_close": scores.too_close(),
        },
        "rules": rules_section(analysis.rules),
        "not_counted": analysis.rejected.to_list(),
        "reps": reps,
        "versions": {
            "formcheck": package_version("formcheck"),
            "mediapipe": seq.meta.get("mediapipe") or package_version("mediapipe"),
            "model_sha256": seq.model_sha256,
            "rule_set": f"{analysis.rules.name} {analysis.rules.version}".strip(),
            "python": platform.python_version(),
        },
        "files": dict(files),
    }


def _number(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    v = float(value)
    return round(v, digits) if np.isfinite(v) else None


def _rule_entry(r: RuleResult) -> dict[str, Any]:
    """A rule's verdict on a rep as the report has it: NaN as null, empty words left out."""
    entry: dict[str, Any] = {"status": r.status, "value": _number(r.value), "unit": str(r.unit)}
    entry["error"] = _number(r.error)  # since schema 1.2
    entry["threshold"] = _number(r.threshold)
    if r.left is not None or r.right is not None:
        entry["left"], entry["right"] = _number(r.left), _number(r.right)
    for key in ("compare", "metric", "reason"):
        if getattr(r, key):
            entry[key] = str(getattr(r, key))
    return entry


def _rep_entry(rep: RepScore) -> dict[str, Any]:
    """A scored rep as the report has it: times rounded, NaN as null."""
    return {
        "index": int(rep.index),
        "start_s": round(float(rep.t_start), 4),
        "bottom_s": round(float(rep.t_bottom), 4),
        "end_s": round(float(rep.t_end), 4),
        "start_frame": int(rep.start),
        "bottom_frame": int(rep.bottom),
        "end_frame": int(rep.end),
        "score": _number(rep.score, 1),
        "view": str(rep.view),
        "measurements": {k: _number(v) for k, v in rep.measurements.items()},
        "measurement_errors": {k: _number(v) for k, v in rep.measurement_errors.items()},
        "rules": {name: _rule_entry(r) for name, r in rep.results.items()},
    }
