"""`knee_deviation`: the knee's deviation from the plane of hip, ankle and foot, on analytic legs
with exact answers (metric and ground truth)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.core.landmarks import INDEX, NUM_LANDMARKS
from formcheck.core.metrics import FOOT_TO_SHANK, _knee_deviation
from formcheck.synth.truth import knee_deviation as true_knee_deviation

THIGH, SHANK, HALF_HIPS = 0.43, 0.42, 0.09  # metres (pixels at scale 1)
LENGTHS = (THIGH, SHANK)
FOOT = FOOT_TO_SHANK * SHANK  # the foot of the proportions the metric assumes


def legs(foot_deg: float, deviation_deg: float, flexion_deg: float) -> dict[str, np.ndarray]:
    """Landmarks ``(3, 1)`` of both legs of a subject facing a level orthographic camera, in
    MediaPipe's axes (x image right = the subject's left, y down, z away from the camera; the
    image is x and y at scale 1): vertical hip-ankle lines, each foot turned out ``foot_deg``,
    each knee flexed ``flexion_deg`` and turned ``deviation_deg`` towards the midline about the
    hip-ankle line from the plane of hip, ankle and foot."""
    theta = np.radians(flexion_deg)
    reach = np.sqrt(THIGH**2 + SHANK**2 + 2 * THIGH * SHANK * np.cos(theta))
    r = THIGH * SHANK * np.sin(theta) / reach
    along = (THIGH**2 - SHANK**2 + reach**2) / (2 * reach)
    w = {}
    for side, sx in (("left", 1.0), ("right", -1.0)):
        toe = np.array([sx * np.sin(np.radians(foot_deg)), 0.0, -np.cos(np.radians(foot_deg))])
        bend = np.radians(foot_deg - deviation_deg)  # medial = towards -sx
        base = np.array([sx * HALF_HIPS, 0.0, 0.0])
        w[f"{side}_hip"] = base
        w[f"{side}_ankle"] = base + [0.0, reach, 0.0]
        w[f"{side}_knee"] = (
            base + [0.0, along, 0.0] + r * np.array([sx * np.sin(bend), 0.0, -np.cos(bend)])
        )
        w[f"{side}_heel"] = w[f"{side}_ankle"] + [0.0, 0.06, 0.0] - 0.05 * toe
        w[f"{side}_foot_index"] = w[f"{side}_heel"] + FOOT * toe
    return {k: v[:, None] for k, v in w.items()}


def measured(w: dict[str, np.ndarray], side: str, flexion_deg: float) -> float:
    other = "right" if side == "left" else "left"
    image = {k: v[:2] for k, v in w.items()}
    seen = np.array([True])
    flexion = np.array([flexion_deg])
    # orthographic: an infinite focal length, no magnification of the nearer knee
    return float(_knee_deviation(side, other, image, flexion, LENGTHS, seen, 0.0, np.inf)[0])


@settings(max_examples=200, deadline=None)
@given(
    foot=st.floats(0.0, 30.0),
    deviation=st.floats(-15.0, 15.0),
    flexion=st.floats(30.0, 130.0),
)
def test_deviation_whatever_the_turn_out(foot, deviation, flexion) -> None:
    w = legs(foot, deviation, flexion)
    for side in ("left", "right"):
        assert abs(measured(w, side, flexion) - deviation) < 1e-6


def test_knee_over_a_turned_out_foot_reads_zero_caving_in_reads_its_valgus() -> None:
    assert abs(measured(legs(30.0, 0.0, 110.0), "left", 110.0)) < 1e-9
    assert abs(measured(legs(30.0, 12.0, 110.0), "right", 110.0) - 12.0) < 1e-9
    assert abs(measured(legs(0.0, -8.0, 60.0), "left", 60.0) + 8.0) < 1e-9  # varus


def test_truth_reads_the_same_legs() -> None:
    """The truth (y up, x the subject's left, z forward) gives the posed deviation too."""
    for foot, deviation, flexion in ((0.0, 10.0, 120.0), (30.0, 0.0, 90.0), (20.0, -6.0, 50.0)):
        w = legs(foot, deviation, flexion)
        joints = np.zeros((1, NUM_LANDMARKS, 3))
        for name, v in w.items():
            x, y, z = v[:, 0]
            joints[0, INDEX[name]] = [x, 1.0 - y, -z]  # to the truth's axes
        truth = true_knee_deviation(joints)
        for side in ("left", "right"):
            assert abs(truth[f"knee_deviation_{side}"][0] - deviation) < 1e-9
