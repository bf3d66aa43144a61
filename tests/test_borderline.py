"""Borderline verdicts: a judged value within its measurement error of the limit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_metrics import metric_set, squat_flexion

from formcheck.core.measurement_error import (
    load_measurement_errors,
    parse_measurement_errors,
    within_error,
)
from formcheck.core.metricset import VIEW_FRONT, VIEW_SIDE
from formcheck.core.reps import find_reps
from formcheck.core.ruleset import load_rules, parse_rules
from formcheck.core.scoring import BORDERLINE_CREDIT, score_reps

RULES = load_rules()
ERRORS = load_measurement_errors()
FPPA_FRONT = ERRORS.lookup("knee_deviation", "front").error  # per frame
# the error of the value the rule judges from the front: its worst knee near the bottom
KNEE_ERROR = ERRORS.lookup("rule.knees_over_feet", "front").error
LIMIT = RULES["knees_over_feet"].primary.threshold  # 12 deg


def front_squat(peak_fppa: float, stance: float = 0.6):
    """Three front-view squats, every rule clear of its limit but the FPPA (deg, its largest
    value over each rep, both knees)."""
    flex, _, ts = squat_flexion(n_reps=3, peak=120.0, descent_s=1.5, ascent_s=1.0)
    depth = flex / 120.0
    m = metric_set(
        ts,
        view=VIEW_FRONT,
        knee_flexion_left=flex,
        knee_flexion_right=flex,
        thigh_from_horizontal=90.0 - 110.0 * depth,  # 20 deg below parallel: depth passes
        knee_deviation_left=peak_fppa * depth,
        knee_deviation_right=peak_fppa * depth,
        foot_progression_left=0.0,
        foot_progression_right=0.0,
        stance_width=stance,
        hip_above_knee=1.0 - 1.2 * depth,
        hip_drop=depth,
    )
    return m, find_reps(m)


def test_a_value_inside_the_error_band_is_borderline_with_its_error():
    m, reps = front_squat(LIMIT + KNEE_ERROR - 0.1)
    result = score_reps(m, reps, RULES)
    r = result.rep(0).results["knees_over_feet"]
    assert r.status == "borderline"
    assert r.error == pytest.approx(KNEE_ERROR)
    assert r.value == pytest.approx(LIMIT + KNEE_ERROR - 0.1)
    assert r.to_dict()["error"] == pytest.approx(KNEE_ERROR)
    # inside on the passing side too
    below = score_reps(*front_squat(LIMIT - KNEE_ERROR + 0.1), RULES)
    assert below.rep(0).results["knees_over_feet"].status == "borderline"


@pytest.mark.parametrize(
    ("peak", "status"), [(LIMIT + KNEE_ERROR + 0.1, "fail"), (LIMIT - KNEE_ERROR - 0.1, "pass")]
)
def test_just_outside_the_error_band_is_a_plain_verdict(peak, status):
    result = score_reps(*front_squat(peak), RULES)
    r = result.rep(0).results["knees_over_feet"]
    assert r.status == status and r.error == pytest.approx(KNEE_ERROR)


def test_borderline_is_listed_not_failed_and_earns_half_the_weight():
    inside = score_reps(*front_squat(LIMIT + 1.0), RULES)
    failed = score_reps(*front_squat(LIMIT + 10.0), RULES)
    clean = score_reps(*front_squat(LIMIT - 10.0), RULES)
    stats = inside.rule_summaries()["knees_over_feet"]
    assert (stats.n_borderline, stats.n_fail, stats.n_pass) == (3, 0, 0)
    assert stats.pass_rate is None  # neither passed nor failed
    # no cue, no habit, no "worst failed" for the rep: a borderline check is not a fault
    assert inside.top_cues() == [] and inside.habits() == []
    assert inside.worst_failed() == [None, None, None]
    assert failed.top_cues()[0]["rule"] == "knees_over_feet"
    # the score lies between a pass and a fail, at BORDERLINE_CREDIT of the rule's weight
    w = {r.name: r.weight for r in RULES.rules}
    judged = [k for k, v in inside.rep(0).results.items() if v.status != "not_judged"]
    total = sum(w[k] for k in judged)
    assert inside.rep(0).score == pytest.approx(
        100.0 * (total - (1 - BORDERLINE_CREDIT) * w["knees_over_feet"]) / total
    )
    assert failed.rep(0).score < inside.rep(0).score < clean.rep(0).score == 100.0
    d = inside.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["reps"][0]["rules"]["knees_over_feet"]["status"] == "borderline"
    assert d["rule_stats"]["knees_over_feet"]["n_borderline"] == 3


def test_the_error_is_that_of_the_view_judged_from_or_none():
    m, reps = front_squat(LIMIT + 1.0)
    result = score_reps(m, reps, RULES)
    rep = result.rep(0)
    # the check that judged: depth from the front by the thighs' angle
    assert rep.results["depth"].metric == "thigh_from_horizontal"
    # with the error of the value the depth rule judges from the front, not the metric's per frame
    assert rep.results["depth"].error == ERRORS.lookup("rule.depth", "front").error
    # a left-right difference carries no metric's error, only the one measured on the
    # difference itself (``rule.symmetry``)
    assert rep.results["symmetry"].status == "pass"
    assert rep.results["symmetry"].error == ERRORS.lookup("rule.symmetry", "front").error
    assert (
        rep.results["high_chest"].status == "not_judged" and rep.results["high_chest"].error is None
    )
    side = metric_set(m.timestamps, view=VIEW_SIDE, **{k: m[k].values for k in m})
    side_rep = score_reps(side, reps, RULES).rep(0)
    assert side_rep.results["knees_over_feet"].error is None  # not judged from the side


def test_no_known_error_means_no_borderline():
    empty = parse_measurement_errors({}, "none")
    result = score_reps(*front_squat(LIMIT + 0.5), RULES, empty)
    r = result.rep(0).results["knees_over_feet"]
    assert (r.status, r.error) == ("fail", None)


def test_a_rules_per_rep_error_wins_over_its_metrics_per_frame_error():
    """``rule.<name>`` in the table is the error of the value the rule reads over a rep; where it
    is listed for the rep's view it decides the band, else the metric's per-frame error does."""
    table = {
        "error": [
            {"metric": "knee_deviation", "view": "front", "error": 3.0, "unit": "deg"},
            {"metric": "rule.knees_over_feet", "view": "front", "error": 1.0, "unit": "deg"},
        ]
    }
    errors = parse_measurement_errors(table, "test")
    r = score_reps(*front_squat(LIMIT + 2.0), RULES, errors).rep(0).results["knees_over_feet"]
    assert (r.status, r.error) == ("fail", 1.0)  # 2 deg past the limit: outside 1, inside 3
    # a left-right difference: only a rule's own entry gives it an error
    views = np.array(["front"], dtype=object)
    assert np.isnan(errors.rule_error("other", "knee_deviation", views, "abs_diff")).all()
    assert errors.rule_error("knees_over_feet", "knee_deviation", views, "abs_diff")[0] == 1.0
    del table["error"][1]
    r = score_reps(*front_squat(LIMIT + 2.0), RULES, parse_measurement_errors(table, "test"))
    assert r.rep(0).results["knees_over_feet"].status == "borderline"


@settings(max_examples=60, deadline=None)
@given(
    value=st.floats(-40.0, 40.0),
    threshold=st.floats(0.5, 30.0),
    error=st.floats(0.1, 10.0),
    compare=st.sampled_from(["<=", ">=", "within"]),
)
def test_status_follows_the_distance_to_the_limit(value, threshold, error, compare):
    """Borderline exactly when the value lies within ``error`` of a limit; otherwise the check's
    own pass or fail."""
    flex, _, ts = squat_flexion(n_reps=1, peak=100.0, descent_s=1.0, ascent_s=1.0)
    m = metric_set(
        ts,
        view=VIEW_FRONT,
        knee_flexion_left=flex,
        knee_flexion_right=flex,
        hip_drop=flex / 100.0,
        trunk_lean=value,
    )
    rule = {
        "name": "r",
        "metric": "trunk_lean",
        "compare": compare,
        "threshold": threshold,
        "unit": "deg",
        "views": ["any"],
        "cue": "c",
        "guidance": "g",
    }
    rules = parse_rules({"name": "t", "rule": [rule]})
    errors = parse_measurement_errors(
        {"error": [{"metric": "trunk_lean", "view": "front", "error": error, "unit": "deg"}]}, "t"
    )
    r = score_reps(m, find_reps(m), rules, errors).rep(0).results["r"]
    distance = abs(abs(value) - threshold) if compare == "within" else abs(value - threshold)
    passes = {"<=": value <= threshold, ">=": value >= threshold}.get(
        compare, abs(value) <= threshold
    )
    expected = "borderline" if distance <= error else "pass" if passes else "fail"
    assert (r.status, r.error) == (expected, pytest.approx(error))


@pytest.mark.parametrize(
    ("ascent_s", "status"), [(0.3, "fail"), (0.45, "borderline"), (0.8, "pass")]
)
def test_the_ascent_time_has_its_error_band_like_the_descent(ascent_s, status):
    """The way up is timed from the same rep boundaries as the way down, so a reading within the
    ascent's measured error of the 0.5 s limit is borderline, not passed or failed on a frame."""
    flex, _, ts = squat_flexion(n_reps=1, peak=100.0, descent_s=1.0, ascent_s=ascent_s)
    m = metric_set(
        ts, view=VIEW_SIDE, knee_flexion_left=flex, knee_flexion_right=flex, hip_drop=flex / 100.0
    )
    r = score_reps(m, find_reps(m), RULES).rep(0).results["controlled_ascent"]
    # the bottom frame is the middle of the bottom plateau, a frame or two towards the slower
    # descent: a fast ascent reads up to 0.05 s long
    assert r.value == pytest.approx(ascent_s, abs=0.06)
    assert (r.status, r.error) == (status, ERRORS.lookup("rule.controlled_ascent", "side").error)


def test_within_error_is_the_one_test_for_changes_and_borderline():
    assert ERRORS.within("knee_deviation", "front", FPPA_FRONT) is True
    assert ERRORS.within("knee_deviation", "front", -FPPA_FRONT - 0.01) is False
    assert ERRORS.within("knee_deviation", "side", 0.0) is None
    np.testing.assert_array_equal(
        within_error(np.array([1.0, -3.0, 1.0]), np.array([2.0, 2.0, np.nan])), [True, False, False]
    )


# --- in the report ---------------------------------------------------------------------------------


def test_report_shows_value_with_error_and_borderline_status() -> None:
    from test_report import make_report

    from formcheck.report.html import format_value_error, render_html
    from formcheck.report.schema import SCHEMA_VERSION, validate

    report = make_report()
    report["schema_version"] = SCHEMA_VERSION
    rep2 = report["reps"][1]["rules"]["knees_over_feet"]
    rep2.update(status="borderline", value=13.2, error=2.9, threshold=12.0)
    validate(report)
    page = render_html(report)
    assert '<td class="bl" title="borderline: within the measurement error of the limit">' in page
    assert "\u2248 13 \u00b1 3\u00b0</td>" in page
    assert "not counted as a fail" in page
    assert format_value_error(4.13, 2.1, "cm") == "4.1 \u00b1 2.1 cm"
    assert format_value_error(0.8, 0.4, "s") == "0.8 \u00b1 0.4 s"
    assert format_value_error(11.0, None, "deg") == "11\u00b0"
    report["reps"][1]["rules"]["knees_over_feet"]["status"] = "maybe"
    with pytest.raises(ValueError):
        validate(report)


def test_reps_csv_has_each_rules_error() -> None:
    import csv
    import io

    from formcheck.report.csv import reps_csv

    result = score_reps(*front_squat(LIMIT + 1.0), RULES)
    rows = list(csv.DictReader(io.StringIO(reps_csv(result))))
    assert len(rows) == 3
    assert rows[0]["knees_over_feet_status"] == "borderline"
    assert float(rows[0]["knees_over_feet_error_deg"]) == pytest.approx(KNEE_ERROR)
    assert float(rows[0]["knees_over_feet_deg"]) == pytest.approx(LIMIT + 1.0)
    # the left-right difference has the error measured on it from the front
    assert float(rows[0]["symmetry_error_deg"]) == pytest.approx(
        ERRORS.lookup("rule.symmetry", "front").error
    )
    assert rows[0]["high_chest_error_deg"] == ""  # not judged from the front: no error


def test_batch_digest_counts_borderline_neither_passed_nor_failed() -> None:
    from formcheck.batch.digest import video_summary
    from formcheck.core.analysis import analyze
    from formcheck.testing import squat_sequence

    rule = {
        "name": "lean",
        "metric": "trunk_lean",
        "compare": "<=",
        "unit": "deg",
        "views": ["any"],
        "cue": "c",
        "guidance": "g",
    }
    seq = squat_sequence(n_reps=3, trunk_lean_deg=20.0)
    for threshold, counts in ((25.0, (3, 0, None)), (60.0, (0, 0, 1.0)), (0.0, (0, 3, 0.0))):
        rules = parse_rules({"name": "t", "rule": [rule | {"threshold": threshold}]})
        a = analyze(seq, rules)
        assert len(a.reps) == 3
        digest = video_summary(a, "").rules["lean"]
        stats = a.scores.rule_summaries()["lean"]
        assert (digest.borderline, stats.n_fail, digest.pass_rate) == counts
        assert digest.judged == 3


def test_a_check_borderline_on_every_rep_is_too_close_to_call() -> None:
    """A check the camera could not call on any rep is said once, with its error and limit, in
    the summary (schema-valid), the page and the console; one decided rep calls it."""
    from formcheck.report.html import too_close_section
    from formcheck.report.schema import errors, load_schema

    inside = score_reps(*front_squat(LIMIT + 1.0), RULES)
    expected = {
        "rule": "knees_over_feet",
        "title": RULES["knees_over_feet"].title,
        "n_borderline": 3,
        "error": KNEE_ERROR,
        "unit": "deg",
        "threshold": LIMIT,
    }
    assert inside.too_close() == [expected]
    item_schema = load_schema()["properties"]["summary"]["properties"]["too_close"]
    assert errors(inside.too_close(), item_schema) == []
    page = too_close_section({"summary": {"too_close": inside.too_close()}})
    assert (
        f"Knees track over the feet: 3 reps within \u00b1{KNEE_ERROR:.0f}\u00b0 of the limit"
        in page
    )
    assert too_close_section({"summary": {"too_close": []}}) == ""
    # every rep failed, or passed: decided, not too close
    assert score_reps(*front_squat(LIMIT + KNEE_ERROR + 1.0), RULES).too_close() == []
    assert score_reps(*front_squat(LIMIT - KNEE_ERROR - 1.0), RULES).too_close() == []
