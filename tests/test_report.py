"""Report pieces on hand-made inputs: schema checks, CSV columns and cells, plots, the HTML page."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from typing import Any

import numpy as np
import pytest
from conftest import CHROMIUM, chromium_console

from formcheck.core.metricset import VIEW_FRONT, VIEW_SIDE, Metric, MetricSet
from formcheck.report.csv import column_name, frames_csv, reps_csv
from formcheck.report.html import format_value, render_html
from formcheck.report.plots import Series, Threshold, time_plot_svg
from formcheck.report.schema import errors, load_schema, validate


def make_report(n_reps: int = 2) -> dict[str, Any]:
    """A small valid report: a front view, knee tracking failing on rep 2, depth not judged."""
    rules = [
        {
            "name": "depth",
            "title": "Squat depth",
            "metric": "knee_flexion",
            "unit": "deg",
            "views": ["side"],
            "cue": "Sink deeper",
            "target": "at least 110°",
            "source": "hamstrings touch your calves",
        },
        {
            "name": "knees_over_feet",
            "title": "Knees over feet",
            "metric": "fppa",
            "unit": "deg",
            "views": ["front"],
            "cue": "Push your knees out over your toes",
            "target": "at most 10° inward",
        },
    ]
    reps = [
        {
            "index": k + 1,
            "start_s": 1.0 + 4 * k,
            "bottom_s": 2.5 + 4 * k,
            "end_s": 4.0 + 4 * k,
            "start_frame": 30 + 120 * k,
            "bottom_frame": 75 + 120 * k,
            "end_frame": 120 + 120 * k,
            "score": 100.0 if k == 0 else 55.0,
            "rules": {
                "depth": {"status": "not_judged", "value": None, "unit": "deg"},
                "knees_over_feet": {
                    "status": "pass" if k == 0 else "fail",
                    "value": 4.0 if k == 0 else 14.5,
                    "unit": "deg",
                },
            },
        }
        for k in range(n_reps)
    ]
    return {
        "schema_version": "1.0",
        "generated_at": "2026-11-25T13:00:00Z",
        "status": "analysed",
        "message": f"{n_reps} reps analysed",
        "video": {
            "path": "clips/a <b>.mp4",
            "fps": 30.0,
            "frames": 300,
            "duration_s": 10.0,
            "width": 720,
            "height": 1280,
        },
        "view": "front",
        "view_fractions": {"front": 1.0},
        "summary": {
            "rep_count": n_reps,
            "score": 77.5,
            "verdict": "Fair: 1 of 2 reps needs work.",
            "top_cues": ["Push your knees out over your toes"],
            "not_judged": [
                {
                    "rule": "depth",
                    "title": "Squat depth",
                    "hint": "Film from the side to check squat depth",
                }
            ],
        },
        "rules": rules,
        "reps": reps,
        "versions": {
            "formcheck": "0.1.0",
            "mediapipe": "1.2.3",
            "model_sha256": "ab" * 32,
            "rule_set": "cyclist_squat 1",
        },
        "files": {"annotated_video": "annotated.mp4", "frames_csv": "frames.csv"},
    }


def test_schema_is_valid_json_with_the_required_top_level_keys() -> None:
    schema = load_schema()
    assert set(schema["required"]) >= {
        "schema_version",
        "video",
        "view",
        "summary",
        "reps",
        "versions",
    }
    rep = schema["properties"]["reps"]["items"]
    assert set(rep["required"]) == {"index", "start_s", "bottom_s", "end_s", "score", "rules"}
    assert rep["properties"]["rules"]["additionalProperties"]["properties"]["status"]["enum"] == [
        "pass",
        "fail",
        "borderline",
        "not_judged",
    ]


def test_example_report_validates() -> None:
    validate(make_report())
    assert errors(json.loads(json.dumps(make_report()))) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("reps", 0, "rules", "depth", "status"),
            "maybe",
            "$.reps[0].rules.depth.status: expected one of",
        ),
        (("summary", "score"), 120.0, "$.summary.score: expected <= 100, got 120.0"),
        (("video", "fps"), 0, "$.video.fps: expected > 0, got 0"),
        (("summary", "rep_count"), 2.5, "$.summary.rep_count: expected integer, got float"),
        (
            ("summary", "top_cues"),
            ["a", "b", "c", "d"],
            "$.summary.top_cues: expected at most 3 items",
        ),
        (("view",), "above", "$.view: expected one of"),
    ],
)
def test_schema_violations_are_named(path: tuple, value: Any, message: str) -> None:
    report = copy.deepcopy(make_report())
    node = report
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert any(e.startswith(message) for e in errors(report)), errors(report)
    with pytest.raises(ValueError, match="report does not match its schema"):
        validate(report)


def test_schema_rejects_missing_and_unknown_keys() -> None:
    report = make_report()
    del report["versions"]
    report["surprise"] = 1
    assert set(errors(report)) == {"$: expected key 'versions'", "$: unexpected key 'surprise'"}


def _metricset() -> MetricSet:
    t = np.arange(6) / 30
    view = np.array([VIEW_FRONT] * 4 + [VIEW_SIDE] * 2, dtype=np.int8)
    fppa = Metric(
        "fppa_left", np.array([1.0, 2.0, 3.5, np.nan, 5.0, 6.0]), view == VIEW_FRONT, "deg"
    )
    heel = Metric(
        "heel_elevation_left", np.array([7.5, 7.5, 7.25, 7.0, 7.0, 7.0]), np.ones(6, bool), "cm"
    )
    return MetricSet(t, view, {"fppa_left": fppa, "heel_elevation_left": heel})


def test_column_names_carry_units() -> None:
    assert column_name("knee_flexion_left", "deg") == "knee_flexion_left_deg"
    assert column_name("knee_flexion_left", "degrees") == "knee_flexion_left_deg"
    assert column_name("heel_elevation_left", "cm") == "heel_elevation_left_cm"
    assert column_name("stance_width", "ratio") == "stance_width_ratio"
    assert column_name("medial_knee_shift_left", "%") == "medial_knee_shift_left_pct"
    assert column_name("score", "") == "score"


def test_frames_csv_has_named_unit_columns_and_blank_invalid_cells() -> None:
    text = frames_csv(_metricset(), np.array([[1, 3]]), np.array([1, 1, 1, 0, 1, 1], bool))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "frame",
        "time_s",
        "person_found",
        "view",
        "rep",
        "fppa_left_deg",
        "heel_elevation_left_cm",
    ]
    assert rows[1] == ["0", "0.0000", "1", "front", "", "1.000", "7.500"]
    assert rows[3] == ["2", "0.0667", "1", "front", "1", "3.500", "7.250"]
    assert rows[4] == ["3", "0.1000", "0", "front", "1", "", "7.000"]  # NaN -> empty
    assert rows[5] == [
        "4",
        "0.1333",
        "1",
        "side",
        "",
        "",
        "7.000",
    ]  # frontal angle from the side -> empty
    assert len(rows) == 7
    assert text.isascii()


def test_reps_csv_one_row_per_rep_with_status_and_value() -> None:
    from synthetic_metrics import squat_flexion, squat_metrics

    from formcheck.core.reps import find_reps
    from formcheck.core.ruleset import load_rules
    from formcheck.core.scoring import score_reps

    flex, _, _ = squat_flexion(n_reps=2, peak=100.0)
    m = squat_metrics(
        flex, knee_deviation_left=np.where(flex > 20, 18.0, 0.0), knee_deviation_right=0.0
    )
    scores = score_reps(m, find_reps(m), load_rules())
    rows = list(csv.reader(io.StringIO(reps_csv(scores))))
    assert rows[0][:7] == ["rep", "start_s", "bottom_s", "end_s", "duration_s", "score", "view"]
    measures = [k for k in scores.measurements if k != "duration_s"]  # a column already
    assert rows[0][7 : 7 + len(measures)] == measures
    assert "knees_over_feet_status" in rows[0] and "knees_over_feet_deg" in rows[0]
    assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows)
    rep = scores.rep(1)
    row = dict(zip(rows[0], rows[2], strict=True))
    assert row["rep"] == "2" and row["view"] == "front"
    assert row["start_s"] == f"{rep.t_start:.3f}" and row["score"] == f"{rep.score:.1f}"
    assert row["knees_over_feet_status"] == "fail" and row["knees_over_feet_deg"] == "18.00"
    assert row["heels_elevated_status"] == "not_judged" and row["heels_elevated_deg"] == ""
    assert "\n".join(",".join(r) for r in rows).isascii()


def test_plot_svg_is_responsive_text_svg_with_thresholds_and_reps() -> None:
    t = np.arange(90) / 30
    svg = time_plot_svg(
        t,
        [Series("left knee", np.sin(t) * 90, "#0072B2")],
        title="Knee bend",
        ylabel="knee flexion (°)",
        reps=[(0.5, 1.5), (2.0, 2.8)],
        thresholds=[Threshold(110.0, "depth: at least 110°")],
    )
    head = svg[: svg.index(">")]
    assert svg.startswith("<svg") and "viewBox" in head
    assert " width=" not in head and " height=" not in head
    assert (
        "depth: at least 110°" in svg and "Knee bend" in svg and "left knee" in svg
    )  # text stays text
    assert "<image" not in svg


def test_plot_without_data_says_why() -> None:
    t = np.arange(10) / 30
    svg = time_plot_svg(
        t,
        [Series("left", np.full(10, np.nan), "#000")],
        title="Foot angle",
        ylabel="deg",
        empty_message="Film from the front to see the foot angle",
    )
    assert "Film from the front to see the foot" in svg


def test_format_value_in_plain_units() -> None:
    assert format_value(112.4, "deg") == "112°"
    assert format_value(4.06, "cm") == "4.1 cm"
    assert format_value(1.234, "ratio") == "1.23×"
    assert format_value(12.0, "%") == "12%"
    assert format_value(None, "deg") == ""


def test_html_is_self_contained_and_shows_everything() -> None:
    page = render_html(
        make_report(),
        plots=[("Knee bend", "<svg viewBox='0 0 1 1'></svg>")],
        stills={2: b"\xff\xd8jpeg"},
        video_href="annotated.mp4",
    )
    assert page.startswith("<!DOCTYPE html>")
    assert 'name="viewport"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no network
    assert "<script" not in page
    assert "78<small>of 100</small>" in page
    assert "Push your knees out over your toes" in page
    assert "Film from the side to check squat depth" in page
    assert '<video controls playsinline preload="metadata" src="annotated.mp4">' in page
    assert "data:image/jpeg;base64,/9hqcGVn" in page
    assert '<td class="fail" title="fail">✗ 14°</td>' in page
    assert '<td class="pass" title="pass">✓ 4°</td>' in page
    assert '<td class="nj" title="not judged">– </td>' in page
    assert "Knees over feet (14°)" in page  # the failing check named under rep 2's still
    assert 'class="table-wrap"' in page
    assert "a &lt;b&gt;.mp4" in page and "<b>.mp4" not in page  # file name escaped
    assert "cyclist_squat 1" in page and "ab" * 32 in page


@pytest.mark.parametrize(
    ("score", "grade", "word"),
    [(83.0, "fair", "needs work"), (91.0, "good", "good"), (40, "poor", "poor")],
)
def test_score_ring_colour_and_word_follow_the_grade_not_the_average(score, grade, word) -> None:
    """The grade is scoring's (it weighs failed checks): 83 with a fault in every rep is amber."""
    report = make_report()
    report["summary"].update(score=score, grade=grade)
    validate(report)
    page = render_html(report)
    assert (
        f'<div class="score {grade}">{score:.0f}<small>of 100</small><small>{word}</small>' in page
    )


def test_score_ring_is_neutral_without_a_grade() -> None:
    page = render_html(make_report())
    assert '<div class="score none">78<small>of 100</small></div>' in page


def _many_reps(n: int) -> dict[str, Any]:
    report = make_report(2)
    report["reps"] = [copy.deepcopy(report["reps"][k % 2]) | {"index": k + 1} for k in range(n)]
    report["summary"]["rep_count"] = n
    return report


def test_rep_table_says_it_scrolls_when_a_phone_cannot_show_every_rep() -> None:
    assert "scroll-hint" not in render_html(_many_reps(1)).split("</style>")[1]
    page = render_html(_many_reps(3))
    assert '<p class="scroll-hint">Scroll the table sideways to see all 3 reps' in page
    assert "@media (max-width:600px){.scroll-hint{display:block}}" in page
    assert '<p class="scroll-hint wide">Scroll' in render_html(_many_reps(12))


_PHONE_HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="%s" style="width:%dpx;height:900px;border:0"></iframe><script>
var f = document.getElementById("f");
f.onload = function () {
  var d = f.contentDocument, w = d.querySelector(".table-wrap"), h = d.querySelector(".scroll-hint");
  var shown = h ? getComputedStyle(h).display : "none";
  console.log("FC-TABLE " + (w.scrollWidth > w.clientWidth) + " " + shown);
};
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize(
    ("reps", "width", "expected"),
    [
        (1, 390, "false none"),
        (3, 390, "true block"),
        (5, 1280, "false none"),
        (12, 1280, "true block"),
    ],
)
def test_rep_table_hint_shows_where_the_table_scrolls(
    tmp_path, reps: int, width: int, expected: str
) -> None:
    """The hint shows exactly where the table is wider than the screen (scrolls sideways)."""
    page = tmp_path / "report.html"
    page.write_text(render_html(_many_reps(reps)))
    harness = tmp_path / "harness.html"
    harness.write_text(_PHONE_HARNESS % (page.as_uri(), width))
    lines = chromium_console(harness.as_uri(), "--allow-file-access-from-files", "--timeout=10000")
    assert f'"FC-TABLE {expected}"' in " ".join(lines), lines


def test_html_for_no_squat_says_so_without_rep_sections() -> None:
    report = make_report(0)
    report.update(status="no_squat", message="A person was found but no squat repetition.")
    report["summary"].update(
        rep_count=0, score=None, verdict="No squat found in this video.", top_cues=[]
    )
    page = render_html(report)
    assert "No squat found in this video." in page
    assert "Rep by rep" not in page and "<video" not in page


def test_target_text_in_words() -> None:
    from formcheck.report.build import target_text

    assert target_text(">=", 110.0, "deg") == "at least 110°"
    assert target_text("<=", 1.25, "hip widths") == "at most 1.25 hip widths"
    assert target_text("within", 10.0, "deg") == "within ±10°"
    assert target_text(">=", 7.0, "cm") == "at least 7 cm"


def test_view_summary_counts_frames_with_a_person_only() -> None:
    from formcheck.core.analysis import set_view

    ms = _metricset()  # 4 front frames then 2 side frames
    assert set_view(ms.view, np.ones(6, bool)) == ("front", {"front": 0.6667, "side": 0.3333})
    assert set_view(ms.view, np.array([0, 0, 0, 1, 1, 1], bool)) == (
        "side",
        {"front": 0.3333, "side": 0.6667},
    )
    assert set_view(ms.view, np.zeros(6, bool)) == ("unknown", {})


def _rule_set(*rules: tuple[str, list[dict[str, Any]]]) -> Any:
    """A `RuleSet` of rules (title, checks): the first check is the rule's, the rest fallbacks."""
    from formcheck.core.ruleset import parse_rules

    words = {"cue": "c", "guidance": "g"}
    tables = [
        {"name": f"r{k}", "title": title, **words, **checks[0], "fallback": checks[1:]}
        for k, (title, checks) in enumerate(rules)
    ]
    return parse_rules({"name": "test", "rule": tables})


def test_rule_thresholds_come_from_the_rules_with_both_signs_for_within() -> None:
    from formcheck.report.plots import rule_thresholds

    any_view = {"unit": "deg", "views": ["any"]}
    pair = any_view | {"bilateral": True}
    feet = pair | {"metric": "foot_progression", "threshold": 10.0, "compare": "within"}
    bend = pair | {"metric": "knee_flexion", "threshold": 110.0, "compare": ">="}
    hips = any_view | {"metric": "hip_above_knee", "threshold": 0.0, "compare": "<="}
    hips["bilateral"] = False
    hips["unit"] = "leg lengths"
    rules = _rule_set(("Feet parallel", [feet]), ("Depth", [bend, hips]))
    lines = [(t.value, t.label) for t in rule_thresholds(rules, "foot_progression")]
    assert lines == [(10.0, "Feet parallel: within ±10°"), (-10.0, "Feet parallel: within ±10°")]
    lines = [(t.value, t.label) for t in rule_thresholds(rules, "knee_flexion")]
    assert lines == [(110.0, "Depth: at least 110°")]
    assert rule_thresholds(rules, "fppa") == []
    sym = bend | {"threshold": 15.0, "compare": "<=", "bilateral": True, "sides": "abs_diff"}
    assert rule_thresholds(_rule_set(("Symmetry", [sym])), "knee_flexion") == []
    side_only = _rule_set(("Depth", [bend | {"views": ["side"]}]))
    assert rule_thresholds(side_only, "knee_flexion", "front") == []
    assert len(rule_thresholds(side_only, "knee_flexion", "side")) == 1


def test_standard_plots_follow_the_view_the_rules_judge_from() -> None:
    from formcheck.report.plots import time_plots

    t = np.arange(60) / 30
    ones = np.ones(60, bool)
    view = np.full(60, VIEW_FRONT, np.int8)
    ms = MetricSet(
        t,
        view,
        {
            f"{base}_{side}": Metric(f"{base}_{side}", np.full(60, value), ones, "deg")
            for base, value in (
                ("knee_bend", 90.0),
                ("knee_flexion", 90.0),
                ("knee_flexion_image", 95.0),
                ("foot_progression", 5.0),
            )
            for side in ("left", "right")
        },
    )
    deg = {"unit": "deg", "bilateral": True}
    feet = deg | {
        "metric": "foot_progression",
        "threshold": 10.0,
        "compare": "within",
        "views": ["front"],
    }
    image = deg | {
        "metric": "knee_flexion_image",
        "threshold": 110.0,
        "compare": ">=",
        "views": ["side"],
    }
    world = deg | {
        "metric": "knee_flexion",
        "threshold": 100.0,
        "compare": ">=",
        "views": ["front"],
    }
    rules = _rule_set(("Feet parallel", [feet]), ("Depth", [image, world]))
    front = dict(time_plots(ms, rules, "front", []))
    side = dict(time_plots(ms, rules, "side", []))
    assert list(front) == [
        "Knee bend (0° = straight leg)",
        "Knees over feet (+ = knee inward of the foot)",
        "Foot angle (+ = toes out)",
    ]
    assert "Depth: at least 100°" in front["Knee bend (0° = straight leg)"]
    assert "Depth: at least 110°" in side["Knee bend (0° = straight leg)"]
    assert "Feet parallel: within ±10°" in front["Foot angle (+ = toes out)"]
    assert "Not measurable from this view" in side["Foot angle (+ = toes out)"]
    assert "left leg" not in side["Foot angle (+ = toes out)"]


def test_rule_targets_name_the_views_of_each_limit() -> None:
    from formcheck.core.ruleset import load_rules, parse_rules
    from formcheck.report.build import rules_section

    targets = {d["name"]: d["target"] for d in rules_section(load_rules())}
    assert targets["depth"] == "at most 0°"  # one limit (thighs to the floor), every view
    depth = {
        "name": "depth",
        "metric": "knee_flexion_image",
        "bilateral": True,
        "compare": ">=",
        "threshold": 110.0,
        "unit": "deg",
        "views": ["side"],
        "cue": "c",
        "guidance": "g",
        "fallback": [{"metric": "knee_flexion_level", "threshold": 100.0, "views": ["front"]}],
    }
    two = rules_section(parse_rules({"name": "two", "rule": [depth]}))
    assert two[0]["target"] == "at least 110° from the side, at least 100° from the front"
    assert targets["full_extension"] == "at most 10°"  # one limit, whichever angle measures it
    assert targets["knees_over_feet"] == "at most 12°"


def test_every_knee_angle_the_report_marks_has_landmarks_to_draw() -> None:
    """A still of a rep that passed every check marks the knee_bend; the drawing must know it."""
    from formcheck.media.annotate import METRIC_LANDMARKS
    from formcheck.report.plots import KNEE_ANGLES

    for base in KNEE_ANGLES:
        assert {f"{base}_left", f"{base}_right"} <= set(METRIC_LANDMARKS), base


def test_every_shipped_rule_says_what_its_number_is_and_the_page_shows_it() -> None:
    """A value like ``-10°`` for depth means nothing without its sign: each shipped rule says
    what it measures, report.json carries it and the rep table shows it under the limit."""
    from formcheck.core.ruleset import load_rules
    from formcheck.report.build import rules_section

    rules = rules_section(load_rules())
    assert all(r["measure"] for r in rules), [r["name"] for r in rules if not r["measure"]]
    depth = next(r for r in rules if r["name"] == "depth")
    assert "below 0 = hips below the knees" in depth["measure"]
    report = make_report()
    report["rules"] = [{**r, "measure": f"what {r['name']} is"} for r in report["rules"]]
    assert errors(report) == []
    page = render_html(report)
    for r in report["rules"]:
        assert f'<span class="measure">what {r["name"]} is</span>' in page
        assert f"Measured: what {r['name']} is" in page


def test_a_rule_file_without_measure_still_loads_and_renders() -> None:
    from formcheck.core.ruleset import parse_rules

    rule = {
        "name": "depth",
        "metric": "thigh_from_horizontal",
        "compare": "<=",
        "threshold": 0.0,
        "unit": "deg",
        "views": ["side"],
        "cue": "c",
        "guidance": "g",
    }
    loaded = parse_rules({"name": "mine", "rule": [rule]})
    assert loaded.rules[0].measure == "" and loaded.rules[0].to_dict()["measure"] == ""
    page = render_html(make_report())
    assert 'class="measure"' not in page and "Measured:" not in page
