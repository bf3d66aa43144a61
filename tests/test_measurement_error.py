"""Measurement errors as data (rules/measurement_error.toml, one loader in the core) and the batch
per-patient view that calls a change between sessions real only beyond them."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from formcheck.batch.digest import RuleDigest, VideoSummary, video_summary
from formcheck.batch.discover import VideoEntry
from formcheck.batch.jobs import JobResult
from formcheck.batch.run import Outcome
from formcheck.batch.summary import write_summary
from formcheck.core.measurement_error import (
    MEASUREMENT_ERROR_FILE,
    load_measurement_errors,
    parse_measurement_errors,
)
from formcheck.core.metrics import compute_metrics
from formcheck.core.ruleset import load_rules, shipped_rule_sets
from formcheck.errors import InputError
from formcheck.testing import squat_sequence

ROOT = Path(__file__).resolve().parents[1]


def _sync_errors():  # noqa: ANN202
    """benchmarks/sync_errors.py: it reads the figures of RESULTS.md into the shipped table."""
    spec = importlib.util.spec_from_file_location(
        "sync_errors", ROOT / "benchmarks" / "sync_errors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _accuracy_table() -> dict[tuple[str, str], float]:
    """``(metric, view) -> MAE`` from bench_accuracy's table in benchmarks/RESULTS.md."""
    return {key: mae for key, (mae, _bias) in _sync_errors().accuracy().items()}


def _depth_table() -> dict[tuple[str, str], float]:
    """``(metric, view) -> MAE`` near depth from bench_depth's sections of benchmarks/RESULTS.md."""
    return {key: mae for key, (mae, _bias) in _sync_errors().depth().items()}


def test_every_shipped_error_is_the_benchmark_figure_it_cites() -> None:
    errors = load_measurement_errors()
    table = _accuracy_table() | _depth_table()
    assert len(errors.entries) >= 15
    for (metric, view), entry in errors.entries.items():
        assert table[(metric, view)] == entry.error, (metric, view)
        assert entry.source.startswith(("bench_accuracy", "bench_depth")) and entry.unit


def test_every_metric_a_shipped_rule_judges_by_has_an_error_in_its_views() -> None:
    """Except a left-right difference (symmetry), which the benchmark does not measure: the
    per-patient view says "no known measurement error" for it."""
    errors = load_measurement_errors()
    metrics = compute_metrics(squat_sequence(n_reps=1))
    missing = []
    for rule in load_rules().rules:
        for check in rule.checks:
            if check.sides == "abs_diff":
                continue
            assert (
                check.metric.startswith("rep.")
                or f"{check.metric}_left" in metrics
                or (check.metric in metrics)
            )
            views = ("front", "oblique", "side") if "any" in check.views else check.views
            missing += [(check.metric, v) for v in views if errors.lookup(check.metric, v) is None]
    assert missing == []


def test_every_shipped_rule_has_the_error_of_its_judged_value_in_its_views() -> None:
    """bench_accuracy measures the value each rule judges per rep (``rule.<name>``): a left-right
    difference included, which no metric's per-frame error describes."""
    errors = load_measurement_errors()
    for rule in load_rules().rules:
        views = {v for c in rule.checks for v in c.views}
        views = {"front", "oblique", "side"} if "any" in views else views
        for view in sorted(views):
            entry = errors.lookup(f"rule.{rule.name}", view)
            assert entry is not None, (rule.name, view)
            assert entry.unit == rule.primary.unit and entry.n >= 30, (rule.name, view)


def test_lookup_and_within() -> None:
    errors = load_measurement_errors()
    side = errors.lookup("knee_flexion_image_left", "side")  # a side's entry is the metric's
    assert side == errors.lookup("knee_flexion_image", "side") and side.unit == "deg"
    assert errors.lookup("knee_flexion_image", "front") is None  # not valid from the front
    fppa = errors.lookup("fppa", "front").error
    assert errors.within("fppa", "front", -(fppa - 0.1)) is True
    assert errors.within("fppa", "front", fppa + 0.1) is False
    assert errors.within("fppa", "side", 30.0) is None and errors.within(None, "front", 1) is None


def test_the_table_is_not_a_rule_set() -> None:
    assert MEASUREMENT_ERROR_FILE == "measurement_error.toml"
    assert shipped_rule_sets() == ["cyclist_squat"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"metric": "fppa", "view": "top", "error": 1.0, "unit": "deg"}, "expected view one of"),
        ({"metric": "fppa", "view": "front", "error": -1, "unit": "deg"}, "expected a positive"),
        ({"metric": "fppa", "view": "front", "error": 1.0}, "expected a text 'unit'"),
    ],
)
def test_malformed_entries_are_named(entry: dict, message: str) -> None:
    with pytest.raises(InputError, match=rf"errors.toml: \[\[error\]\] #1: {message}"):
        parse_measurement_errors({"error": [entry]}, "errors.toml")


def test_missing_or_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_measurement_errors(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[error]\n")
    with pytest.raises(InputError, match=r"bad.toml: expected TOML"):
        load_measurement_errors(bad)
    twice = tmp_path / "twice.toml"
    twice.write_text('[[error]]\nmetric="fppa"\nview="front"\nerror=1\nunit="deg"\n' * 2)
    with pytest.raises(InputError, match="fppa from the front is listed twice"):
        load_measurement_errors(twice)


# --- the per-patient view -------------------------------------------------------------------------


def _summary(view: str, fppa: float, depth: float, symmetry: float) -> VideoSummary:
    """A video's batch digest: one rep judged on knee tracking (knee deviation, from the front
    only), depth (the one knee angle, whose error depends on the view) and symmetry (a
    left-right difference)."""
    depth_metric = "knee_bend"
    front = view == "front"
    rules = {
        "knees_over_feet": RuleDigest(
            "Knees over feet",
            "deg",
            int(front),
            1.0 if front else None,
            fppa if front else None,
            "knee_deviation" if front else None,
            view if front else None,
        ),
        "depth": RuleDigest("Depth", "deg", 1, 1.0, depth, depth_metric, view),
        "symmetry": RuleDigest("Symmetry", "deg", 1, 1.0, symmetry, None, view),
    }
    return VideoSummary("analysed", "1 squat repetition analysed.", 1, 80.0, view, rules)


def _outcome(tmp_path: Path, name: str, date: str, summary: VideoSummary) -> Outcome:
    job_dir = tmp_path / "out" / "videos" / f"v-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
    job_dir.mkdir(parents=True, exist_ok=True)
    entry = VideoEntry(path=tmp_path / name, name=name, patient_id="P1", session_date=date)
    return Outcome(entry, JobResult("e" * 64, "k", "ok", summary=summary), job_dir)


def test_video_summary_says_what_each_median_measured() -> None:
    """From the `Analysis`: the metric and view behind each rule's median; none for a left-right
    difference (its error is not the metric's) and for a rule no rep could be judged on."""
    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.testing import squat_sequence

    rules = load_rules()
    front = video_summary(analyze(squat_sequence(n_reps=2, valgus_deg=10.0), rules), "").rules
    assert (front["knees_over_feet"].metric, front["knees_over_feet"].view) == (
        "knee_deviation",
        "front",
    )
    side = video_summary(analyze(squat_sequence(n_reps=2, yaw_deg=90.0), rules), "").rules
    assert side["knees_over_feet"].judged == 0
    assert (side["knees_over_feet"].metric, side["knees_over_feet"].view) == (None, None)
    symmetric = [r.name for r in rules.rules if any(c.sides == "abs_diff" for c in r.checks)]
    assert symmetric
    for name in symmetric:
        assert front[name].metric is None


def test_a_change_is_real_only_beyond_the_measurement_error_of_that_view(tmp_path: Path) -> None:
    sessions = [
        ("a.mp4", "2024-01-10", _summary("front", 14.0, 105.0, 3.0)),
        ("b.mp4", "2024-02-10", _summary("front", 12.0, 109.0, 9.0)),  # -2: within the error
        ("c.mp4", "2024-03-10", _summary("front", 5.0, 118.0, 4.0)),  # -7: real
        ("d.mp4", "2024-04-10", _summary("side", 4.0, 120.0, 4.0)),  # depth from the side now
    ]
    outcomes = [_outcome(tmp_path, *s) for s in sessions]
    _, html_path = write_summary(tmp_path / "out", outcomes)
    page = html_path.read_text()
    patient = page[page.index("<h3>P1</h3>") :]
    trend, table = patient.split('<table class="sortable">')
    errors = load_measurement_errors()
    # the error of the value the rule judges (its rule.* entry), not its metric's per frame
    knee = errors.lookup("rule.knees_over_feet", "front").error
    assert knee != errors.lookup("knee_deviation", "front").error
    assert 2.0 < knee < 7.0  # the sessions below sit on both sides of it
    sym = errors.lookup("rule.symmetry", "front").error
    assert 1.0 < sym < 6.0
    # first -> last: knee tracking 14 -> 5 (not judged from the side), beyond its error
    assert f"-9.0 deg: real change (beyond \u00b1{knee:.1f} deg from the front)" in trend
    # depth was measured from the front, then from the side: the same angle, other errors
    assert "+15.0 deg: not comparable (measured differently: front then side view)" in trend
    # symmetry 3 -> 4, front then side: the difference is only known from the front
    assert "+1.0 deg: not comparable (measured differently: front then side view)" in trend
    # session by session
    assert (
        f'<small class="within">-2.0 deg: within measurement error (\u00b1{knee:.1f} deg' in table
    )
    assert f'<small class="real">-7.0 deg: real change (beyond \u00b1{knee:.1f} deg' in table
    depth_error = errors.lookup("rule.depth", "front").error
    assert 4.0 < depth_error < 9.0  # depth from the front: +4 lies within its error, +9 beyond
    assert f"+4.0 deg: within measurement error (\u00b1{depth_error:g} deg from the front)" in table
    assert f"+9.0 deg: real change (beyond \u00b1{depth_error:g} deg from the front)" in table
    assert '<small class="nc">+2.0 deg: not comparable (measured differently: front then side' in (
        table
    )  # depth 118 -> 120: the last session was filmed from the side
    # symmetry 3 -> 9 -> 4 from the front: its judged difference has a measured error
    assert f"+6.0 deg: real change (beyond \u00b1{sym:g} deg from the front)" in table
    assert f"-5.0 deg: real change (beyond \u00b1{sym:g} deg from the front)" in table
    assert "no known measurement error" not in patient
