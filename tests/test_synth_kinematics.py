"""The synthetic squatter's kinematics: commanded angles are exact, feet stay planted, the body balances."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.core.landmarks import INDEX
from formcheck.synth import Camera, Scene, Squat, preset, solve
from formcheck.synth.figure import Body
from formcheck.synth.motion import timeline
from formcheck.synth.presets import GOOD, PRESETS
from formcheck.synth.truth import angles


def _flexion(j: np.ndarray, side: str) -> np.ndarray:
    """Knee flexion recomputed from the joints by the law of cosines on the hip-ankle distance
    (independent of the truth module): 0 = straight."""
    hip, knee, ankle = (j[:, INDEX[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
    a, b = np.linalg.norm(knee - hip, axis=1), np.linalg.norm(ankle - knee, axis=1)
    c = np.linalg.norm(ankle - hip, axis=1)
    # interior angle at the knee by the half-angle formula (accurate near 180 deg), flexion = 180 - it
    s = (a + b + c) / 2
    interior = 2 * np.arctan2(
        np.sqrt(np.clip((s - a) * (s - b), 0, None)), np.sqrt(np.clip(s * (s - c), 0, None))
    )
    return 180.0 - np.degrees(interior)


squats = st.builds(
    lambda kf, lock, valgus, fl, fr, width, block, lean, asym, vasym: replace(
        GOOD,
        reps=1,
        descent_s=0.5,
        pause_s=0.1,
        ascent_s=0.5,
        stand_s=0.2,
        knee_flexion_deg=kf,
        lockout_deg=lock,
        knee_valgus_deg=valgus,
        foot_angle_left_deg=fl,
        foot_angle_right_deg=fr,
        stance_width_m=width,
        heel_block_cm=block,
        trunk_lean_deg=lean,
        asymmetry_deg=asym,
        valgus_asymmetry_deg=vasym,
    ),
    st.floats(60, 135),
    st.floats(0, 25),
    st.floats(-10, 25),
    st.floats(-10, 40),
    st.floats(-10, 40),
    st.floats(0.1, 0.4),
    st.floats(0, 10),
    st.floats(5, 55),
    st.floats(-8, 8),
    st.floats(-10, 10),
)


@settings(max_examples=25, deadline=None)
@given(squats)
def test_knee_flexion_is_exactly_the_commanded_angle(squat: Squat) -> None:
    posed = solve(Scene(squat, Camera()))
    commanded = posed.timeline.state.knee_flexion
    for i, side in enumerate(("left", "right")):
        # 1e-5 deg: a straight leg's angle is sqrt(machine epsilon)-sensitive to the hip-ankle distance
        np.testing.assert_allclose(
            _flexion(posed.skeleton.joints, side), commanded[:, i], atol=1e-5
        )


@settings(max_examples=15, deadline=None)
@given(squats)
def test_segments_rigid_and_feet_planted(squat: Squat) -> None:
    posed = solve(Scene(squat, Camera()))
    j, body = posed.skeleton.joints, Body(squat.height_m)

    def dist(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(j[:, INDEX[a]] - j[:, INDEX[b]], axis=1)

    for side in ("left", "right"):
        np.testing.assert_allclose(dist(f"{side}_hip", f"{side}_knee"), body.thigh, atol=1e-9)
        np.testing.assert_allclose(dist(f"{side}_knee", f"{side}_ankle"), body.shank, atol=1e-9)
        for part in ("ankle", "heel", "foot_index"):
            track = j[:, INDEX[f"{side}_{part}"]]
            assert np.ptp(track, axis=0).max() == 0.0  # planted: not a micron of motion
    np.testing.assert_allclose(dist("left_hip", "right_hip"), body.hip_width, rtol=1e-6)
    np.testing.assert_allclose(
        dist("left_shoulder", "right_shoulder"), body.shoulder_width, rtol=1e-6
    )
    # toes on the floor, heels on the block: the truth's heel elevation is the block height
    true = angles(posed.skeleton, posed.scene.camera)
    for side in ("left", "right"):
        np.testing.assert_allclose(
            true[f"heel_elevation_{side}_cm"], squat.heel_block_cm, atol=1e-9
        )
        np.testing.assert_allclose(posed.skeleton.toe_sole[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(true["foot_progression_left"], squat.foot_angle_left_deg, atol=1e-6)
    np.testing.assert_allclose(
        true["foot_progression_right"], squat.foot_angle_right_deg, atol=1e-6
    )


def test_symmetric_squat_trunk_lean_is_commanded_and_hips_drop_and_move_back() -> None:
    hanging = solve(Scene(replace(GOOD, reps=1, arm_raise=0.0), Camera()))
    true = angles(hanging.skeleton, hanging.scene.camera)
    np.testing.assert_allclose(true["trunk_lean"], hanging.timeline.state.trunk_lean, atol=1e-6)
    # reaching forward protracts the shoulders: the hip->shoulder line leans a little more than the spine
    posed = solve(Scene(replace(GOOD, reps=1), Camera()))
    rep = posed.timeline.reps[0]
    lean = angles(posed.skeleton, posed.scene.camera)["trunk_lean"]
    assert 1.0 < lean[rep.bottom] - posed.timeline.state.trunk_lean[rep.bottom] < 5.0
    rep = posed.timeline.reps[0]
    pelvis = posed.skeleton.pelvis
    assert pelvis[rep.bottom, 1] < pelvis[rep.start, 1] - 0.3  # hips drop > 30 cm in a deep squat
    assert pelvis[rep.bottom, 2] < pelvis[rep.start, 2] - 0.08  # and move back to balance the knees
    np.testing.assert_allclose(pelvis[:, 0], 0.0, atol=1e-12)  # symmetric: no lateral shift


def test_centre_of_mass_stays_over_the_feet() -> None:
    """Reaching forward with the arms or leaning the chest moves the hips back, not the mass."""
    upright = solve(Scene(replace(GOOD, reps=1), Camera()))
    leaning = solve(Scene(replace(GOOD, reps=1, trunk_lean_deg=50.0), Camera()))
    b = upright.timeline.reps[0].bottom
    assert leaning.skeleton.pelvis[b, 2] < upright.skeleton.pelvis[b, 2] - 0.05


def test_timeline_reps_and_depth() -> None:
    squat = replace(GOOD, reps=3, lockout_deg=10.0, asymmetry_deg=6.0)
    tl = timeline(squat, 30.0, np.random.default_rng(0))
    assert len(tl.reps) == 3
    kf = tl.state.knee_flexion
    for rep in tl.reps:
        assert rep.start < rep.bottom < rep.end
        assert tl.depth[rep.bottom] == pytest.approx(1.0)
        peak = GOOD.knee_flexion_deg
        np.testing.assert_allclose(kf[rep.bottom], [peak + 3.0, peak - 3.0])  # +- asymmetry / 2
        np.testing.assert_allclose(kf[rep.start], 10.0, atol=0.05)
        np.testing.assert_allclose(kf[rep.end], 10.0, atol=0.05)
    duration = squat.stand_s * 4 + 3 * (squat.descent_s + squat.pause_s + squat.ascent_s)
    assert len(tl.times) == round(duration * 30)


def test_rep_jitter_is_seeded() -> None:
    squat = replace(GOOD, rep_jitter=1.0)
    a = timeline(squat, 30.0, np.random.default_rng(5))
    b = timeline(squat, 30.0, np.random.default_rng(5))
    c = timeline(squat, 30.0, np.random.default_rng(6))
    np.testing.assert_array_equal(a.state.knee_flexion, b.state.knee_flexion)
    assert a.reps == b.reps
    assert len(a.depth) != len(c.depth) or not np.array_equal(a.depth, c.depth)


def test_fppa_sign_medial_positive_and_mirror_symmetric() -> None:
    """Knees caving in read + in a front view, and both legs of a symmetric squat agree."""
    good = solve(Scene(preset("good-cyclist-squat"), Camera(yaw_deg=0)))
    valgus = solve(Scene(preset("knee-valgus"), Camera(yaw_deg=0)))
    b = good.timeline.reps[0].bottom
    t_good, t_val = (
        angles(good.skeleton, good.scene.camera),
        angles(valgus.skeleton, valgus.scene.camera),
    )
    assert t_val["fppa_left"][b] > t_good["fppa_left"][b] + 30
    assert t_val["fppa_left"][b] > 20
    # the camera sits on the midline, the figure is mirror symmetric: both sides read the same
    np.testing.assert_allclose(t_val["fppa_left"], t_val["fppa_right"], atol=1e-6)
    # standing straight, the knee sits on the hip-ankle line
    assert abs(t_good["fppa_left"][0]) < 1e-6


def test_fppa_by_hand_for_a_camera_straight_ahead() -> None:
    """A far, level camera: the FPPA is the angle of the leg drawn on the frontal plane."""
    cam = Camera(yaw_deg=0, pitch_deg=0, distance_m=20.0, aim_height_m=0.5, vfov_deg=10)
    posed = solve(Scene(preset("knee-valgus"), cam))
    j = posed.skeleton.joints
    rep = posed.timeline.reps[0]
    # mid-descent (~80 deg): at full depth the thigh points at the camera and the 2-D angle is
    # ill-conditioned, so the remaining perspective of a camera 20 m away would show
    b = rep.start + int(
        np.argmin(np.abs(posed.timeline.state.knee_flexion[rep.start : rep.bottom, 0] - 80))
    )
    hip, knee, ankle = (
        j[b, INDEX[f"left_{p}"], :2] for p in ("hip", "knee", "ankle")
    )  # x (left), y (up)
    u, v = knee - hip, ankle - knee
    by_hand = np.degrees(np.arctan2(abs(u[0] * v[1] - u[1] * v[0]), u @ v))
    medial = knee[0] < hip[0] + (ankle[0] - hip[0]) * (knee[1] - hip[1]) / (
        ankle[1] - hip[1]
    )  # towards -x
    true = angles(posed.skeleton, cam)["fppa_left"][b]
    assert medial and by_hand > 5
    assert true == pytest.approx(by_hand, rel=0.08)  # 20 m away: perspective changes it by a few %


def test_every_preset_solves_with_its_faults_visible() -> None:
    tops, bottoms = {}, {}
    for name in PRESETS:
        posed = solve(Scene(preset(name), Camera()))
        true = angles(posed.skeleton, posed.scene.camera)
        b = posed.timeline.reps[0].bottom
        tops[name] = {k: v[0] for k, v in true.items()}
        bottoms[name] = {k: v[b] for k, v in true.items()}
        assert np.isfinite(posed.skeleton.joints).all()
    good_bottom, good_top = bottoms["good-cyclist-squat"], tops["good-cyclist-squat"]
    assert bottoms["shallow"]["knee_flexion_left"] < 70 < 115 < good_bottom["knee_flexion_left"]
    assert bottoms["chest-dropping"]["trunk_lean"] > 45 > 30 > good_bottom["trunk_lean"]
    assert tops["incomplete-lockout"]["knee_flexion_left"] > 15 > good_top["knee_flexion_left"]
    assert bottoms["feet-turned-out"]["foot_progression_left"] == pytest.approx(30.0)
    assert bottoms["no-heel-block"]["heel_elevation_left_cm"] == pytest.approx(0.0)
    assert bottoms["good-cyclist-squat"]["stance_width"] < 1.0  # ankles inside the hip joints


def test_unreachable_pose_is_refused_not_faked() -> None:
    """A deep, wide, lopsided squat the pelvis cannot span is an error, never a stretched figure."""
    with pytest.raises(ValueError, match=r"pose: expected a reachable pose .* got errors of"):
        solve(
            Scene(
                replace(
                    GOOD, reps=1, knee_flexion_deg=140.0, stance_width_m=0.6, asymmetry_deg=10.0
                ),
                Camera(),
            )
        )
    with pytest.raises(ValueError, match=r"asymmetry: expected \|asymmetry_deg\| <= 10"):
        replace(GOOD, knee_flexion_deg=120.0, asymmetry_deg=12.0)
