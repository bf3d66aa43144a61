"""Only squats are counted: each movement check on synthetic sequences (`core.movement`)."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_metrics import squat_flexion, squat_metrics

from formcheck.core.landmarks import INDEX
from formcheck.core.metrics import compute_metrics
from formcheck.core.movement import MOVEMENT_RULES, SIGNALS, MovementRule, judge_candidates
from formcheck.core.reps import (
    RepCounter,
    Reps,
    find_candidates,
    movement_signals,
    rep_signals,
)
from formcheck.core.sequence import PoseSequence
from formcheck.testing import squat_sequence


def _with_world(seq: PoseSequence, world: np.ndarray) -> PoseSequence:
    from dataclasses import replace

    return replace(seq, world=world)


def _analyse(seq: PoseSequence):
    return find_candidates(compute_metrics(seq))


def _live(metrics, fps: float, chunk: int) -> Reps:
    """The reps live mode's `RepCounter` gives on ``metrics`` fed ``chunk`` frames at a time."""
    flex, hip, trunk = rep_signals(metrics)
    move = movement_signals(metrics)
    counter = RepCounter(fps)
    ts = np.asarray(metrics.timestamps)
    live = [counter.push(ts[i : i + chunk], flex[i : i + chunk], hip[i : i + chunk],
                         trunk[i : i + chunk], move[:, i : i + chunk])
            for i in range(0, ts.size, chunk)]  # fmt: skip
    return Reps.concat([*live, counter.flush()])


def test_a_plain_squat_set_counts_and_nothing_is_turned_down():
    reps, rejected = _analyse(squat_sequence(n_reps=3))
    assert len(reps) == 3
    assert len(rejected) == 0


def test_feet_one_ahead_of_the_other_is_a_lunge():
    seq = squat_sequence(n_reps=2)
    world = seq.world.copy()
    # the left foot steps 0.45 m towards the camera (about half a leg length of 0.85 m)
    for name in ("left_ankle", "left_heel", "left_foot_index"):
        world[:, INDEX[name], 2] -= 0.45
    reps, rejected = _analyse(_with_world(seq, world))
    assert len(reps) == 0
    assert rejected.movements == ("lunge", "lunge")
    assert "leg lengths apart front to back" in rejected.reasons[0]
    value = float(rejected.reasons[0].split()[1])
    assert 0.4 < value < 0.7


def test_a_squat_whose_feet_split_glitches_for_a_quarter_of_the_rep_still_counts():
    """From the front MediaPipe's depth puts one ankle ~0.5 leg lengths ahead for about a quarter
    of a rep when the knees cave in (seen on the rendered knee-valgus sample): the feet did not
    move, so the squat counts (the split is judged by its median over the rep)."""
    seq = squat_sequence(n_reps=2)
    reps, _ = _analyse(seq)
    world = seq.world.copy()
    for rep in reps:
        n = rep.end - rep.start + 1
        glitch = slice(rep.bottom - int(0.13 * n), rep.bottom + int(0.13 * n))
        for name in ("left_ankle", "left_heel", "left_foot_index"):
            world[glitch, INDEX[name], 2] -= 0.5
    glitched, rejected = _analyse(_with_world(seq, world))
    assert len(glitched) == 2
    assert rejected.movements == ()


def test_hips_over_one_foot_from_the_front_is_a_lateral_lunge():
    seq = squat_sequence(n_reps=2)  # front view
    world = seq.world.copy()
    # the hips sit 0.3 m to one side of the feet: the feet move the other way
    for side in ("left", "right"):
        for part in ("ankle", "heel", "foot_index"):
            world[:, INDEX[f"{side}_{part}"], 0] += 0.3
    reps, rejected = _analyse(_with_world(seq, world))
    assert len(reps) == 0
    assert set(rejected.movements) == {"lateral lunge"}
    assert "to one side of the feet" in rejected.reasons[0]


def test_deep_forward_lean_with_little_knee_bend_is_a_hip_hinge():
    reps, rejected = _analyse(squat_sequence(n_reps=2, peak_knee_flexion=45.0, trunk_lean_deg=70.0))
    assert len(reps) == 0
    assert set(rejected.movements) == {"hip hinge"}
    assert "above the trunk lean" in rejected.reasons[0]


def test_a_squat_with_the_same_lean_but_deep_knees_counts():
    reps, rejected = _analyse(
        squat_sequence(n_reps=2, peak_knee_flexion=110.0, trunk_lean_deg=45.0)
    )
    assert len(reps) == 2 and len(rejected) == 0


def _arms(seq: PoseSequence, standing_deg: float, bottom_deg: float) -> PoseSequence:
    """``seq`` with both arms (world, 0.55 m shoulder to wrist) raised from the trunk line by
    ``standing_deg`` when standing, moving linearly with the hips' image height to ``bottom_deg``
    at the deepest frame, in the plane of the trunk and the camera direction."""
    world = seq.world.copy()
    hip_y = seq.landmarks[:, [INDEX["left_hip"], INDEX["right_hip"]], 1].mean(axis=1)
    depth = (hip_y - hip_y.min()) / np.ptp(hip_y)  # 0 standing, 1 at the bottom (image y down)
    elevation = np.radians(standing_deg + (bottom_deg - standing_deg) * depth)[:, None]
    for side in ("left", "right"):
        shoulder = world[:, INDEX[f"{side}_shoulder"]]
        down = world[:, INDEX[f"{side}_hip"]] - shoulder
        down /= np.linalg.norm(down, axis=1, keepdims=True)
        ahead = np.array([0.0, 0.0, -1.0]) - down * (-down[:, 2:3])  # towards the camera
        ahead /= np.linalg.norm(ahead, axis=1, keepdims=True)
        world[:, INDEX[f"{side}_wrist"]] = shoulder + 0.55 * (
            np.cos(elevation) * down + np.sin(elevation) * ahead
        )
    return _with_world(seq, world)


def test_arms_thrown_up_as_the_body_stands_is_a_kettlebell_swing():
    """A swing: the arms hang at the bottom (20 deg from the trunk) and rise with the bell to
    80 deg as the hips extend; the legs move as in a squat."""
    reps, rejected = _analyse(_arms(squat_sequence(n_reps=2), 80.0, 20.0))
    assert len(reps) == 0
    assert rejected.movements == ("kettlebell swing",) * 2
    value = float(rejected.reasons[0].split()[1])
    assert 50 <= value <= 60, rejected.reasons  # 60 deg, less the low-pass at the turn


@pytest.mark.parametrize(("standing", "bottom"), [(30.0, 90.0), (20.0, 20.0), (60.0, 40.0)])
def test_a_squat_holding_or_reaching_with_its_arms_counts(standing: float, bottom: float):
    """Arms reaching forward as a counterweight at the bottom, hanging still, or held out and
    sinking a little (20 deg, within the 25 deg limit) are a squat's."""
    reps, rejected = _analyse(_arms(squat_sequence(n_reps=2), standing, bottom))
    assert len(reps) == 2 and len(rejected) == 0, rejected.to_list()


def test_rules_on_signals_first_failure_explains():
    t = 100
    signals = np.zeros((len(SIGNALS), t))
    signals[SIGNALS.index("knee_over_trunk")] = 60.0
    start, bottom, end = np.array([0, 40]), np.array([20, 60]), np.array([39, 99])
    signals[SIGNALS.index("knee_asymmetry"), 60] = 50.0  # second candidate: one knee bends alone
    signals[SIGNALS.index("feet_split"), 40:99] = 0.8  # ... and feet split: reported first
    v = judge_candidates(signals, start, bottom, end)
    assert v.squat.tolist() == [True, False]
    assert v.movement(1) == "lunge" and v.reason(1) == "feet 0.80 leg lengths apart front to back"
    signals[SIGNALS.index("feet_split")] = np.nan  # unknown: nothing to judge by, passes
    v = judge_candidates(signals, start, bottom, end)
    assert v.movement(1) == "single-leg bend"
    assert v.reason(1) == "one knee bent 50 deg more than the other at the bottom"
    signals[SIGNALS.index("knee_over_trunk"), 20] = 5.0  # at least 20: the first is a hinge
    assert judge_candidates(signals, start, bottom, end).movement(0) == "hip hinge"


def test_median_ignores_a_few_glitched_frames():
    signals = np.zeros((len(SIGNALS), 50))
    signals[SIGNALS.index("knee_over_trunk")] = 60.0
    signals[SIGNALS.index("feet_split"), 10:14] = 2.0  # 4 of 40 frames: a tracking slip
    v = judge_candidates(signals, np.array([5]), np.array([20]), np.array([44]))
    assert v.squat.tolist() == [True]


def test_every_rule_has_a_reason_and_a_defence():
    for rule in MOVEMENT_RULES:
        assert rule.why and "{value" in rule.reason and rule.movement
    with pytest.raises(ValueError, match="expected a signal"):
        MovementRule("x", "nope", "median", 1.0, "deg", "m", "{value}", "w")


def test_no_hip_descent_and_ending_on_the_floor_are_explained():
    flex, bottoms, _ = squat_flexion(n_reps=3)
    _, rejected = find_candidates(squat_metrics(flex, hip_drop=np.zeros_like(flex)))
    assert rejected.movements == ("standing movement",) * 3
    plank = np.full(flex.size, 15.0)
    plank[bottoms[2] + 15 :] = 95.0
    reps, rejected = find_candidates(squat_metrics(flex, trunk_lean=plank))
    assert len(reps) == 2 and rejected.movements == ("floor exercise",)
    assert rejected.summary() == "1 floor exercise"
    assert rejected.to_list()[0]["reason"] == "trunk 95 deg from vertical at the start or end"


def test_live_counter_turns_down_the_same_candidates():
    seq = squat_sequence(n_reps=3)
    world = seq.world.copy()
    n = world.shape[0]
    for name in ("left_ankle", "left_heel", "left_foot_index"):  # split stance in the 2nd half
        world[n // 2 :, INDEX[name], 2] -= 0.45
    metrics = compute_metrics(_with_world(seq, world))
    offline, rejected = find_candidates(metrics)
    assert len(offline) >= 1 and len(rejected) >= 1
    np.testing.assert_array_equal(_live(metrics, float(seq.fps), 7).bottom, offline.bottom)


def test_report_lists_what_was_not_counted():
    from formcheck.core.analysis import NO_SQUAT, analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.report.build import build_report
    from formcheck.report.html import render_html
    from formcheck.report.pipeline import outcome_message
    from formcheck.report.schema import validate

    seq = squat_sequence(n_reps=2)
    world = seq.world.copy()
    for name in ("left_ankle", "left_heel", "left_foot_index"):
        world[:, INDEX[name], 2] -= 0.45
    analysis = analyze(_with_world(seq, world), load_rules())
    assert analysis.status == NO_SQUAT and len(analysis.rejected) == 2
    message = outcome_message(analysis, "lunges.mp4")
    assert "seen instead: 2 lunges" in message
    report = build_report(
        analysis, video_path="lunges.mp4", width=1280, height=720, message=message, files={}
    )
    validate(report)
    assert report["schema_version"] >= "1.1"  # not_counted since 1.1
    item = report["not_counted"][0]
    assert item["movement"] == "lunge" and item["end_s"] > item["start_s"] >= 0
    assert item["reason"].startswith("feet 0.")
    html = render_html(report)
    assert "Also seen, not counted: <b>2 lunges</b>" in html
    # each candidate with its times and measured reason, one click away
    assert f"{item['start_s']:.1f}-{item['end_s']:.1f} s: lunge, {item['reason']}</li>" in html


# --- jumps: feet and hips leave the floor --------------------------------------------------------


def _lifted(seq: PoseSequence, frames: np.ndarray, height: np.ndarray, names=None) -> PoseSequence:
    """``seq`` with landmarks ``names`` (None: every one) raised in the image by ``height``
    standing shank lengths on ``frames``."""
    from dataclasses import replace

    pts = seq.landmarks.copy()
    shank = np.linalg.norm(pts[0, INDEX["left_knee"], :2] - pts[0, INDEX["left_ankle"], :2])
    idx = slice(None) if names is None else [INDEX[n] for n in names]
    rows = pts[frames]
    rows[:, idx, 1] -= (height * shank)[:, None]
    pts[frames] = rows
    return replace(seq, landmarks=pts)


def _flights(seq: PoseSequence, reps: Reps, names=None, stay: bool = False) -> PoseSequence:
    """A 0.4 s, 0.5-shank-length flight from 2 frames before each rep's end (a take-off);
    ``stay``: instead, the last rep's landmarks rise as fast from there and never come back
    down (a track sliding away)."""
    if stay:
        frames = np.arange(reps.end[-1] - 2, len(seq))
        return _lifted(seq, frames, np.minimum(np.arange(frames.size) / 6.0, 0.5), names)
    arc = np.sin(np.linspace(0.0, np.pi, int(0.4 * seq.fps))) * 0.5
    for end in reps.end.tolist():
        seq = _lifted(seq, np.arange(end - 2, end - 2 + arc.size), arc, names)
    return seq


def test_a_squat_that_takes_off_is_a_jump_and_the_live_counter_agrees():
    seq = squat_sequence(n_reps=3)
    squats, _ = _analyse(seq)
    jumps = _flights(seq, squats)
    reps, rejected = _analyse(jumps)
    assert len(reps) == 0 and rejected.movements == ("jump",) * 3, rejected.to_list()
    value = float(rejected.reasons[0].split()[3])
    assert rejected.reasons[0].startswith("feet and hips ") and 0.4 < value <= 0.5
    assert len(_live(compute_metrics(jumps), float(seq.fps), 5)) == 0


def test_feet_or_hips_rising_alone_or_a_track_that_slides_away_is_not_a_jump():
    seq = squat_sequence(n_reps=3)
    squats, _ = _analyse(seq)
    feet = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
    ankles = (*feet, "left_ankle", "right_ankle")
    hips = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    for moved in (
        _flights(seq, squats, names=ankles),  # foot landmarks slip up: the hips stay
        _flights(seq, squats, names=hips),  # the hips rise (tiptoe): the toes stay down
        _flights(seq, squats, stay=True),  # the last rep's whole track slides up and stays
    ):
        reps, rejected = _analyse(moved)
        assert len(reps) == 3 and "jump" not in rejected.movements, rejected.to_list()


def test_flight_on_signals_needs_both_and_a_landing():
    t = 120
    signals = np.zeros((len(SIGNALS), t))
    signals[SIGNALS.index("knee_over_trunk")] = 60.0
    feet, hips = SIGNALS.index("feet_height"), SIGNALS.index("hip_height")
    signals[hips, :40] = -1.0  # squatting down to the bottom at frame 20
    start, bottom, end = np.array([0]), np.array([20]), np.array([40])
    signals[[feet, hips], 41:50] = 0.6  # 9 frames in the air after the end, landed by 50
    v = judge_candidates(signals, start, bottom, end, after=15)
    assert v.movement(0) == "jump"
    assert (
        v.reason(0)
        == "feet and hips 0.60 shank lengths off the floor at the top (squat: 0.3 or less)"
    )
    assert judge_candidates(signals, start, bottom, end, after=0).squat[0]  # not read: passes
    signals[[feet, hips], 41:] = 0.6  # never lands: a track sliding away, not a flight
    assert judge_candidates(signals, start, bottom, end, after=15).squat[0]
    signals[[feet, hips], 50:] = 0.0
    signals[hips, 41:50] = np.nan  # hips unknown: nothing to judge by, passes
    assert judge_candidates(signals, start, bottom, end, after=15).squat[0]
    with pytest.raises(ValueError, match="a flight reads two signals"):
        MovementRule("x", "feet_height", "flight", 1.0, "u", "m", "{value}", "w")


def test_knees_bending_while_the_body_rises_is_a_pull_up():
    """Hanging from a bar, a pull-up tucks the knees as the body goes up: the hips never go down,
    so it is not a squat; with the hips this much higher it is called a pull-up."""
    from formcheck.testing import squat_sequence_with_truth

    seq, truth = squat_sequence_with_truth(n_reps=2)
    hanging = _lifted(seq, np.arange(len(seq)), 2.0 * truth.depth)  # hips up ~1 shank length
    reps, rejected = _analyse(hanging)
    assert len(reps) == 0 and rejected.movements == ("pull-up", "pull-up"), rejected.to_list()
    assert rejected.reasons[0].endswith("than at the start and end (hanging or climbing)")
    # a smaller rise (a calf raise, a step) is only a standing movement
    _, rejected = _analyse(_lifted(seq, np.arange(len(seq)), 1.2 * truth.depth))
    assert set(rejected.movements) == {"standing movement"}, rejected.to_list()


# --- box jumps: the feet land on a higher floor ------------------------------------------------


def _on_a_box(seq: PoseSequence, reps: Reps, box: float = 0.8) -> PoseSequence:
    """Each rep's whole body raised by ``box`` standing shank lengths from halfway down to its
    bottom until 5 frames after its end (landed on a box, then stepped back down)."""
    for start, bottom, end in zip(reps.start, reps.bottom, reps.end, strict=True):
        frames = np.arange((start + bottom) // 2, min(end + 6, len(seq)))
        ramp = np.minimum(np.arange(frames.size) / 3.0, 1.0) * box
        seq = _lifted(seq, frames, ramp)
    return seq


def test_landing_on_a_box_is_a_box_jump_and_the_live_counter_agrees():
    seq = squat_sequence(n_reps=3)
    squats, _ = _analyse(seq)
    boxed = _on_a_box(seq, squats)
    reps, rejected = _analyse(boxed)
    assert len(reps) == 0 and rejected.movements == ("box jump",) * 3, rejected.to_list()
    assert rejected.reasons[0].startswith("feet ") and rejected.reasons[0].endswith(
        "shank lengths higher at the bottom and at the end than before (squat: 0.4 or less)"
    )
    assert 0.7 < float(rejected.reasons[0].split()[1]) <= 0.8
    assert len(_live(compute_metrics(boxed), float(seq.fps), 7)) == 0
    # a 0.3 shank-length shift (a foot landmark's drift, a step lower than any box) still counts
    assert len(_analyse(_on_a_box(seq, squats, box=0.3))[0]) == 3


def test_climb_on_signals_needs_the_bottom_and_the_end_higher():
    t = 60
    signals = np.zeros((len(SIGNALS), t))
    signals[SIGNALS.index("knee_over_trunk")] = 60.0
    feet = SIGNALS.index("feet_height")
    start, bottom, end = np.array([0]), np.array([20]), np.array([40])
    signals[feet, 5:10] = -0.1  # the lowest before the bottom: the floor taken off from
    signals[feet, 15:] = 0.6  # landed on a box before the bottom, stood up there
    v = judge_candidates(signals, start, bottom, end)
    assert v.movement(0) == "box jump"
    assert v.reason(0) == (
        "feet 0.70 shank lengths higher at the bottom and at the end than before (squat: 0.4 "
        "or less)"
    )
    signals[feet, 35:] = 0.0  # back down by the end: a drift at the bottom, not a box
    assert judge_candidates(signals, start, bottom, end).squat[0]
    signals[feet, 15:] = 0.0
    signals[feet, 38:] = 0.9  # only the end is higher: a track sliding away after the rep
    assert judge_candidates(signals, start, bottom, end).squat[0]
    signals[feet, 15:] = 0.6
    signals[feet, bottom] = np.nan  # the bottom unknown: nothing to judge by, passes
    assert judge_candidates(signals, start, bottom, end).squat[0]
