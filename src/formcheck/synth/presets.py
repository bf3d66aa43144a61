"""Named squats: the good cyclist squat and one fault each, and the named camera views."""

from __future__ import annotations

from dataclasses import replace

from .motion import Squat

#: Camera yaw of each named view, degrees (0 = facing the subject, 90 = the subject's left side).
VIEWS: dict[str, float] = {"front": 0.0, "oblique": 45.0, "side": 90.0}

#: The cyclist squat of the guidance: narrow parallel stance (ankles a little inside the hip
#: joints), heels on an ~8 cm block, high chest, deep knee bend, knees over the feet, full
#: extension at the top. Depth: 145 deg of knee flexion, the hamstrings near the calves ("try to
#: have your hamstrings touch your calves"; thigh-calf contact begins at about 130-150 deg, by
#: the soft tissue). With the heels raised the shank tilts forward, so the thigh passes the
#: horizontal only at about 135 deg (the rendered truth); at 145 deg it is 12 deg below it,
#: the hip joints 0.2 shank lengths (~9 cm) under the knees: clearly below parallel, as the
#: shipped depth rule asks (at 120 deg the hips stayed 0.2 shank lengths above the knees).
#: The figure allows at most 150 deg.
GOOD = Squat(
    reps=3,
    descent_s=1.4,
    pause_s=0.3,
    ascent_s=1.1,
    stand_s=0.8,
    knee_flexion_deg=145.0,
    lockout_deg=0.0,
    knee_valgus_deg=0.0,
    foot_angle_left_deg=3.0,
    foot_angle_right_deg=3.0,
    stance_width_m=0.17,
    heel_block_cm=8.0,
    trunk_lean_deg=22.0,
    trunk_lean_top_deg=2.0,
)

PRESETS: dict[str, tuple[Squat, str]] = {
    "good-cyclist-squat": (
        GOOD,
        "narrow parallel stance, heels on an 8 cm block, upright chest, "
        "145 deg knee bend (hips below the knees), knees over toes, full lockout",
    ),
    "knee-valgus": (
        replace(GOOD, knee_valgus_deg=18.0),
        "as good, but the knees cave in at depth (18 deg rotation about the hip-ankle line, near "
        "the knee valgus of people with patellofemoral pain; the rule's limit is 12)",
    ),
    "feet-turned-out": (
        replace(
            GOOD,
            foot_angle_left_deg=30.0,
            foot_angle_right_deg=30.0,
            stance_width_m=0.21,
            knee_flexion_deg=148.0,
        ),
        "as good, but the toes point out 30 deg and the knees follow them (148 deg knee bend: "
        "thighs turned out with the feet reach parallel later, the hips end 0.17 shank lengths "
        "below the knees)",
    ),
    "shallow": (
        replace(GOOD, knee_flexion_deg=65.0, trunk_lean_deg=14.0),
        "as good, but only 65 deg of knee bend (hips well above the knees)",
    ),
    "no-heel-block": (
        replace(GOOD, heel_block_cm=0.0, knee_flexion_deg=140.0, trunk_lean_deg=26.0),
        "heels flat on the floor (40 deg ankle dorsiflexion at depth): a little less knee "
        "bend (140 deg, hips still 0.15 shank lengths below the knees), a little more lean "
        "(26 deg)",
    ),
    "incomplete-lockout": (
        replace(GOOD, lockout_deg=22.0),
        "as good, but the knees stay bent 22 deg at the top",
    ),
    "chest-dropping": (
        replace(GOOD, trunk_lean_deg=52.0),
        "as good, but the chest drops: 52 deg forward trunk lean at depth",
    ),
    "turned-out-valgus": (
        replace(
            GOOD,
            foot_angle_left_deg=30.0,
            foot_angle_right_deg=30.0,
            stance_width_m=0.21,
            knee_valgus_deg=18.0,
        ),
        "both faults at once, the most common combination: toes out 30 deg and the knees caving "
        "in from over the feet at depth (18 deg rotation about the hip-ankle line, out of the "
        "plane of hip, ankle and foot)",
    ),
}

#: The cyclist-squat rules each faulty preset is made to fail, and no other (good form fails
#: none); the end-to-end tests and the accuracy benchmark check formcheck against them.
FAULT_RULE: dict[str, tuple[str, ...]] = {
    "knee-valgus": ("knees_over_feet",),
    "feet-turned-out": ("feet_parallel",),
    "shallow": ("depth",),
    "incomplete-lockout": ("full_extension",),
    "no-heel-block": ("heels_elevated",),
    "chest-dropping": ("high_chest",),
    "turned-out-valgus": ("feet_parallel", "knees_over_feet"),
}


def preset(name: str) -> Squat:
    """The `Squat` of a named preset; ``ValueError`` naming the choices for an unknown name."""
    try:
        return PRESETS[name][0]
    except KeyError:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)}, got {name!r}") from None


def view_yaw(view: str) -> float:
    """Camera yaw in degrees of a named view."""
    try:
        return VIEWS[view]
    except KeyError:
        raise ValueError(f"view: expected one of {', '.join(VIEWS)}, got {view!r}") from None
