"""`formcheck.core.analysis`: one `Analysis` holds each fact the report, record and batch read."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.core.analysis import ANALYSED, NO_PERSON, NO_SQUAT, analyze, set_view
from formcheck.core.metricset import VIEW_FRONT, VIEW_SIDE, VIEW_UNKNOWN
from formcheck.core.ruleset import load_rules
from formcheck.testing import squat_sequence

RULES = load_rules()


def test_analyze_holds_metrics_reps_scores_and_views_of_one_run() -> None:
    seq = squat_sequence(n_reps=2, yaw_deg=90.0, valgus_deg=0.0, lockout_deg=25.0)
    a = analyze(seq, RULES)
    assert a.status == ANALYSED and len(a.reps) == 2 and a.scores.rep_count == 2
    assert a.sequence is seq and a.rules is RULES and "knee_bend_left" in a.metrics
    assert a.view == "side" and a.rep_views == ["side", "side"]
    assert a.rejected.movements == ()
    assert a.scores.errors.shape == a.scores.values.shape
    # the knees stay bent 25 deg at the top: full extension fails, and is each rep's heaviest
    # failure unless a rule at least as heavy failed before it in the file
    statuses = [r.results["full_extension"].status for r in a.scores.reps]
    assert statuses == ["fail", "fail"]
    weights = {r.name: r.weight for r in RULES.rules}
    for rep, worst in zip(a.scores.reps, a.worst_failed(), strict=True):
        failed = [n for n, r in rep.results.items() if r.status == "fail"]
        assert worst in failed and weights[worst] == max(weights[n] for n in failed)
        assert failed.index(worst) == min(
            i for i, n in enumerate(failed) if weights[n] == weights[worst]
        )


@pytest.mark.parametrize("kind", ["nobody", "standing"])
def test_analyze_says_when_there_is_no_person_or_no_squat(kind: str) -> None:
    seq = squat_sequence(n_reps=1, peak_knee_flexion=5.0)
    if kind == "nobody":
        nan = np.full_like(seq.landmarks, np.nan)
        seq = replace(
            seq, landmarks=nan, world=nan.copy(), visibility=np.zeros(seq.visibility.shape)
        )
    a = analyze(seq, RULES)
    assert a.status == (NO_PERSON if kind == "nobody" else NO_SQUAT)
    assert len(a.reps) == 0 and a.worst_failed() == [] and a.rep_views == []


def test_set_view_counts_frames_with_a_person_and_prefers_known_views() -> None:
    view = np.array([VIEW_UNKNOWN] * 5 + [VIEW_SIDE] * 2 + [VIEW_FRONT] * 3, dtype=np.int8)
    assert set_view(view, np.ones(10, bool)) == (
        "front",
        {"unknown": 0.5, "side": 0.2, "front": 0.3},
    )
    assert set_view(view, np.zeros(10, bool)) == ("unknown", {})
