"""Two cameras, one verdict (`formcheck.core.fusion`), on exact landmark sequences: the rendered
figure's own landmarks (`synth.truth.pose_sequence`) from a rig of cameras (`synth.multicam`),
so offsets, pairs and verdicts have exact answers and no pose model runs."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from formcheck.core.analysis import Analysis, analyze
from formcheck.core.fusion import (
    SAME_SET,
    SEPARATE_SETS,
    fuse,
    normalised_xcorr,
    pair_reps,
)
from formcheck.core.ruleset import load_rules
from formcheck.synth import Camera, Scene, preset
from formcheck.synth.clip import solve, truth
from formcheck.synth.multicam import Rig, solve_rig
from formcheck.synth.presets import FAULT_RULE, VIEWS
from formcheck.synth.truth import pose_sequence

RULES = load_rules()


def _cam(view: str, fps: float) -> Camera:
    return Camera(yaw_deg=VIEWS[view], width=320, height=240, fps=fps)


@cache
def rig_analyses(
    name: str, views: tuple[str, ...], offsets: tuple[float, ...], fps: tuple[float, ...]
) -> list[tuple[str, Analysis]]:
    """``(path, analysis)`` per camera of a rig filming preset ``name`` (2 reps)."""
    squat = replace(preset(name), reps=2)
    cams = tuple(_cam(v, f) for v, f in zip(views, fps, strict=True))
    rig = Rig(Scene(squat, cams[0], seed=1, preset=name), cams, offsets)
    out = []
    for i, posed in enumerate(solve_rig(rig)):
        path = f"cam{i}-{views[i]}.mp4"
        out.append((path, analyze(pose_sequence(truth(posed, path)), RULES)))
    return out


def _true_offset(paths: list[str], offsets: tuple[float, ...], path: str, ref: str) -> float:
    """Where ``path``'s t = 0 lies on ``ref``'s clock, from the rig's offsets (camera 0's clock)."""
    return offsets[paths.index(path)] - offsets[paths.index(ref)]


def test_normalised_xcorr_finds_a_known_shift_and_is_one_there() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=400)
    b = a[37:237] * 3.0 + 1.0  # b[n] = a[n + 37], scaled and shifted
    lags, r, n = normalised_xcorr(a, np.ones(400, bool), b, np.ones(200, bool))
    k = int(np.nanargmax(np.where(n >= 100, r, np.nan)))
    assert lags[k] == 37
    assert r[k] == pytest.approx(1.0)
    assert n[k] == 200


def test_pair_reps_is_one_to_one_within_the_tolerance() -> None:
    ia, ib = pair_reps(np.array([1.0, 4.0, 7.0]), np.array([4.2, 7.1, 12.0]))
    assert list(zip(ia.tolist(), ib.tolist(), strict=True)) == [(1, 0), (2, 1)]
    ia, ib = pair_reps(np.array([1.0]), np.array([1.6]))
    assert ia.size == 0 and ib.size == 0


@pytest.mark.parametrize(
    ("offset", "fps"),
    [(1.5, (30, 25)), (-4.3, (60, 30)), (4.9, (25, 60)), (-5.0, (25, 25)), (0.37, (30, 60))],
)
def test_offset_within_a_frame_of_the_slower_camera_and_reps_paired(
    offset: float, fps: tuple[float, float]
) -> None:
    offsets = (0.0, offset)
    items = rig_analyses("good-cyclist-squat", ("front", "side"), offsets, fps)
    fused = fuse(items)
    assert fused.mode == SAME_SET and not fused.forced
    paths = [p for p, _ in items]
    ref = fused.sources[0].path
    other = fused.sources[1]
    assert fused.sources[0].view == "side" and other.view == "front"
    err = abs(other.offset_s - _true_offset(paths, offsets, other.path, ref))
    assert err <= 1.0 / min(fps), f"offset error {err:.4f} s"
    assert other.sync.correlation >= 0.95
    # 2 reps each, paired 0-0 and 1-1: no rep left on its own
    assert fused.rep_index.tolist() == [[0, 0], [1, 1]]


@pytest.mark.parametrize("name", sorted(FAULT_RULE) + ["good-cyclist-squat"])
def test_a_fault_filmed_by_two_cameras_fails_that_rule_alone_and_all_are_judged(
    name: str,
) -> None:
    fused = fuse(rig_analyses(name, ("front", "side"), (0.0, 1.2), (30.0, 30.0)))
    assert fused.mode == SAME_SET
    status = fused.scores.status
    assert status.shape[0] == 2
    names = [r.name for r in RULES.rules]
    # knee tracking is read where the knee bends 45 deg or more on half the rep
    # (`metrics.DEVIATION_MIN_FLEXION_DEG`): the 65 deg squat does not bend that far for long
    judgeable = [
        k for k, n in enumerate(names) if not (name == "shallow" and n == "knees_over_feet")
    ]
    assert (status[:, judgeable] > 0).all(), (
        f"not judged: {[names[k] for k in np.flatnonzero(status.min(0) == 0)]}"
    )
    failed = {names[k] for k in np.flatnonzero((status == 2).any(axis=0))}
    assert failed == set(FAULT_RULE.get(name, ()))
    assert (fused.judged_by[:, judgeable] >= 0).all()


def test_one_camera_alone_leaves_rules_not_judged_that_the_pair_judges() -> None:
    items = rig_analyses("good-cyclist-squat", ("front", "side"), (0.0, 1.2), (30.0, 30.0))
    for _, a in items:
        assert (a.scores.status == 0).any()
    assert (fuse(items).scores.status > 0).all()


def test_the_order_of_the_videos_does_not_change_the_verdict() -> None:
    items = rig_analyses("knee-valgus", ("front", "side"), (0.0, -2.3), (25.0, 30.0))
    a, b = fuse(items), fuse(items[::-1])
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.scores.status, b.scores.status)
    np.testing.assert_array_equal(a.scores.scores, b.scores.scores)


def _single(name: str, view: str, fps: float, **changes: float) -> Analysis:
    squat = replace(preset(name), **changes)
    posed = solve(Scene(squat, _cam(view, fps), seed=2, preset=name))
    return analyze(pose_sequence(truth(posed, f"{view}.mp4")), RULES)


def test_separate_sets_are_recognised_and_summarised_per_view() -> None:
    front = _single("knee-valgus", "front", 30.0, reps=3, descent_s=1.2, stand_s=0.8)
    side = _single("no-heel-block", "side", 25.0, reps=2, descent_s=2.0, ascent_s=1.6, stand_s=1.5)
    fused = fuse([("front.mp4", front), ("side.mp4", side)])
    assert fused.mode == SEPARATE_SETS
    # every rep kept with its own verdict: 3 from the front, then 2 from the side
    assert fused.scores.rep_count == 5
    names = [r.name for r in RULES.rules]
    # the set summary takes each rule from the video that judged it
    summary = fused.to_dict()["summary_source"]
    assert summary["heels_elevated"] == "side.mp4"
    assert summary["knees_over_feet"] == "front.mp4"
    failed = {names[k] for k in np.flatnonzero((fused.scores.status == 2).any(axis=0))}
    assert failed == {"knees_over_feet", "heels_elevated"}


def test_a_forced_mode_and_a_given_offset_are_used() -> None:
    items = rig_analyses("good-cyclist-squat", ("front", "side"), (0.0, 1.5), (30.0, 25.0))
    # camera 1 (side) started 1.5 s after camera 0 (front), given first
    fused = fuse(items, mode=SAME_SET, offsets={items[1][0]: 1.5})
    assert fused.forced and fused.sources[1].sync.manual
    assert fused.sources[0].view == "side" and fused.sources[1].offset_s == -1.5
    assert fuse(items[::-1], offsets={items[0][0]: -1.5}).sources[1].offset_s == -1.5
    json.dumps(fused.to_dict(), allow_nan=False)  # valid JSON: no NaN for what was not measured
    assert fused.rep_index.tolist() == [[0, 0], [1, 1]]
    apart = fuse(items, mode=SEPARATE_SETS)
    assert apart.mode == SEPARATE_SETS and apart.scores.rep_count == 4


def test_fewer_than_two_videos_is_refused() -> None:
    items = rig_analyses("good-cyclist-squat", ("front", "side"), (0.0, 1.5), (30.0, 25.0))
    with pytest.raises(ValueError, match="two or more"):
        fuse(items[:1])


def test_three_cameras_pair_every_rep_and_judge_every_check() -> None:
    views, offsets = ("front", "side", "oblique"), (0.0, 2.1, -1.4)
    items = rig_analyses("chest-dropping", views, offsets, (30.0, 25.0, 60.0))
    fused = fuse(items)
    assert fused.mode == SAME_SET
    assert [s.view for s in fused.sources] == ["side", "front", "oblique"]
    paths = [p for p, _ in items]
    for src in fused.sources[1:]:
        true = _true_offset(paths, offsets, src.path, fused.sources[0].path)
        assert abs(src.offset_s - true) <= 1 / 25
    assert (fused.rep_index >= 0).all() and fused.rep_index.shape == (2, 3)
    assert (fused.scores.status > 0).all()
    names = [r.name for r in RULES.rules]
    assert {names[k] for k in np.flatnonzero((fused.scores.status == 2).any(0))} == {"high_chest"}


def test_the_camera_whose_judged_value_is_more_accurate_decides() -> None:
    """Front and side both judge depth; the table's error of the value the rule judges
    (``rule.depth``) decides which camera's verdict counts, over its metric's per-frame error."""
    from formcheck.core.measurement_error import parse_measurement_errors

    items = rig_analyses("good-cyclist-squat", ("front", "side"), (0.0, 1.2), (30.0, 30.0))
    k = [r.name for r in RULES.rules].index("depth")

    def judge(rule_front: float, rule_side: float) -> set[str]:
        table = {
            "error": [
                {"metric": "thigh_from_horizontal", "view": "front", "error": 1.0, "unit": "deg"},
                {"metric": "thigh_from_horizontal", "view": "side", "error": 9.0, "unit": "deg"},
                {"metric": "rule.depth", "view": "front", "error": rule_front, "unit": "deg"},
                {"metric": "rule.depth", "view": "side", "error": rule_side, "unit": "deg"},
            ]
        }
        fused = fuse(items, errors=parse_measurement_errors(table, "test"))
        return {fused.sources[int(s)].view for s in fused.judged_by[:, k]}

    assert judge(9.0, 1.0) == {"side"}
    assert judge(1.0, 9.0) == {"front"}
