"""Scoring: exact verdicts, values and scores on hand-built metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_metrics import metric_set, squat_flexion

from formcheck.core.measurement_error import MeasurementErrors
from formcheck.core.metricset import VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE, VIEW_UNKNOWN
from formcheck.core.reps import RepParams, Reps, find_reps
from formcheck.core.ruleset import load_rules, parse_rules
from formcheck.core.scoring import _Evaluator, _phase_windows, _Windows, rep_views
from formcheck.core.scoring import score_reps as _score_reps

RULES = load_rules()
#: No known measurement error: the verdicts pinned here are those of exact measurements, at the
#: thresholds themselves (no borderline; `tests/test_borderline.py` covers the error band).
EXACT = MeasurementErrors()


def score_reps(metrics, reps, rules=None):
    """`formcheck.core.scoring.score_reps` with exact measurements (`EXACT`)."""
    return _score_reps(metrics, reps, rules, errors=EXACT)


WEIGHTS = {r.name: r.weight for r in RULES.rules}


def good_squat(view=VIEW_FRONT, n_reps=3, peak=120.0, **overrides):
    """A textbook cyclist squat: every judgeable rule passes. ``overrides`` replace metrics."""
    flex, bottoms, ts = squat_flexion(n_reps=n_reps, peak=peak, descent_s=1.5, ascent_s=1.0)
    depth = flex / peak  # 0 standing .. 1 at the bottom
    values = {
        "knee_flexion_left": flex,
        "knee_flexion_right": flex,
        "knee_flexion_image_left": flex,
        "knee_flexion_image_right": flex,
        "knee_deviation_left": 6.0 * depth,
        "knee_deviation_right": 4.0 * depth,
        "medial_knee_shift_left": 2.0 * depth,
        "medial_knee_shift_right": 2.0 * depth,
        "foot_progression_left": 3.0,
        "foot_progression_right": -2.0,
        "stance_width": 1.0,
        "heel_elevation_left": 8.0,
        "heel_elevation_right": 8.5,
        "foot_pitch_left": 24.0,
        "foot_pitch_right": 24.0,
        "trunk_lean": 15.0 + 15.0 * depth,
        "hip_above_knee": 1.0 - 1.2 * depth,
        # thighs vertical standing, 10 deg below the horizontal at 120 deg of knee bend (depth:
        # at least parallel), above it in a shallower squat
        "thigh_from_horizontal": 90.0 - 100.0 * flex / 120.0,
        "hip_drop": 1.0 * depth,
        # as compute_metrics: the image knee angle is true from the side only
        "knee_flexion_image_left__valid": view == VIEW_SIDE,
        "knee_flexion_image_right__valid": view == VIEW_SIDE,
    }
    values.update(overrides)
    return metric_set(ts, view=view, **values), bottoms


def verdicts(result, i=0):
    return {name: r.status for name, r in result.rep(i).results.items()}


FRONT_ONLY = {"narrow_stance", "feet_parallel", "knees_over_feet", "symmetry"}
SIDE_ONLY = {"heels_elevated", "high_chest", "full_extension"}
#: Depth (the thighs' angle to the horizontal) is judged from every view.
NOT_FROM_FRONT = SIDE_ONLY


def test_good_front_view_squat_passes_every_judgeable_rule():
    m, bottoms = good_squat()
    reps = find_reps(m)
    # the bottom plateau's middle: a frame towards the slower descent (1.5 s against 1.0 s)
    np.testing.assert_array_equal(reps.bottom, bottoms - 1)
    result = score_reps(m, reps)
    for i in range(3):
        v = verdicts(result, i)
        assert {name for name, status in v.items() if status == "not_judged"} == NOT_FROM_FRONT
        assert {name for name, status in v.items() if status == "pass"} == set(v) - NOT_FROM_FRONT
    rep = result.rep(0)
    assert rep.score == 100.0 and rep.view == "front"
    assert rep.results["high_chest"].reason == "not judgeable from the front view"
    assert rep.results["high_chest"].value is None
    assert rep.results["knees_over_feet"].value == pytest.approx(6.0)
    assert (
        rep.results["knees_over_feet"].left,
        rep.results["knees_over_feet"].right,
    ) == pytest.approx((6, 4))
    assert rep.results["feet_parallel"].value == 3.0  # the foot farther from parallel
    assert rep.results["symmetry"].value == 0.0
    assert result.score == 100.0 and result.top_cues() == []
    assert result.verdict() == "3 reps, average score 100 of 100. Good form."
    assert rep.results["depth"].value == pytest.approx(-10.0)
    assert [d["rule"] for d in result.not_judged()] == [
        "heels_elevated",
        "high_chest",
        "full_extension",
    ]


def test_side_view_judges_heels_depth_chest_and_lockout_but_not_the_knees():
    m, _ = good_squat(view=VIEW_SIDE, trunk_lean=50.0)
    result = score_reps(m, find_reps(m))
    rep = result.rep(1)
    v = verdicts(result, 1)
    for name in FRONT_ONLY:
        assert v[name] == "not_judged"
        assert rep.results[name].reason == "not judgeable from the side view"
    assert v["high_chest"] == "fail" and rep.results["high_chest"].value == 50.0
    heels, depth = rep.results["heels_elevated"], rep.results["depth"]
    assert (heels.status, heels.metric, heels.value, heels.unit) == (
        "pass",
        "foot_pitch",
        24.0,
        "deg",
    )
    assert (depth.status, depth.metric, depth.value) == (
        "pass",
        "thigh_from_horizontal",
        pytest.approx(-10.0),
    )
    assert (rep.results["full_extension"].status, rep.results["full_extension"].value) == (
        "pass",
        0.0,
    )
    judged = [*SIDE_ONLY, "depth", "controlled_descent", "controlled_ascent"]
    total = sum(WEIGHTS[n] for n in judged)
    assert rep.score == pytest.approx(100 * (total - WEIGHTS["high_chest"]) / total)
    assert result.top_cues() == [
        {"rule": "high_chest", "cue": "Keep your chest up", "n_fail": 3, "severity": "medium"}
    ]
    hints = {d["rule"]: d["hint"] for d in result.not_judged()}
    assert hints["knees_over_feet"] == "Film from the front to check whether your knees cave in."
    assert "high_chest" not in hints


def test_oblique_view_judges_depth_from_the_thighs_angle():
    flex, _, _ = squat_flexion(n_reps=3, peak=120.0, descent_s=1.5, ascent_s=1.0)
    m, _ = good_squat(view=VIEW_OBLIQUE, thigh_from_horizontal=90.0 - 80.0 * flex / 120.0)
    result = score_reps(m, find_reps(m))
    depth = result.rep(0).results["depth"]
    assert (depth.status, depth.metric, depth.value) == (
        "fail",
        "thigh_from_horizontal",
        pytest.approx(10.0),
    )
    assert depth.threshold == 0.0
    assert result.rep(0).results["full_extension"].status == "not_judged"  # side only
    assert result.rep(0).results["high_chest"].status == "pass"


@pytest.mark.parametrize(
    ("view", "rule", "override", "value"),
    [
        (VIEW_FRONT, "narrow_stance", {"stance_width": 1.8}, 1.8),
        (VIEW_FRONT, "feet_parallel", {"foot_progression_right": 25.0}, 25.0),
        (VIEW_FRONT, "knees_over_feet", {"knee_deviation_right": "20 at depth"}, 20.0),
        (
            VIEW_FRONT,
            "symmetry",
            {"knee_flexion_left": "x1.1", "knee_flexion_right": "x0.92"},
            "0.18 bottom",
        ),
        (VIEW_SIDE, "heels_elevated", {"foot_pitch_left": 5.0, "foot_pitch_right": 4.0}, 4.0),
        (VIEW_SIDE, "depth", {"thigh_from_horizontal": "10 above parallel"}, 10.0),
        (VIEW_FRONT, "depth", {"thigh_from_horizontal": "10 above parallel"}, 10.0),
        (VIEW_SIDE, "high_chest", {"trunk_lean": 45.0}, 45.0),
        (VIEW_SIDE, "full_extension", {"knee_flexion_image_left": "+15"}, 15.0),
    ],
)
def test_each_fault_fails_its_rule_and_only_that_rule(view, rule, override, value):
    flex, bottoms, _ = squat_flexion(n_reps=3, peak=120.0, descent_s=1.5, ascent_s=1.0)
    bottom_median = np.median(flex[bottoms[0] - 4 : bottoms[0] + 5])  # +-0.15 s at 30 fps
    made = {
        "20 at depth": 20.0 * flex / 120.0,
        "x1.1": flex * 1.1,
        "x0.92": flex * 0.92,
        "x0.8": flex * 0.8,
        "+15": flex + 15.0,
        "10 above parallel": 90.0 - 80.0 * flex / 120.0,
    }
    overrides = {k: made.get(v, v) if isinstance(v, str) else v for k, v in override.items()}
    value = 0.18 * bottom_median if value == "0.18 bottom" else value
    m, _ = good_squat(view=view, **overrides)
    result = score_reps(m, find_reps(m))
    v = verdicts(result)
    assert v.pop(rule) == "fail", rule
    assert result.rep(0).results[rule].value == pytest.approx(value), rule
    assert "fail" not in v.values(), (rule, v)
    judged_w = sum(
        WEIGHTS[n]
        for n in WEIGHTS
        if n not in (NOT_FROM_FRONT if view == VIEW_FRONT else FRONT_ONLY)
    )
    assert result.rep(0).score == pytest.approx(100 * (judged_w - WEIGHTS[rule]) / judged_w)


def test_toes_in_fails_feet_parallel():
    m, _ = good_squat(foot_progression_left=-18.0)
    r = score_reps(m, find_reps(m)).rep(0).results["feet_parallel"]
    assert (r.status, r.value) == ("fail", -18.0)


def test_shallow_soft_fast_reps():
    """Depth, lockout and tempo from the knee flexion curve itself (side view)."""
    flex, _, ts = squat_flexion(n_reps=2, peak=95.0, top=14.0, descent_s=0.6, ascent_s=0.4)
    m, _ = good_squat()
    values = {name: m[name].values[: flex.size] for name in m}
    values |= {
        "knee_flexion_left": flex,
        "knee_flexion_right": flex,
        "hip_drop": flex / 95.0,
        "knee_flexion_image_left": flex,
        "knee_flexion_image_right": flex,
        "thigh_from_horizontal": 90.0 - 60.0 * flex / 95.0,  # 30 deg above parallel
    }
    m2 = metric_set(ts, view=VIEW_SIDE, **values)
    result = score_reps(m2, find_reps(m2))
    rep = result.rep(0)
    assert verdicts(result)["depth"] == "fail" and rep.results["depth"].value == pytest.approx(30.0)
    assert (
        verdicts(result)["full_extension"] == "fail" and rep.results["full_extension"].value == 14.0
    )
    assert rep.results["controlled_descent"].value == pytest.approx(0.6)
    assert verdicts(result)["controlled_descent"] == "fail"
    assert verdicts(result)["controlled_ascent"] == "fail"
    assert rep.measurements["lockout_knee_flexion_deg"] == 14.0
    assert rep.measurements["peak_knee_flexion_deg"] == pytest.approx(95.0)
    assert rep.measurements["descent_s"] == pytest.approx(0.6)
    assert rep.measurements["ascent_s"] == pytest.approx(0.4)
    assert [c["rule"] for c in result.top_cues()] == [
        "full_extension",
        "depth",
        "controlled_descent",
    ]


def test_fallback_check_decides_when_the_first_cannot():
    """Side view without image knee angles: the one knee angle falls back to the 3-D angle for
    lockout (`knee_bend`); depth reads the thighs' angle, which needs no knee angle."""
    m, _ = good_squat(view=VIEW_SIDE)
    values = {name: m[name].values for name in m}
    values |= {"knee_flexion_image_left__valid": False, "knee_flexion_image_right__valid": False}
    result = score_reps(metric_set(m.timestamps, view=VIEW_SIDE, **values), find_reps(m))
    lockout, depth = result.rep(0).results["full_extension"], result.rep(0).results["depth"]
    assert (lockout.status, lockout.metric, lockout.value) == ("pass", "knee_bend", 0.0)
    assert (depth.status, depth.metric, depth.value) == ("pass", "thigh_from_horizontal", -10.0)
    assert result.rep(0).measurements["peak_knee_flexion_deg"] == pytest.approx(120.0)


def test_measurements_use_the_image_knee_angle_where_the_3d_one_is_unknown():
    m, _ = good_squat(view=VIEW_SIDE)
    values = {name: m[name].values for name in m}
    values |= {"knee_flexion_left__valid": False, "knee_flexion_right__valid": False}
    values["knee_flexion_image_right"] = values["knee_flexion_image_right"] * 0.9
    result = score_reps(metric_set(m.timestamps, view=VIEW_SIDE, **values), find_reps(m))
    assert result.measurements["peak_knee_flexion_deg"] == pytest.approx([108.0] * 3)
    hidden = {name: m[name].values for name in m if not name.startswith("knee_flexion")}
    hidden |= {"knee_flexion_left": m["knee_flexion_left"].values}
    with pytest.raises(ValueError, match="knee_flexion_right"):
        find_reps(metric_set(m.timestamps, **hidden))


def test_invalid_and_missing_metrics_are_not_judged():
    m, _ = good_squat()
    values = {name: m[name].values for name in m if not name.startswith("knee_deviation")}
    values["stance_width__valid"] = np.arange(m.n_frames) % 3 == 0  # a third of the frames valid
    m2 = metric_set(m.timestamps, **values)
    result = score_reps(m2, find_reps(m2))
    rep = result.rep(0)
    assert rep.results["knees_over_feet"].status == "not_judged"
    assert rep.results["knees_over_feet"].reason == "the metric is not computed"
    assert rep.results["narrow_stance"].status == "not_judged"
    assert rep.results["narrow_stance"].reason == "too few valid frames"
    assert "knee_deviation_left/right" in result.missing_metrics


def test_one_side_missing_worst_uses_the_other_but_symmetry_needs_both():
    m, _ = good_squat()
    values = {name: m[name].values for name in m}
    values["knee_deviation_left__valid"] = False
    values["knee_flexion_left__valid"] = False
    values["knee_flexion_image_left__valid"] = False
    m2 = metric_set(m.timestamps, **values)
    rep = score_reps(m2, find_reps(m2)).rep(0)
    assert rep.results["knees_over_feet"].status == "pass"
    assert rep.results["knees_over_feet"].value == pytest.approx(4.0)
    assert rep.results["knees_over_feet"].left is None
    assert rep.results["symmetry"].status == "not_judged"


def test_rep_view_is_the_majority_of_known_views():
    m, _ = good_squat()
    reps = Reps.from_indices([0, 10, 20], [2, 12, 22], [4, 14, 24], m.timestamps)
    view = np.full(m.n_frames, VIEW_UNKNOWN, dtype=np.int8)
    view[0:3], view[3:5] = VIEW_SIDE, VIEW_FRONT
    view[13:15] = VIEW_OBLIQUE
    m2 = metric_set(m.timestamps, view=view, **{name: m[name].values for name in m})
    np.testing.assert_array_equal(rep_views(m2, reps), [VIEW_SIDE, VIEW_OBLIQUE, VIEW_UNKNOWN])


def test_no_reps_gives_an_empty_summary():
    m, _ = good_squat()
    result = score_reps(m, Reps.empty())
    assert result.rep_count == 0 and result.score is None and result.reps == []
    assert result.summary() == {
        "rep_count": 0,
        "score": None,
        "grade": None,
        "verdict": "No squat repetitions were found.",
        "top_cues": [],
        "not_judged": [],
    }


def test_reps_outside_the_metrics_are_rejected():
    m, _ = good_squat()
    with pytest.raises(ValueError, match="expected frames within"):
        score_reps(m, Reps.from_indices([0], [5], [m.n_frames], np.arange(m.n_frames + 1.0)))


def test_to_dict_is_strict_json_with_report_keys():
    m, _ = good_squat(view=VIEW_SIDE, stance_width=2.0)
    d = score_reps(m, find_reps(m)).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    assert set(d["summary"]) == {"rep_count", "score", "grade", "verdict", "top_cues", "not_judged"}
    rep = d["reps"][0]
    assert rep["index"] == 1 and rep["start_frame"] < rep["bottom_frame"] < rep["end_frame"]
    for res in rep["rules"].values():
        assert res["status"] in {"pass", "fail", "not_judged"} and "value" in res and "unit" in res
    assert d["rule_stats"]["depth"] == {
        "title": "Depth: thighs at least parallel",
        "n_pass": 3,
        "n_fail": 0,
        "n_not_judged": 0,
        "n_borderline": 0,
        "pass_rate": 1.0,
    }
    assert d["rule_stats"]["narrow_stance"]["pass_rate"] is None  # not judged from the side


def test_custom_rules_change_the_verdict():
    m, _ = good_squat()
    rule = {
        "name": "very_deep",
        "metric": "knee_flexion",
        "bilateral": True,
        "compare": ">=",
        "threshold": 130,
        "unit": "deg",
        "views": ["front"],
        "cue": "Deeper",
        "guidance": "g",
        "severity": "high",
    }
    strict = parse_rules({"name": "strict", "rule": [rule]})
    result = score_reps(m, find_reps(m), strict)
    assert verdicts(result) == {"very_deep": "fail"} and result.rep(0).score == 0.0
    assert result.summary()["top_cues"] == ["Deeper"]


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    peak_fppa=st.floats(12.01, 60.0), side=st.sampled_from(["left", "right"]), rep=st.integers(0, 2)
)
def test_valgus_above_threshold_fails_that_rule_and_only_that_rule(peak_fppa, side, rep):
    m, bottoms = good_squat()
    reps = find_reps(m)
    base = score_reps(m, reps)
    fppa = m[f"knee_deviation_{side}"].values.copy()
    lo, hi = reps.start[rep], reps.end[rep] + 1
    fppa[lo:hi] *= peak_fppa / fppa[lo:hi].max()  # scale this rep's valgus curve
    values = {name: m[name].values for name in m} | {f"knee_deviation_{side}": fppa}
    result = score_reps(metric_set(m.timestamps, **values), reps)
    for i in range(3):
        before, after = verdicts(base, i), verdicts(result, i)
        if i == rep:
            assert (
                after.pop("knees_over_feet") == "fail" and before.pop("knees_over_feet") == "pass"
            )
            assert result.rep(i).results["knees_over_feet"].value == pytest.approx(peak_fppa)
        assert before == after


def _reference(values, valid, windows, how):
    out = []
    for rows in windows:
        v = values[rows][valid[rows] & np.isfinite(values[rows])]
        out.append(
            np.nan
            if v.size == 0
            else {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}[how](v)
        )
    return np.array(out)


@settings(max_examples=80, deadline=None)
@given(
    data=st.lists(st.one_of(st.floats(-1e3, 1e3), st.just(float("nan"))), min_size=1, max_size=60),
    cuts=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 20)), min_size=1, max_size=8),
    how=st.sampled_from(["max", "min", "mean", "median"]),
    seed=st.integers(0, 1000),
)
def test_window_aggregates_match_a_per_rep_loop(data, cuts, how, seed):
    values = np.array(data)
    valid = np.random.default_rng(seed).random(values.size) > 0.3
    lo = np.array([min(a, values.size - 1) for a, _ in cuts])
    hi = np.minimum(lo + np.array([b for _, b in cuts]), values.size - 1)
    w = _Windows.of(lo, hi, np.arange(lo.size), lo.size)
    got, coverage = w.aggregate(values, valid, how)
    want = _reference(
        values, valid, [np.arange(a, b + 1) for a, b in zip(lo, hi, strict=True)], how
    )
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.all((coverage >= 0) & (coverage <= 1))


def test_bottom_and_top_phases():
    ts = np.arange(100) / 10.0  # 10 fps
    reps = Reps.from_indices([10, 50], [20, 70], [40, 90], ts)
    bottom = _phase_windows(reps, ts, "bottom", RULES)  # +-0.15 s: +-1 frame
    np.testing.assert_array_equal(bottom.flat, [19, 20, 21, 69, 70, 71])
    before = _phase_windows(reps, ts, "top_start", RULES)  # 0.5 s up to the start
    np.testing.assert_array_equal(before.flat, [5, 6, 7, 8, 9, 10, 45, 46, 47, 48, 49, 50])
    after = _phase_windows(reps, ts, "top_end", RULES)  # 0.5 s from the end, clipped to the frames
    np.testing.assert_array_equal(after.flat, [40, 41, 42, 43, 44, 45, 90, 91, 92, 93, 94, 95])
    # a held bottom: the window covers the rep's plateau (rep 1: frames 15-24), whatever
    # tolerance the reps were found with; rep 2's plateau is inside its window
    held = Reps.from_indices([10, 50], [20, 70], [40, 90], ts, ([15, 70], [24, 71]))
    bottom = _phase_windows(held, ts, "bottom", RULES)
    np.testing.assert_array_equal(bottom.flat, [*range(15, 25), 69, 70, 71])


def test_the_bottom_phase_is_judged_over_the_plateau_the_reps_were_found_with():
    """Reps found with a wider ``bottom_tolerance_deg`` are judged over their wider plateau:
    scoring reads it from the reps, it does not find it again with the default."""
    m, _ = good_squat(view=VIEW_SIDE)
    default, wide = find_reps(m), find_reps(m, RepParams(bottom_tolerance_deg=30.0))
    assert np.all(wide.bottom_last - wide.bottom_first > default.bottom_last - default.bottom_first)
    sizes = []
    for reps in (default, wide):
        w = _Evaluator(m, reps, RULES).windows("bottom")
        lo, hi = w.flat[w.first], w.flat[w.first + w.size - 1]
        assert np.all(lo <= reps.bottom_first) and np.all(hi >= reps.bottom_last)
        sizes.append(w.size)
    assert np.all(sizes[1] > sizes[0])


def test_lockout_is_the_straightest_knee_next_to_each_standing_point():
    """The standing point is where the knee is back within tolerance; full extension may come
    just after."""
    m, bottoms = good_squat(view=VIEW_SIDE)
    flex = m["knee_flexion_image_left"].values.copy()
    reps = find_reps(m)
    flex[reps.end[0] : reps.end[0] + 20] = (
        12.0  # bent for 0.67 s after rep 1, straight 0.33 s before rep 2
    )
    values = {name: m[name].values for name in m} | {"knee_flexion_image_left": flex}
    result = score_reps(metric_set(m.timestamps, view=VIEW_SIDE, **values), reps)
    lockout = [result.rep(i).results["full_extension"] for i in range(3)]
    assert [r.status for r in lockout] == ["fail", "pass", "pass"]
    assert (lockout[0].value, lockout[0].left, lockout[0].right) == (12.0, 12.0, 0.0)
    # the measurement reads knee_bend, the image angle from the side: it agrees with the rule
    np.testing.assert_array_equal(result.measurements["lockout_knee_flexion_deg"], [12.0, 0.0, 0.0])


# --- end to end: synthetic pose sequences through compute_metrics ---------------------------------


@pytest.mark.parametrize(
    ("yaw", "fault", "failing"),
    [
        (0.0, {}, set()),
        (90.0, {}, set()),
        (0.0, {"valgus_deg": 15.0}, {"knees_over_feet"}),
        # the testing body's knees point straight ahead: over feet turned out 25 deg they are
        # 25 deg inside the plane of hip, ankle and foot
        (0.0, {"foot_progression_deg": 25.0}, {"feet_parallel", "knees_over_feet"}),
        (0.0, {"stance_width": 1.8}, {"narrow_stance"}),
        (90.0, {"heel_height_cm": 0.0}, {"heels_elevated"}),
        (90.0, {"peak_knee_flexion": 90.0}, {"depth"}),
        (0.0, {"peak_knee_flexion": 70.0}, {"depth"}),  # from the front, perspective-corrected
        (90.0, {"trunk_lean_deg": 50.0}, {"high_chest"}),
        (90.0, {"lockout_deg": 20.0}, {"full_extension"}),
    ],
)
def test_faults_of_synthetic_pose_sequences_fail_their_rules(yaw, fault, failing):
    from formcheck.core.metrics import compute_metrics
    from formcheck.testing import squat_sequence

    good = {
        # the testing body's thighs pass the horizontal near 138 deg: 150 is 8-10 deg below
        "peak_knee_flexion": 150.0,
        "heel_height_cm": 8.0,
        "trunk_lean_deg": 25.0,
        "stance_width": 1.0,
    }
    seq = squat_sequence(n_reps=3, fps=30.0, yaw_deg=yaw, **(good | fault))
    result = score_reps(
        compute_metrics(seq, clean=True), find_reps(compute_metrics(seq, clean=True))
    )
    assert result.rep_count == 3
    for i in range(3):
        v = verdicts(result, i)
        assert {name for name, status in v.items() if status == "fail"} == failing, v
        # knee tracking is judged around the deepest frame, flexed 45 deg or more even in a 70 deg
        # squat
        assert {name for name, status in v.items() if status == "not_judged"} == (
            SIDE_ONLY if yaw == 0 else FRONT_ONLY
        )


# --- grade: the colour of the score follows the failed checks, not only the average ----------------------


def _graded(severity: str, deep_reps: tuple[int, ...]):
    """Three reps to 120 deg (``deep_reps`` to 144 deg) judged by a heavy check every rep passes
    (weight 9) and a light one (weight 1, ``severity``) that only a 144-deg rep passes."""
    flex, bottoms, ts = squat_flexion(n_reps=3, peak=120.0, descent_s=1.5, ascent_s=1.0)
    cuts = np.r_[0, (bottoms[:-1] + bottoms[1:]) // 2, flex.size]
    for k in deep_reps:
        flex[cuts[k] : cuts[k + 1]] *= 1.2
    m = metric_set(
        ts, view=VIEW_FRONT, knee_flexion_left=flex, knee_flexion_right=flex, hip_drop=flex / 120
    )
    base = {"metric": "knee_flexion", "bilateral": True, "compare": ">=", "unit": "deg"}
    base |= {"views": ["any"], "guidance": "g"}
    rules = parse_rules(
        {
            "name": "graded",
            "rule": [
                base | {"name": "bend", "threshold": 50, "cue": "Bend", "weight": 9},
                base
                | {"name": "very_deep", "title": "Very deep", "threshold": 130, "cue": "Deeper"}
                | {"severity": severity, "weight": 1},
            ],
        }
    )
    return score_reps(m, find_reps(m), rules)


@pytest.mark.parametrize("severity", ["high", "medium"])
def test_a_serious_fault_in_every_rep_is_never_graded_good(severity):
    result = _graded(severity, deep_reps=())
    assert result.score == pytest.approx(90.0)  # the average alone would say "good"
    assert result.grade() == "fair"
    assert result.habits() == [
        {
            "rule": "very_deep",
            "title": "Very deep",
            "severity": severity,
            "n_fail": 3,
            "n_judged": 3,
        }
    ]
    assert result.verdict() == (
        "3 reps, average score 90 of 100, but \u201cVery deep\u201d failed in every rep. "
        "Main thing to work on: Deeper."
    )
    assert result.summary()["grade"] == "fair"


def test_a_fault_in_most_reps_caps_the_grade_one_slip_does_not():
    most = _graded("high", deep_reps=(1,))
    assert most.grade() == "fair" and "failed in 2 of 3 reps" in most.verdict()
    slip = _graded("high", deep_reps=(0, 2))
    assert slip.score == pytest.approx(100 * (9 + 10 + 10) / 30)
    assert slip.habits() == [] and slip.grade() == "good"
    assert "but" not in slip.verdict() and "Main thing to work on: Deeper." in slip.verdict()


def test_verdict_names_a_habit_only_where_the_average_would_hide_it():
    m, _ = good_squat(view=VIEW_SIDE, peak=95.0)  # side: depth (medium) fails every rep
    result = score_reps(m, find_reps(m))
    assert result.score == pytest.approx(100 * 10 / 12) and result.grade() == "fair"
    assert "but “Depth: thighs at least parallel” failed in every rep" in result.verdict()
    low = _graded("high", deep_reps=())
    low.scores[:] = 70.0  # already "fair" by its average: the main cue says it all
    assert low.grade() == "fair" and "but" not in low.verdict()


def test_low_severity_faults_only_lower_the_score():
    result = _graded("low", deep_reps=())
    assert result.habits() == [] and result.grade() == "good"


def test_grade_by_score_alone_without_habits():
    m, _ = good_squat()
    result = score_reps(m, find_reps(m))
    assert result.score == 100.0 and result.grade() == "good"
    assert score_reps(m, Reps.empty()).grade() is None


@pytest.mark.parametrize(("yaw", "view"), [(0.0, "front"), (90.0, "side")])
def test_each_rep_measurement_carries_its_error_from_the_reps_view(yaw: float, view: str) -> None:
    """Peak and lockout knee bend read 8 and 18 deg off from the front, 3 from the side: each
    rep's numbers come with the error of its view (the shipped table), in report.json and
    reps.csv, and none for what the table does not list."""
    import csv
    import io

    from formcheck.core.measurement_error import load_measurement_errors
    from formcheck.core.metrics import compute_metrics
    from formcheck.report.csv import reps_csv
    from formcheck.testing import squat_sequence

    metrics = compute_metrics(squat_sequence(n_reps=2, yaw_deg=yaw))
    scores = _score_reps(metrics, find_reps(metrics))
    table = load_measurement_errors()
    assert scores.rep_count == 2
    for rep in scores.reps:
        assert rep.view == view
        assert set(rep.measurement_errors) == {
            "descent_s",
            "ascent_s",
            "peak_knee_flexion_deg",
            "lockout_knee_flexion_deg",
        }
        for name, error in rep.measurement_errors.items():
            assert error == table.lookup(f"rep.{name}", view).error  # type: ignore[union-attr]
        assert rep.to_dict()["measurement_errors"] == rep.measurement_errors
    rows = list(csv.DictReader(io.StringIO(reps_csv(scores))))
    peak = table.lookup("rep.peak_knee_flexion_deg", view).error  # type: ignore[union-attr]
    assert [float(r["peak_knee_flexion_error_deg"]) for r in rows] == [peak, peak]
    assert "knee_flexion_asymmetry_error_deg" not in rows[0] and rows[0]["descent_error_s"]
