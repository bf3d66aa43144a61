"""Per-frame view estimate from body geometry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.core.metricset import VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE, VIEW_UNKNOWN
from formcheck.core.view import body_yaw, classify_view, fold_yaw, sequence_view, smooth_yaw
from formcheck.testing import pose_from_angles, squat_sequence


@pytest.mark.parametrize(
    ("yaw", "expected"),
    [
        (0.0, VIEW_FRONT),
        (15.0, VIEW_FRONT),
        (45.0, VIEW_OBLIQUE),
        (-45.0, VIEW_OBLIQUE),
        (90.0, VIEW_SIDE),
        (-90.0, VIEW_SIDE),
        (180.0, VIEW_FRONT),
        (135.0, VIEW_OBLIQUE),
    ],
)
def test_synthetic_yaw_gives_the_view(yaw: float, expected: int) -> None:
    seq = squat_sequence(
        n_reps=2, yaw_deg=yaw, trunk_lean_deg=30.0, noise_px=1.0, noise_world_m=0.01
    )
    assert (sequence_view(seq) == expected).all()


@pytest.mark.parametrize(
    ("yaw", "expected"), [(0.0, VIEW_FRONT), (45.0, VIEW_OBLIQUE), (90.0, VIEW_SIDE)]
)
def test_image_alone_gives_the_view(yaw: float, expected: int) -> None:
    seq = squat_sequence(n_reps=1, yaw_deg=yaw)
    seq = replace(seq, world=np.full_like(seq.world, np.nan))
    assert (sequence_view(seq) == expected).all()


def test_body_yaw_full_circle() -> None:
    yaws = np.array([0.0, 30.0, 90.0, 150.0, 180.0, -60.0, -120.0])
    seq = pose_from_angles(60.0, yaw_deg=yaws)
    w = seq.world
    got = body_yaw(w[:, 11], w[:, 12], w[:, 23], w[:, 24])
    np.testing.assert_allclose(np.cos(np.radians(got - yaws)), 1.0, atol=1e-12)
    np.testing.assert_allclose(fold_yaw(yaws), [0, 30, 90, 30, 0, 60, 60])


def test_view_changes_follow_the_body_and_single_frame_flicker_is_removed() -> None:
    yaw = np.repeat([0.0, 90.0], 60)
    yaw[30] = 90.0  # one frame of nonsense
    seq = pose_from_angles(40.0, yaw_deg=yaw, fps=30.0)
    view = sequence_view(seq)
    assert (view[:55] == VIEW_FRONT).all() and (view[65:] == VIEW_SIDE).all()


def test_missing_frames_are_unknown() -> None:
    seq = squat_sequence(n_reps=1)
    lm, world = seq.landmarks.copy(), seq.world.copy()
    lm[10:20] = np.nan
    world[10:20] = np.nan
    view = sequence_view(replace(seq, landmarks=lm, world=world))
    assert (view[10:20] == VIEW_UNKNOWN).all() and (view[20:] == VIEW_FRONT).all()


def test_classify_and_smooth_edge_cases() -> None:
    codes = classify_view(np.array([np.nan, 0, 29.9, 30, 60, 60.1]))
    expected = [VIEW_UNKNOWN, VIEW_FRONT, VIEW_FRONT, VIEW_OBLIQUE, VIEW_OBLIQUE, VIEW_SIDE]
    np.testing.assert_array_equal(codes, expected)
    assert np.isnan(smooth_yaw(np.full(5, np.nan), 30.0)).all()
    assert smooth_yaw(np.array([]), 30.0).shape == (0,)


@pytest.mark.parametrize("yaw", [150.0, -120.0, 180.0, 60.0])
def test_left_right_swaps_while_standing_are_undone_by_the_bent_knees(yaw: float) -> None:
    from formcheck.core.landmarks import INDEX
    from formcheck.core.view import YAW_LANDMARKS, estimate_yaw

    seq = squat_sequence(n_reps=2, yaw_deg=yaw, noise_world_m=0.01)
    world = seq.world.copy()
    knee = (
        world[:, INDEX["left_knee"]]
        - (world[:, INDEX["left_hip"]] + world[:, INDEX["left_ankle"]]) / 2
    )
    standing = np.hypot(knee[:, 0], knee[:, 2]) < 0.05
    assert 0 < standing.sum() < len(standing)
    for part in ("shoulder", "hip", "knee", "ankle", "ear"):  # MediaPipe's swap from behind
        left, right = INDEX[f"left_{part}"], INDEX[f"right_{part}"]
        world[standing, left], world[standing, right] = (
            seq.world[standing, right],
            seq.world[standing, left],
        )
    got, confidence = estimate_yaw({k: world[:, INDEX[k]] for k in YAW_LANDMARKS}, seq.fps)
    np.testing.assert_array_less(np.abs(((got - yaw) + 180) % 360 - 180), 10.0)
    assert ((confidence >= 0) & (confidence <= 1)).all()
