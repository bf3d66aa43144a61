"""Repetition segmentation on hand-built knee-flexion / hip-drop signals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_metrics import metric_set, squat_flexion, squat_metrics

from formcheck.core.movement import SIGNALS
from formcheck.core.reps import (
    RepCounter,
    RepParams,
    Reps,
    detect_reps,
    estimate_fps,
    find_reps,
    movement_signals,
    rep_signals,
)


def test_three_squats_exact_start_bottom_end():
    flex, bottoms, ts = squat_flexion(n_reps=3, fps=30.0, descent_s=1.0, ascent_s=1.0, stand_s=1.0)
    reps = find_reps(squat_metrics(flex))
    assert len(reps) == 3
    np.testing.assert_array_equal(reps.bottom, bottoms)
    # the movement starts on the last standing frame and ends on the first one
    np.testing.assert_array_equal(reps.start, bottoms - 30)
    np.testing.assert_array_equal(reps.end, bottoms + 30)
    np.testing.assert_allclose(reps.descent_s, 1.0)
    np.testing.assert_allclose(reps.ascent_s, 1.0)
    assert reps[1].t_bottom == pytest.approx(5.0)


@pytest.mark.parametrize("fps", [24.0, 29.97, 60.0])
def test_counts_at_other_frame_rates_with_noise(fps):
    flex, bottoms, _ = squat_flexion(
        n_reps=10, fps=fps, peak=95.0, top=8.0, descent_s=1.3, ascent_s=0.9
    )
    flex = flex + np.random.default_rng(1).normal(0.0, 1.5, flex.size)
    reps = find_reps(squat_metrics(flex, fps=fps))
    assert len(reps) == 10
    assert np.all(np.abs(reps.bottom - bottoms) <= round(0.2 * fps))  # the noise moves flat bottoms
    assert np.all(reps.end[:-1] <= reps.start[1:])


def test_back_to_back_reps_without_standing():
    flex, bottoms, _ = squat_flexion(n_reps=5, stand_s=0.0)
    reps = find_reps(squat_metrics(flex))
    np.testing.assert_array_equal(reps.bottom, bottoms)
    np.testing.assert_array_equal(reps.end[:-1], reps.start[1:])


def test_one_leg_bending_is_not_a_squat():
    """Walking / lunging: one knee bends a lot while the other stays nearly straight."""
    flex, _, _ = squat_flexion(n_reps=4, peak=100.0)
    assert len(find_reps(squat_metrics(flex, np.full_like(flex, 15.0)))) == 0
    assert len(find_reps(squat_metrics(np.full_like(flex, 15.0), flex))) == 0


def test_knee_bend_without_hip_descent_is_not_a_squat():
    """A tuck in the air bends both knees while the hips rise."""
    flex, _, _ = squat_flexion(n_reps=3)
    assert len(find_reps(squat_metrics(flex, hip_drop=-0.004 * flex))) == 0
    assert len(find_reps(squat_metrics(flex, hip_drop=np.zeros_like(flex)))) == 0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"peak": 15.0}, 0),  # a 15 deg knee bend: under min_bottom_deg (20)
        ({"descent_s": 0.3, "ascent_s": 0.3}, 0),  # 0.6 s: a jump's countermovement, not a squat
        ({"descent_s": 0.6, "ascent_s": 0.2}, 0),  # explosive 0.2 s push: take-off
        ({"descent_s": 7.0, "ascent_s": 6.0}, 0),  # 13 s: longer than max_duration_s
        (
            {"descent_s": 0.4, "ascent_s": 0.4},
            0,
        ),  # 0.8 s: the quick dips people bounce in before a jump
        ({"descent_s": 0.5, "ascent_s": 0.5}, 3),  # fast but plausible
        ({"descent_s": 5.0, "ascent_s": 4.0}, 3),  # slow tempo
        ({"peak": 60.0, "top": 15.0}, 3),  # shallow squat without lockout
    ],
)
def test_duration_and_depth_limits(kwargs, expected):
    flex, _, _ = squat_flexion(n_reps=3, **kwargs)
    assert len(find_reps(squat_metrics(flex))) == expected


def test_narrow_spike_is_not_a_squat():
    """Slow 30-degree bends around a 0.2 s spike to 90 degrees (a tracking glitch, a take-off)."""
    ramp = np.linspace(0.0, 30.0, 30)
    spike = 30.0 + 60.0 * np.sin(np.linspace(0.0, np.pi, 8))  # half-prominence width ~0.13 s
    flex = np.concatenate((np.zeros(30), ramp, spike, ramp[::-1], np.zeros(30)))
    assert len(find_reps(squat_metrics(flex))) == 0
    assert len(find_reps(squat_metrics(flex), RepParams(min_width_s=0.1))) == 1


def test_standing_points_must_be_upright():
    """Going down into a plank: the knees straighten again but the trunk ends horizontal."""
    flex, bottoms, _ = squat_flexion(n_reps=3)
    upright = np.full(flex.size, 15.0)
    plank = upright.copy()
    plank[bottoms[2] + 15 :] = 95.0
    np.testing.assert_array_equal(
        find_reps(squat_metrics(flex, trunk_lean=upright)).bottom, bottoms
    )
    np.testing.assert_array_equal(
        find_reps(squat_metrics(flex, trunk_lean=plank)).bottom, bottoms[:2]
    )
    unknown = plank.copy()
    unknown[bottoms[2] + 15 :] = np.nan  # nothing to check against: the rep stands
    np.testing.assert_array_equal(
        find_reps(squat_metrics(flex, trunk_lean=unknown)).bottom, bottoms
    )
    # leaning at the bottom is fine: only the standing points count (45 deg at 100 deg of knee
    # bend; leaning as far as the knees bend is a hinge, see test_movement.py)
    lean = 15.0 + 0.3 * flex
    np.testing.assert_array_equal(find_reps(squat_metrics(flex, trunk_lean=lean)).bottom, bottoms)


def test_bounce_at_the_bottom():
    """Half-way up and down again: two reps if the rise is prominent, else one."""
    fps = 30.0
    t = np.arange(0, 1, 1 / fps)
    down = 100 * (1 - np.cos(np.pi * t)) / 2
    for dip, n_expected in ((50.0, 2), (75.0, 1)):
        half_up = 100 - (100 - dip) * (1 - np.cos(np.pi * t)) / 2
        half_down = dip + (100 - dip) * (1 - np.cos(np.pi * t)) / 2
        flex = np.concatenate((np.zeros(30), down, half_up, half_down, down[::-1], np.zeros(30)))
        reps = find_reps(squat_metrics(flex))
        assert len(reps) == n_expected
        if n_expected == 2:
            assert reps.end[0] == reps.start[1] == 90  # the lowest point of the rise


def test_two_dips_in_a_row_are_not_one_rep():
    """Bouncing before a jump: a quick dip (too narrow to be a bottom), half way back up, then
    a deeper one. On the way down the knee angle turns back by more than half the excursion,
    so it is not one descent; a wobble of a few degrees on the way down still is."""
    fps = 30.0

    def arc(a: float, b: float, s: float) -> np.ndarray:
        t = np.arange(round(s * fps)) / round(s * fps)
        return a + (b - a) * (1 - np.cos(np.pi * t)) / 2

    for back_to, expected in ((10.0, 0), (52.0, 1)):
        flex = np.concatenate(
            (
                np.zeros(30),
                arc(0, 60, 0.25),
                arc(60, back_to, 0.2),
                arc(back_to, 80, 0.6),
                arc(80, 0, 0.6),
                np.zeros(30),
            )
        )
        assert len(find_reps(squat_metrics(flex))) == expected
        assert len(find_reps(squat_metrics(flex), RepParams(max_reversal_frac=1.0))) == 1


def test_shallow_squat_seen_from_the_front_is_counted():
    """MediaPipe's depth is poor from the front: squeezed world depth reads a 65-degree squat
    as ~16 degrees, too little to count; the foreshortened image heights count it."""
    from dataclasses import replace

    from formcheck.core.metrics import compute_metrics
    from formcheck.core.metricset import MetricSet
    from formcheck.testing import squat_sequence_with_truth

    noise = {"noise_px": 1.0, "noise_world_m": 0.005, "seed": 3}
    seq, truth = squat_sequence_with_truth(4, 30.0, 65.0, yaw_deg=0.0, **noise)
    squeezed = seq.world.copy()
    squeezed[..., 2] *= 0.2
    m = compute_metrics(replace(seq, world=squeezed))
    reps = find_reps(m)
    assert len(reps) == 4
    assert np.all(np.abs(reps.bottom - truth.reps[:, 1]) <= 8)  # on the 0.3 s bottom hold, +-0.1 s
    world = {
        name: metric
        for name, metric in m.items()
        if not name.startswith(("knee_flexion_front", "knee_bend"))  # knee_bend is re-derived
    }
    assert len(find_reps(MetricSet(m.timestamps, m.view, world))) == 0


def test_bottom_hold_with_two_equal_tops_is_one_rep():
    """Filter ringing on a held bottom can leave two tops of exactly equal height."""
    flex, bottoms, _ = squat_flexion(n_reps=3)
    b = bottoms[1]
    flex[b - 3 : b + 4] = [99.0, 99.5, 100.0, 99.7, 99.5, 99.7, 100.0][:7]  # tops at b-1 and b+3
    flex[b + 4] = 99.0
    reps = find_reps(squat_metrics(flex))
    # one rep, its bottom frame in the middle of the hold (b - 4 .. b + 4 within 5 deg of the top)
    np.testing.assert_array_equal(reps.bottom, [bottoms[0], b, bottoms[2]])
    deep = flex.copy()
    deep[b + 1] = (
        40.0  # a dip of 60 degrees between the equal tops: two bottoms, each rep too short
    )
    np.testing.assert_array_equal(find_reps(squat_metrics(deep)).bottom, bottoms[[0, 2]])


def test_partial_reps_at_clip_edges_are_not_counted():
    flex, bottoms, _ = squat_flexion(n_reps=3)
    assert len(find_reps(squat_metrics(flex[: bottoms[2] + 5]))) == 2  # ends at the bottom
    assert len(find_reps(squat_metrics(flex[bottoms[0] - 3 :]))) == 2  # starts at the bottom


def test_nan_gap_inside_a_rep_drops_only_that_rep():
    flex, bottoms, _ = squat_flexion(n_reps=3)
    gap = flex.copy()
    gap[bottoms[1] - 10 : bottoms[1] - 5] = np.nan
    reps = find_reps(squat_metrics(gap))
    np.testing.assert_array_equal(reps.bottom, bottoms[[0, 2]])


def test_nan_gap_while_standing_keeps_every_rep():
    flex, bottoms, _ = squat_flexion(n_reps=3, stand_s=2.0)
    gap = flex.copy()
    gap[bottoms[0] + 40 : bottoms[0] + 70] = np.nan
    np.testing.assert_array_equal(find_reps(squat_metrics(gap)).bottom, bottoms)


def test_image_flexion_fills_frames_without_world_flexion():
    flex, bottoms, ts = squat_flexion(n_reps=3)
    world = flex.copy()
    world[: bottoms[1] + 40] = np.nan
    m = metric_set(
        ts,
        knee_flexion_left=world,
        knee_flexion_right=world,
        knee_flexion_image_left=flex,
        knee_flexion_image_right=flex,
        hip_drop=0.004 * flex,
    )
    np.testing.assert_array_equal(find_reps(m).bottom, bottoms)


def test_invalid_frames_count_as_unknown():
    flex, bottoms, ts = squat_flexion(n_reps=3)
    valid = np.ones(flex.size, dtype=bool)
    valid[bottoms[2] - 3] = False
    m = metric_set(
        ts,
        knee_flexion_left=flex,
        knee_flexion_right=flex,
        knee_flexion_right__valid=valid,
        knee_flexion_left__valid=valid,
        hip_drop=0.004 * flex,
    )
    np.testing.assert_array_equal(find_reps(m).bottom, bottoms[:2])


def test_one_unknown_leg_uses_the_other():
    """A side view may hide the far leg: the near leg's flexion carries the rep."""
    flex, bottoms, ts = squat_flexion(n_reps=3)
    hidden = np.ones(flex.size, dtype=bool)
    hidden[bottoms[1] - 20 : bottoms[1] + 20] = False
    m = metric_set(
        ts,
        knee_flexion_left=flex,
        knee_flexion_right=flex + 5.0,
        knee_flexion_left__valid=hidden,
        hip_drop=0.004 * flex,
    )
    np.testing.assert_array_equal(find_reps(m).bottom, bottoms)
    flexion = rep_signals(m).flexion
    assert flexion[bottoms[1]] == 105.0 and flexion[bottoms[0]] == 100.0


def test_missing_metrics_are_named():
    flex, _, ts = squat_flexion(n_reps=1)
    with pytest.raises(ValueError, match="knee_flexion_right"):
        find_reps(metric_set(ts, knee_flexion_left=flex, hip_drop=0.0))
    with pytest.raises(ValueError, match="hip_drop"):
        find_reps(metric_set(ts, knee_flexion_left=flex, knee_flexion_right=flex))


def test_tiny_and_empty_inputs():
    assert len(find_reps(squat_metrics(np.empty(0)))) == 0
    assert len(find_reps(squat_metrics(np.array([0.0, 90.0])))) == 0
    assert len(find_reps(squat_metrics(np.full(200, np.nan)))) == 0


def test_params_and_reps_validation():
    with pytest.raises(ValueError, match="min_prominence_deg"):
        RepParams(min_prominence_deg=-1.0)
    with pytest.raises(ValueError, match="max_duration_s"):
        RepParams(min_duration_s=5.0, max_duration_s=4.0)
    with pytest.raises(ValueError, match="start <= bottom_first <= bottom <= bottom_last <= end"):
        Reps.from_indices([5], [3], [9], np.arange(10.0))
    with pytest.raises(ValueError, match="bottom_first <= bottom"):  # a plateau past its bottom
        Reps.from_indices([0], [5], [9], np.arange(10.0), ([6], [7]))
    with pytest.raises(ValueError, match="fps"):
        RepCounter(fps=0.0)
    assert estimate_fps(np.arange(10) / 25.0) == pytest.approx(25.0)


def test_reps_list_round_trip():
    flex, _, _ = squat_flexion(n_reps=2)
    reps = find_reps(squat_metrics(flex))
    rows = reps.to_list()
    assert [r["bottom"] for r in rows] == reps.bottom.tolist()
    assert [r.bottom for r in reps] == reps.bottom.tolist()
    assert len(Reps.concat([reps, reps])) == 4


# --- incremental == offline -----------------------------------------------------------------------


def _stream(counter: RepCounter, m, sizes) -> Reps:
    flex, hip, trunk = rep_signals(m)
    move = movement_signals(m)  # live reads the same movement signals as offline
    ts = np.asarray(m.timestamps)
    out, i, k = [], 0, 0
    while i < ts.size:
        step = sizes[k % len(sizes)]
        part = None if trunk is None else trunk[i : i + step]
        sl = slice(i, i + step)
        out.append(counter.push(ts[sl], flex[sl], hip[sl], part, move[:, sl]))
        i, k = i + step, k + 1
    out.append(counter.flush())
    return Reps.concat(out)


def _assert_same(a: Reps, b: Reps) -> None:
    for name in ("start", "bottom", "end", "bottom_first", "bottom_last"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.t_end, b.t_end)


def _noisy_session(seed: int, fps: float = 30.0):
    rng = np.random.default_rng(seed)
    flex, _, _ = squat_flexion(n_reps=12, fps=fps, stand_s=0.4, descent_s=1.1, ascent_s=0.8)
    flex = flex + rng.normal(0.0, 2.0, flex.size)
    flex[rng.integers(0, flex.size, 6)] = np.nan
    trunk = 20.0 + 0.3 * flex + rng.normal(0.0, 3.0, flex.size)
    trunk[rng.integers(0, flex.size, 3)] = 90.0  # a few bent-over frames
    return squat_metrics(flex, fps=fps, trunk_lean=trunk)


def test_incremental_frame_by_frame_equals_offline():
    m = _noisy_session(0)
    params = RepParams(max_duration_s=4.0)
    offline = find_reps(m, params, fps=30.0)
    assert len(offline) >= 8
    counter = RepCounter(30.0, params)
    live = _stream(counter, m, [1])
    _assert_same(live, offline)
    _assert_same(counter.reps, offline)
    assert counter.n_frames == m.n_frames


def test_incremental_reps_arrive_before_the_end():
    m = _noisy_session(3)
    params = RepParams(max_duration_s=3.0)
    counter = RepCounter(30.0, params)
    flex, hip, trunk = rep_signals(m)
    ts = np.asarray(m.timestamps)
    first = counter.push(ts[:300], flex[:300], hip[:300], trunk[:300])
    assert len(first) >= 2  # emitted live, not only at flush
    assert params.radius(30.0) == 2 * 90 + 1 + 15  # after the end: the 0.5 s flight window
    assert np.any(
        first.bottom + params.radius(30.0) > 299
    )  # some before R frames had passed: settled
    with pytest.raises(
        ValueError, match="trunk_lean: expected values as in the first frames, got None"
    ):
        counter.push(ts[300:301], flex[300:301], hip[300:301])


@pytest.mark.parametrize("noise", [0.0, 2.0])
def test_incremental_reps_are_final_right_after_standing_up(noise):
    """`settled`: a rep is emitted a few frames after its end plus the frames its checks read
    after it (the flight window, 15 frames), not 2 x max_duration_s (24 s) later, whenever no
    later frame can change it. With
    jitter the standing levels either side differ, and a rep whose standing point a lower level
    would move waits for a deeper bottom or the R frames: the typical rep is still prompt."""
    lags, params = [], RepParams()
    for seed in range(8):
        rng = np.random.default_rng(seed)
        flex, _, _ = squat_flexion(n_reps=6, stand_s=0.6)
        m = squat_metrics(
            flex + rng.normal(0.0, noise, flex.size), trunk_lean=np.full(flex.size, 15.0)
        )
        counter = RepCounter(30.0, params)
        ts, (knee, hip, trunk), move = m.timestamps, rep_signals(m), movement_signals(m)
        live = [
            counter.push(ts[i], knee[i], hip[i], trunk[i], move[:, i]) for i in range(flex.size)
        ]
        lags += [int(i - rep.end) for i, reps in enumerate(live) for rep in reps]
        _assert_same(Reps.concat([*live, counter.flush()]), find_reps(m, params, fps=30.0))
    after = params.after_end(30.0)
    if noise == 0.0:
        assert len(lags) == 48 and max(lags) <= after + 2  # every rep, when its window is in
    else:
        assert len(lags) >= 36 and np.median(lags) <= after + 2 < params.radius(30.0)


def test_incremental_update_takes_metric_chunks():
    flex, bottoms, ts = squat_flexion(n_reps=4)
    m = squat_metrics(flex)
    counter = RepCounter(30.0, RepParams(max_duration_s=3.0))
    got = []
    for a in range(0, flex.size, 37):
        chunk = squat_metrics(flex[a : a + 37], timestamps=ts[a : a + 37])
        got.append(counter.update(chunk))
    got.append(counter.flush())
    _assert_same(Reps.concat(got), find_reps(m, RepParams(max_duration_s=3.0), fps=30.0))
    with pytest.raises(ValueError, match="expected times after"):
        counter.push(ts[:1], flex[:1], flex[:1])
    with pytest.raises(ValueError, match="of one shape"):
        counter.push(ts[-1] + np.arange(1, 3), flex[:2], flex[:3])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), sizes=st.lists(st.integers(1, 400), min_size=1, max_size=6))
def test_incremental_equals_offline_for_any_chunking(seed, sizes):
    m = _noisy_session(seed)
    params = RepParams(max_duration_s=2.5)
    _assert_same(_stream(RepCounter(30.0, params), m, sizes), find_reps(m, params, fps=30.0))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    step=st.integers(1, 300),
    nan_frac=st.sampled_from([0.0, 0.01, 0.1]),
    quantum=st.sampled_from([0.0, 5.0]),
)
def test_incremental_equals_offline_on_adversarial_signals(seed, step, nan_frac, quantum):
    """Random walks of the knee angle with NaN holes and, quantised, many exactly equal peaks."""
    rng = np.random.default_rng(seed)
    n = 1500
    flex = np.clip(np.cumsum(rng.normal(0.0, 6.0, n)), -20.0, 150.0)
    if quantum:
        flex = np.round(flex / quantum) * quantum
    flex[rng.random(n) < nan_frac] = np.nan
    hip, trunk = flex / 100 + rng.normal(0.0, 0.02, n), 20.0 + rng.normal(0.0, 20.0, n)
    ts = np.arange(n) / 30.0
    params = RepParams(max_duration_s=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning on flat stretches
        offline = detect_reps(flex, hip, ts, 30.0, params, trunk)
        counter = RepCounter(30.0, params)
        parts = [
            counter.push(
                ts[i : i + step], flex[i : i + step], hip[i : i + step], trunk[i : i + step]
            )
            for i in range(0, n, step)
        ]
    _assert_same(Reps.concat([*parts, counter.flush()]), offline)


def _squat_like(rng: np.random.Generator, fps: float = 30.0) -> np.ndarray:
    """Knee flexion of a made-up session: squats of any depth and tempo, half-stands, quick
    bounces, partial moves, jitter, NaN holes, sometimes quantised (exact ties)."""
    parts = [np.full(int(rng.integers(5, 60)), rng.uniform(0, 20))]
    for _ in range(int(rng.integers(3, 12))):
        cur, kind = parts[-1][-1], int(rng.integers(0, 4))
        if kind == 0:
            depth, hold = rng.uniform(20, 130), int(rng.integers(0, 20))
            parts += [
                np.linspace(cur, depth, int(rng.uniform(0.3, 3) * fps)),
                np.full(hold, depth),
                np.linspace(depth, rng.uniform(0, 25), int(rng.uniform(0.3, 3) * fps)),
            ]
        elif kind == 1:
            parts.append(np.full(int(rng.integers(1, 90)), rng.uniform(0, 25)))
        elif kind == 2:
            parts.append(np.linspace(cur, rng.uniform(0, 140), int(rng.integers(3, 60))))
        else:
            v = rng.uniform(10, 60)
            parts += [np.linspace(cur, cur + v, 8), np.linspace(cur + v, cur, 8)]
    flex = np.concatenate(parts)
    flex = flex + rng.normal(0, rng.uniform(0, 3), flex.size)
    for _ in range(int(rng.integers(0, 4))):
        a = int(rng.integers(0, flex.size))
        flex[a : a + int(rng.integers(1, 15))] = np.nan
    return np.round(flex / 5) * 5 if rng.random() < 0.3 else flex


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 1_000_000),
    step=st.sampled_from([1, 7, 50]),
    max_s=st.sampled_from([3.0, 12.0]),
)
def test_incremental_equals_offline_on_squat_like_sessions(seed, step, max_s):
    """Sessions where most reps are emitted early (`settled`): still exactly the offline reps."""
    rng = np.random.default_rng(seed)
    flex = _squat_like(rng)
    n = flex.size
    hip, trunk = np.nan_to_num(flex) / 100 + rng.normal(0, 0.01, n), 15 + rng.normal(0, 5, n)
    # movement signals that turn some candidates down (and are unknown on some frames)
    scale = [[0.2], [0.1], [25.0], [0.0], [0.0], [0.12], [0.12]]
    move = np.abs(rng.normal(0.0, scale, (len(SIGNALS), n)))
    move[3] = rng.normal(40.0, 25.0, n)
    move[4] = rng.normal(45.0, 20.0, n)  # arm elevation: some candidates' arms swing up
    # hips and feet: some candidates' frames after the end rise like a flight
    move[:, rng.random(n) < 0.05] = np.nan
    ts, params = np.arange(n) / 30.0, RepParams(max_duration_s=max_s)
    counter = RepCounter(30.0, params)
    parts = [
        counter.push(
            ts[i : i + step], flex[i : i + step], hip[i : i + step], trunk[i : i + step],
            move[:, i : i + step],
        )
        for i in range(0, n, step)
    ]  # fmt: skip
    _assert_same(
        Reps.concat([*parts, counter.flush()]),
        detect_reps(flex, hip, ts, 30.0, params, trunk, move),
    )


# --- NaN gaps -------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.integers(0, 420), st.integers(1, 40)), max_size=6),
    side=st.sampled_from(["left", "right", "hip", "both"]),
)
def test_nan_gaps_never_crash_and_never_create_a_rep(gaps, side):
    flex, bottoms, _ = squat_flexion(n_reps=4, stand_s=0.5)
    left, right, hip = flex.copy(), flex.copy(), 0.004 * flex
    for a, length in gaps:
        for arr, name in ((left, "left"), (right, "right"), (hip, "hip")):
            if side in (name, "both"):
                arr[a : a + length] = np.nan
    reps = find_reps(squat_metrics(left, right, hip_drop=hip))
    # only reps that exist without gaps, and none with a gap inside its knee signal
    assert set(reps.bottom.tolist()) <= set(bottoms.tolist())
    known = np.fmin(left, right)
    for r in reps:
        assert np.isfinite(known[r.start : r.end + 1]).all()


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-50, 200), st.just(float("nan"))), min_size=0, max_size=300
    ),
    fps=st.sampled_from([10.0, 30.0, 60.0]),
)
def test_arbitrary_signals_give_ordered_gap_free_reps(values, fps):
    flex = np.repeat(np.array(values, dtype=np.float64), 4)
    reps = detect_reps(flex, 0.01 * flex, np.arange(flex.size) / fps, fps)
    assert np.all(reps.start <= reps.bottom) and np.all(reps.bottom <= reps.end)
    assert np.all(reps.end[:-1] <= reps.start[1:])
    for r in reps:
        assert np.isfinite(flex[r.start : r.end + 1]).all()


# --- end to end on synthetic pose sequences -------------------------------------------------------


@pytest.mark.parametrize(
    ("yaw", "fps", "peak", "tempo"),
    [
        (0.0, 30.0, 100.0, (1.5, 0.3, 1.5, 0.7)),  # front view
        (90.0, 60.0, 125.0, (2.0, 0.5, 1.0, 0.2)),  # side view, deep, barely a pause at the top
        (35.0, 25.0, 75.0, (0.7, 0.0, 0.6, 1.0)),  # oblique, shallow and quick
        (180.0, 30.0, 110.0, (3.0, 1.0, 3.0, 2.0)),  # from behind, slow
    ],
)
def test_exact_count_on_synthetic_pose_sequences(yaw, fps, peak, tempo):
    from formcheck.core.metrics import compute_metrics
    from formcheck.testing import squat_sequence_with_truth

    noise = {"noise_px": 1.5, "noise_world_m": 0.005, "seed": 7}
    seq, truth = squat_sequence_with_truth(6, fps, peak, yaw_deg=yaw, tempo=tempo, **noise)
    reps = find_reps(compute_metrics(seq, clean=True))
    assert len(reps) == 6
    hold = round(tempo[1] * fps / 2) + round(
        0.1 * fps
    )  # anywhere on the bottom hold, +-0.1 s of noise
    assert np.all(np.abs(reps.bottom - truth.reps[:, 1]) <= hold)
    # standing points: back within 5 % of the excursion, i.e. the first / last ~15 % of a cosine
    # phase
    assert np.all(np.abs(reps.start - truth.reps[:, 0]) <= round((0.15 * tempo[0] + 0.1) * fps))
    assert np.all(np.abs(reps.end - truth.reps[:, 2]) <= round((0.15 * tempo[2] + 0.1) * fps))


@settings(max_examples=40, deadline=None)
@given(
    hold=st.integers(0, 40),
    noise=st.floats(0.0, 1.5),
    seed=st.integers(0, 2**16),
)
def test_the_bottom_of_a_held_rep_is_the_middle_of_the_hold_whatever_the_noise(
    hold: int, noise: float, seed: int
) -> None:
    """A bottom held ``hold`` frames with up to 1.5 deg of landmark noise on it: the bottom
    frame stays within 2 frames of the hold's middle, wherever the noise puts the deepest frame
    (which moved a rep's bottom by the whole 0.3 s hold between two runs of the pose model)."""
    rng = np.random.default_rng(seed)
    down = 120.0 * (1 - np.cos(np.linspace(0, np.pi / 2, 30)))  # 1 s descent at 30 fps
    flat = np.full(hold, down[-1]) + rng.uniform(-noise, noise, hold)
    flex = np.concatenate([np.zeros(30), down, flat, down[::-1], np.zeros(30)])
    reps = find_reps(squat_metrics(flex))
    assert len(reps) == 1
    middle = 30 + 29 + (hold + 1) / 2  # between the last descent and the first ascent frame
    assert abs(reps.bottom[0] - middle) <= 2, (reps.bottom[0], middle)
    # the plateau the rules' bottom phase judges holds the whole hold, and no frame below it
    first, last = reps.bottom_first[0], reps.bottom_last[0]
    assert first <= 30 + 29 + 1 and last >= 30 + 29 + hold, (first, last, hold)
    plateau = flex[first : last + 1]
    assert plateau.min() >= flex.max() - RepParams().bottom_tolerance_deg - 2.0  # filtered
