"""Angle helpers: exact answers on known vectors, invariances (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from formcheck.core.geometry import (
    angle_between,
    angle_from_vertical,
    cross2,
    joint_flexion,
    norm,
    project_onto_plane,
    signed_angle_2d,
    signed_distance_2d,
)


def test_angle_between_known_3d_and_2d() -> None:
    u = np.array([[1.0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 2]])
    v = np.array([[0.0, 1, 0], [2, 0, 0], [-3, 0, 0], [1, 0, 0], [0, 5, 5]])
    np.testing.assert_allclose(angle_between(u, v), [90, 0, 180, 45, 45], atol=1e-12)
    np.testing.assert_allclose(angle_between(u[:, :2], v[:, :2]), [90, 0, 180, 45, 0], atol=1e-12)


def test_angle_between_is_accurate_near_zero() -> None:
    # arccos of a normalised dot product would return exactly 0 here.
    tiny = 1e-9
    got = angle_between(np.array([1.0, 0, 0]), np.array([1.0, tiny, 0]))
    assert got == pytest.approx(np.degrees(tiny), rel=1e-9)


def test_angle_between_nan_and_zero_length() -> None:
    u = np.array([[np.nan, 0, 0], [0, 0, 0]])
    v = np.array([[1.0, 0, 0], [1, 0, 0]])
    out = angle_between(u, v)
    assert np.isnan(out[0]) and out[1] == 0.0


def test_angle_between_rejects_mixed_dimensions() -> None:
    with pytest.raises(ValueError, match="same dimension"):
        angle_between(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="2 or 3"):
        angle_between(np.zeros(4), np.zeros(4))


def test_axis_argument_matches_last_axis() -> None:
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    np.testing.assert_allclose(angle_between(u.T, v.T, axis=0), angle_between(u, v), atol=1e-12)
    np.testing.assert_allclose(norm(u.T, axis=0), np.linalg.norm(u, axis=1), atol=1e-12)


def test_signed_angle_2d_is_clockwise_positive_in_image_coordinates() -> None:
    # y down: from "right" (1, 0) to "down" (0, 1) is a clockwise quarter turn on screen.
    assert signed_angle_2d(np.array([1.0, 0]), np.array([0.0, 1])) == pytest.approx(90.0)
    assert signed_angle_2d(np.array([1.0, 0]), np.array([0.0, -1])) == pytest.approx(-90.0)
    assert cross2(np.array([2.0, 0]), np.array([0.0, 3])) == 6.0


def test_knee_at_exactly_90_degrees() -> None:
    hip, knee, ankle = np.array([0.0, 0, 0]), np.array([0.0, 0.42, 0]), np.array([0.0, 0.42, -0.40])
    assert joint_flexion(hip, knee, ankle) == pytest.approx(90.0, abs=1e-9)
    assert joint_flexion(hip, knee, np.array([0.0, 0.82, 0])) == pytest.approx(0.0, abs=1e-9)


def test_angle_from_vertical_y_down() -> None:
    v = np.array([[0.0, -1, 0], [1.0, -1, 0], [0.0, -1, -1], [1.0, 0, 0], [0.0, 1, 0]])
    np.testing.assert_allclose(angle_from_vertical(v), [0, 45, 45, 90, 180], atol=1e-12)
    np.testing.assert_allclose(angle_from_vertical(v[:, :2]), [0, 45, 0, 90, 180], atol=1e-12)


def test_projection_and_signed_distance() -> None:
    np.testing.assert_allclose(
        project_onto_plane(np.array([1.0, 2, 3]), np.array([0, 0, 5.0])), [1, 2, 0]
    )
    # One unit right of a downward line: (0,0)->(0,2) x (1,1) = 0*1 - 2*1 = -2, over length 2 -> -1.
    got = signed_distance_2d(np.array([1.0, 1]), np.array([0.0, 0]), np.array([0.0, 2]))
    assert got == pytest.approx(-1.0)


angles = st.floats(-np.pi, np.pi, allow_nan=False)
coords = st.floats(-2, 2, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    a=angles,
    b=angles,
    c=angles,
    tx=coords,
    ty=coords,
    tz=coords,
    scale=st.floats(0.05, 20),
    seed=st.integers(0, 10_000),
)
def test_joint_flexion_invariant_to_rotation_translation_scale(
    a: float, b: float, c: float, tx: float, ty: float, tz: float, scale: float, seed: int
) -> None:
    pts = np.random.default_rng(seed).normal(size=(3, 20, 3))
    before = joint_flexion(*pts)
    moved = scale * pts @ Rotation.from_euler("ZYX", [a, b, c]).as_matrix().T + np.array(
        [tx, ty, tz]
    )
    np.testing.assert_allclose(joint_flexion(*moved), before, atol=1e-7)
