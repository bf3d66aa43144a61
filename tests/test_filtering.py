"""Signal quality: gating, gap bridging, zero-phase low-pass, leg-swap repair."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.core import filtering as flt
from formcheck.core.landmarks import INDEX, LEFT_ANKLE, LEFT_KNEE, RIGHT_ANKLE, RIGHT_KNEE
from formcheck.core.metrics import compute_metrics
from formcheck.core.sequence import PoseSequence
from formcheck.testing import squat_sequence


def test_gate_sets_low_visibility_landmarks_to_nan() -> None:
    pts = np.ones((2, 3, 3))
    vis = np.array([[0.9, 0.4, 0.5], [0.1, 1.0, 0.6]])
    out = flt.gate(pts, vis, threshold=0.5)
    assert np.isnan(out[0, 1]).all() and np.isnan(out[1, 0]).all()
    assert np.isfinite(out[0, [0, 2]]).all() and np.isfinite(out[1, 1:]).all()
    with pytest.raises(ValueError, match="visibility: expected shape"):
        flt.gate(pts, vis[:, :2])


def test_max_gap_frames_follows_fps() -> None:
    assert flt.max_gap_frames(30.0) == 6
    assert flt.max_gap_frames(60.0) == 12
    assert flt.max_gap_frames(29.97) == 5
    assert flt.max_gap_frames(2.0) == 1


def test_short_gaps_are_interpolated_and_long_gaps_stay_nan() -> None:
    x = np.arange(40, dtype=float) * 2.0
    x[5:8] = np.nan  # 3 frames: bridged
    x[20:30] = np.nan  # 10 frames: too long
    x[:2] = np.nan  # leading: nothing to interpolate from
    out = flt.interpolate_gaps(x, max_gap=3)
    np.testing.assert_allclose(out[5:8], [10.0, 12.0, 14.0])
    assert np.isnan(out[20:30]).all() and np.isnan(out[:2]).all()
    np.testing.assert_array_equal(out[np.isfinite(x)], x[np.isfinite(x)])
    # Exactly max_gap + 1 frames stay NaN.
    y = np.arange(10.0)
    y[3:7] = np.nan
    assert np.isnan(flt.interpolate_gaps(y, max_gap=3)[3:7]).all()


def test_interpolation_works_along_any_axis() -> None:
    x = np.tile(np.arange(12.0)[:, None, None], (1, 2, 3))
    x[4:6, 1, 2] = np.nan
    out = flt.interpolate_gaps(x, max_gap=2, axis=0)
    np.testing.assert_allclose(out, np.tile(np.arange(12.0)[:, None, None], (1, 2, 3)))
    out_t = flt.interpolate_gaps(np.moveaxis(x, 0, -1), max_gap=2, axis=-1)
    np.testing.assert_allclose(np.moveaxis(out_t, -1, 0), out)


def test_lowpass_recovers_a_sinusoid_without_delay() -> None:
    fps = 60.0
    t = np.arange(int(20 * fps)) / fps
    clean = 40 * np.sin(2 * np.pi * 0.4 * t)  # a 2.5 s squat cycle, degrees
    noisy = clean + np.random.default_rng(1).normal(0, 3.0, t.shape)
    out = flt.lowpass(noisy, fps)
    err, err_raw = np.sqrt(np.mean((out - clean) ** 2)), np.sqrt(np.mean((noisy - clean) ** 2))
    # White noise keeps ~ sqrt(6 Hz / 30 Hz) of its RMS below the cut-off; the sinusoid passes
    # unchanged.
    assert err < 0.45 * err_raw
    # Zero phase: the best alignment with the clean signal is at lag 0.
    lags = range(-5, 6)
    best = max(lags, key=lambda k: float(np.dot(np.roll(out, k)[10:-10], clean[10:-10])))
    assert best == 0


def test_lowpass_filters_each_run_and_keeps_nan() -> None:
    fps = 30.0
    t = np.arange(300) / fps
    x = np.sin(2 * np.pi * 0.5 * t) + np.random.default_rng(2).normal(0, 0.2, t.shape)
    x[100:140] = np.nan
    x[200:205] = np.nan
    x[250:] = np.nan
    x[260:265] = 5.0  # a 5-frame run: shorter than MIN_RUN, returned as is
    out = flt.lowpass(x, fps)
    assert np.array_equal(np.isnan(out), np.isnan(x))
    np.testing.assert_array_equal(out[260:265], 5.0)
    assert np.std(np.diff(out[:100])) < 0.5 * np.std(np.diff(x[:100]))
    assert np.std(np.diff(out[140:200])) < 0.5 * np.std(np.diff(x[140:200]))


def test_lowpass_same_as_scipy_sosfiltfilt_on_a_full_run() -> None:
    from scipy.signal import butter, sosfiltfilt

    x = np.random.default_rng(3).normal(size=(3, 500))
    sos = butter(2, 6.0 / 25.0, output="sos")
    np.testing.assert_allclose(
        flt.lowpass(x, 50.0, axis=1), sosfiltfilt(sos, x, axis=1), atol=1e-12
    )


def test_lowpass_leaves_slow_video_alone_and_checks_arguments() -> None:
    x = np.random.default_rng(4).normal(size=100)
    np.testing.assert_array_equal(flt.lowpass(x, fps=12.0), x)  # 6 Hz is the Nyquist frequency
    with pytest.raises(ValueError, match="fps"):
        flt.lowpass(x, fps=0.0)


#: The landmarks MediaPipe exchanges in a leg swap (the hips stay).
LEG_LEFT = [INDEX[f"left_{p}"] for p in ("knee", "ankle", "heel", "foot_index")]
LEG_RIGHT = [INDEX[f"right_{p}"] for p in ("knee", "ankle", "heel", "foot_index")]


def _swap(seq: PoseSequence, start: int, stop: int) -> PoseSequence:
    """``seq`` with the legs exchanged on frames ``start:stop``, as MediaPipe's swaps do."""
    a, b = LEG_LEFT + LEG_RIGHT, LEG_RIGHT + LEG_LEFT
    arrays = []
    for arr in (seq.landmarks, seq.world, seq.visibility):
        out = arr.copy()
        out[start:stop, a] = arr[start:stop, b]
        arrays.append(out)
    return replace(seq, landmarks=arrays[0], world=arrays[1], visibility=arrays[2])


def _leg_features(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    """Left and right knee + ankle ``(T, 2, 5)``: pixels / median shank pixels, world / 0.4 m."""
    pix = seq.pixels
    knees, ankles = pix[:, [LEFT_KNEE, RIGHT_KNEE]], pix[:, [LEFT_ANKLE, RIGHT_ANKLE]]
    scale = float(np.nanmedian(np.linalg.norm(knees - ankles, axis=-1)))
    feats = np.concatenate([pix / scale, seq.world / flt.SHANK_M], axis=-1)
    return feats[:, LEG_LEFT[:2]], feats[:, LEG_RIGHT[:2]]


def _bend(seq: PoseSequence) -> np.ndarray:
    """Left and right 3-D knee flexion (deg) and FPPA of ``seq``, as compute_metrics cleans them."""
    m = compute_metrics(seq)
    names = [f"{b}_{s}" for b in ("knee_flexion", "fppa_world") for s in ("left", "right")]
    return np.stack([m[n].values for n in names])


@pytest.mark.parametrize("yaw", [0.0, 90.0, 135.0])
def test_an_injected_leg_swap_is_found_and_repaired(yaw: float) -> None:
    seq = squat_sequence(
        n_reps=2, fps=30.0, yaw_deg=yaw, stance_width=1.2, noise_px=1.0, noise_world_m=0.005
    )
    broken = _swap(seq, 50, 56)
    found = flt.find_leg_swaps(*_leg_features(broken), broken.fps)
    assert np.flatnonzero(found).tolist() == list(range(50, 56))
    np.testing.assert_allclose(_bend(broken), _bend(seq), atol=1e-9)


def test_swaps_touching_either_end_are_repaired() -> None:
    seq = squat_sequence(n_reps=1, fps=30.0, noise_px=1.0)
    for start, stop in ((0, 7), (len(seq) - 9, len(seq))):
        np.testing.assert_allclose(_bend(_swap(seq, start, stop)), _bend(seq), atol=1e-9)


def test_no_false_swaps_on_noisy_squats_and_long_swaps_are_left_alone() -> None:
    seq = squat_sequence(n_reps=3, fps=60.0, yaw_deg=90.0, noise_px=2.0, noise_world_m=0.01)
    assert not flt.find_leg_swaps(*_leg_features(seq), seq.fps).any()
    # A 3 s "swap" in the middle is more likely a mislabelled reference than a glitch: untouched.
    long = _swap(seq, 100, 280)
    assert not flt.find_leg_swaps(*_leg_features(long), long.fps).any()


def test_swap_detection_skips_missing_frames() -> None:
    seq = squat_sequence(n_reps=1, fps=30.0)
    lm = seq.landmarks.copy()
    lm[40:44] = np.nan
    broken = _swap(replace(seq, landmarks=lm), 44, 50)
    found = flt.find_leg_swaps(*_leg_features(broken), broken.fps)
    assert np.flatnonzero(found).tolist() == list(range(44, 50))


def test_metrics_gate_low_visibility_bridge_short_gaps_and_smooth() -> None:
    truth = compute_metrics(squat_sequence(n_reps=2, fps=60.0), clean=False)
    noisy = squat_sequence(n_reps=2, fps=60.0, noise_px=3.0, noise_world_m=0.01)
    vis = noisy.visibility.copy()
    vis[100:104, LEFT_KNEE] = 0.1  # 4 frames gated, then bridged
    vis[200:260, RIGHT_KNEE] = 0.1  # 1 s gated: stays unknown
    lm, world = noisy.landmarks.copy(), noisy.world.copy()
    lm[100:104, LEFT_KNEE] = 5.0  # junk under low visibility
    world[100:104, LEFT_KNEE] = 5.0
    seq = replace(noisy, landmarks=lm, world=world, visibility=vis)
    cleaned, raw = compute_metrics(seq), compute_metrics(noisy, clean=False)
    assert not cleaned["knee_flexion_right"].valid[200:260].any()
    left = cleaned["knee_flexion_left"]
    assert left.valid[100:104].all()
    assert np.abs(left.values[100:104] - truth["knee_flexion_left"].values[100:104]).max() < 3.0
    bent = truth["knee_flexion_left"].values > 30.0  # near 0 deg noise only adds: a bias
    err = {
        k: np.mean(np.abs(m["knee_flexion_left"].values - truth["knee_flexion_left"].values)[bent])
        for k, m in (("clean", cleaned), ("raw", raw))
    }
    assert err["clean"] < 0.5 * err["raw"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 199), st.integers(1, 30)), max_size=8), st.integers(1, 12))
def test_nan_gaps_never_crash_and_never_invent_long_data(
    gaps: list[tuple[int, int]], max_gap: int
) -> None:
    x = np.sin(np.arange(200) / 10.0)
    for start, length in gaps:
        x[start : start + length] = np.nan
    out = flt.lowpass(flt.interpolate_gaps(x, max_gap), 30.0)
    assert out.shape == x.shape
    nan = np.isnan(x)
    # Every NaN run longer than max_gap is still NaN afterwards.
    for start, stop in flt.runs(nan):
        if stop - start > max_gap or start == 0 or stop == len(x):
            assert np.isnan(out[start:stop]).all()


def test_interpolate_rows_shared_gaps_match_the_per_row_path() -> None:
    """Whole missing frames take the 1-D fast path; it must equal row-by-row interpolation."""
    from formcheck.core.filtering import interpolate_rows

    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 400))
    missing = np.zeros(400, dtype=bool)
    for start, length in [(0, 3), (40, 1), (100, 5), (200, 12), (390, 10)]:
        missing[start : start + length] = True
    x[:, missing] = np.nan
    fast = interpolate_rows(x, max_gap=6)
    slow = np.vstack([interpolate_rows(row[None, :], max_gap=6) for row in x])
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
    assert np.isnan(fast[:, 200:212]).all() and np.isfinite(fast[:, 100:105]).all()


def test_drop_short_runs() -> None:
    mask = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    np.testing.assert_array_equal(
        flt.drop_short_runs(mask, 3), [0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]
    )
    np.testing.assert_array_equal(flt.drop_short_runs(mask, 1), mask)
    assert flt.drop_short_runs(np.zeros(0, dtype=bool), 5).shape == (0,)


@settings(max_examples=100, deadline=None)
@given(mask=st.lists(st.booleans(), max_size=80), min_frames=st.integers(0, 12))
def test_drop_short_runs_keeps_exactly_the_long_runs(mask: list[bool], min_frames: int) -> None:
    got = flt.drop_short_runs(np.array(mask, dtype=bool), min_frames)
    want = np.zeros(len(mask), dtype=bool)
    for start, stop in flt.runs(np.array(mask, dtype=bool)):
        want[start:stop] = stop - start >= min_frames
    np.testing.assert_array_equal(got, want)
