"""The synthetic squatter: body dimensions and forward kinematics of a squat.

World frame (metres): origin on the floor midway between the ankles, **x to the
subject's left, y up, z forward** (the way the subject faces); right-handed.

The legs are closed chains: the feet are planted (heels on the block, toes on the
floor), the knee flexion is imposed exactly (it fixes the hip-ankle distance), and
the pelvis is slid forward/back until the whole-body centre of mass sits over the
feet. Hip height, pelvic obliquity, shank angle (ankle dorsiflexion) and knee
position follow from that. Knee valgus is a rotation of the knee about the
hip-ankle line towards the midline, so it does not change the knee flexion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.landmarks import INDEX, NUM_LANDMARKS

SIDES = (1.0, -1.0)  # left (+x), right (-x)


@dataclass(frozen=True)
class Body:
    """Segment dimensions in metres, scaled from standing height (Winter's anthropometric fractions)."""

    height_m: float = 1.75

    def __post_init__(self) -> None:
        if not 1.2 <= self.height_m <= 2.2:
            raise ValueError(f"height_m: expected 1.2 to 2.2 m, got {self.height_m}")

    def _h(self, fraction: float) -> float:
        return fraction * self.height_m

    @property
    def thigh(self) -> float:
        return self._h(0.245)

    @property
    def shank(self) -> float:
        return self._h(0.246)

    @property
    def ankle_height(self) -> float:
        """Ankle joint centre above the sole."""
        return self._h(0.039)

    @property
    def shoe_sole(self) -> float:
        """Thickness of the shoe's sole (not scaled with height)."""
        return 0.025

    @property
    def heel_to_ankle(self) -> float:
        """Ankle joint centre in front of the back of the heel, along the sole."""
        return self._h(0.03)

    @property
    def foot_length(self) -> float:
        """Back of the heel to the tip of the toes, along the sole."""
        return self._h(0.148)

    @property
    def hip_width(self) -> float:
        """Distance between the hip joint centres."""
        return self._h(0.11)

    @property
    def trunk(self) -> float:
        """Hip joint line to shoulder joint line."""
        return self._h(0.27)

    @property
    def shoulder_width(self) -> float:
        """Distance between the shoulder joint centres."""
        return self._h(0.205)

    @property
    def upper_arm(self) -> float:
        return self._h(0.186)

    @property
    def forearm(self) -> float:
        return self._h(0.146)

    @property
    def hand(self) -> float:
        """Wrist to fingertips."""
        return self._h(0.108)

    @property
    def neck(self) -> float:
        """Shoulder line to the centre of the head."""
        return self._h(0.135)


@dataclass(frozen=True)
class Stance:
    """Where the feet are planted (constant over the clip)."""

    width_m: float = 0.20  # distance between the ankle joint centres
    foot_angle_deg: tuple[float, float] = (0.0, 0.0)  # (left, right), + = toes out
    heel_block_m: float = 0.0  # height of the block under the heels; toes stay on the floor


@dataclass(frozen=True)
class PoseState:
    """Per-frame commands, arrays of shape ``(T,)`` or ``(T, 2)`` (left, right), degrees."""

    knee_flexion: np.ndarray  # (T, 2), 0 = straight
    knee_valgus: np.ndarray  # (T, 2), rotation of the knee about the hip-ankle line, + = medial
    trunk_lean: np.ndarray  # (T,), mid-hip to mid-shoulder from vertical, + = forward
    arm_raise: np.ndarray  # (T,), 0 = arms hanging, 1 = reaching forward at shoulder height
    head_pitch: np.ndarray  # (T,), + = chin down, relative to vertical


@dataclass(frozen=True)
class Skeleton:
    """Posed figure over ``T`` frames. ``joints`` holds the 33 BlazePose landmarks
    (names in `formcheck.core.landmarks.NAMES`) in the world frame; the rest is what
    the renderer needs to dress the skeleton."""

    joints: np.ndarray  # (T, 33, 3)
    pelvis: np.ndarray  # (T, 3) midpoint of the hip joint centres
    trunk_rot: np.ndarray  # (T, 3, 3) columns: trunk x (left), y (up the spine), z (forward)
    head_center: np.ndarray  # (T, 3)
    head_rot: np.ndarray  # (T, 3, 3)
    neck_base: np.ndarray  # (T, 3)
    foot_rot: (
        np.ndarray
    )  # (2, 3, 3) columns: foot x (lateral-ish), y (up from sole), z (heel to toe)
    heel_sole: np.ndarray  # (2, 3) back of the heel on the sole
    toe_sole: np.ndarray  # (2, 3) tip of the toes on the sole

    def joint(self, name: str) -> np.ndarray:
        """``(T, 3)`` track of one landmark by name."""
        return self.joints[:, INDEX[name]]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues rotation of vectors ``v`` about unit ``axis`` by ``angle`` radians (broadcast)."""
    c, s = np.cos(angle)[..., None], np.sin(angle)[..., None]
    return v * c + np.cross(axis, v) * s + axis * np.sum(axis * v, axis=-1, keepdims=True) * (1 - c)


def rot_x(angle: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotations about x by ``angle`` radians (+ tips y towards z)."""
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack(
        [np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2
    )


def rot_y(angle: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotations about y by ``angle`` radians (+ turns z towards x)."""
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def rot_z(angle: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotations about z by ``angle`` radians (+ turns x towards y)."""
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack(
        [np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2
    )


def two_link(
    root: np.ndarray, end: np.ndarray, l1: float, l2: float, pole: np.ndarray
) -> np.ndarray:
    """Middle joint of the chain root -(l1)- mid -(l2)- end, bent towards ``pole`` (a direction).

    When ``|end - root| > l1 + l2`` the chain is straightened towards ``end``.
    """
    v = end - root
    d = np.linalg.norm(v, axis=-1, keepdims=True)
    e = v / d
    a = (l1**2 - l2**2 + d**2) / (2 * d)
    r = np.sqrt(np.clip(l1**2 - a**2, 0.0, None))
    n = _unit(pole - np.sum(pole * e, axis=-1, keepdims=True) * e)
    return root + np.minimum(a, l1) * e + r * n


def feet(body: Body, stance: Stance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Planted feet: ``(ankle (2,3), foot_rot (2,3,3), heel_sole (2,3), toe_sole (2,3))``, left then right.

    The sole is a straight line from the back of the heel (on the block, at
    ``heel_block_m``) to the toe tip (on the floor); the ankle sits above it.
    """
    h = stance.heel_block_m
    sole = body.foot_length
    if not 0.0 <= h < 0.5 * sole:
        raise ValueError(f"heel_block_m: expected 0 to {0.5 * sole:.2f} m, got {h}")
    pitch = np.arcsin(h / sole)  # toes down
    ankles, rots, heels, toes = [], [], [], []
    for side, angle in zip(SIDES, stance.foot_angle_deg, strict=True):
        yaw = np.radians(angle) * side  # toes out: left foot turns towards +x
        fwd = np.array([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
        up = np.array([np.sin(yaw) * np.sin(pitch), np.cos(pitch), np.cos(yaw) * np.sin(pitch)])
        lat = np.cross(up, fwd)  # foot x
        ankle_offset = body.heel_to_ankle * fwd + (body.ankle_height + body.shoe_sole) * up
        ankle = np.array([side * stance.width_m / 2, 0.0, 0.0])
        heel = ankle - ankle_offset
        heel[1] = h  # back of the heel rests on the block
        ankle = heel + ankle_offset
        ankles.append(ankle)
        rots.append(np.stack([lat, up, fwd], axis=1))
        heels.append(heel)
        toes.append(heel + sole * fwd)
    return np.array(ankles), np.array(rots), np.array(heels), np.array(toes)


#: Shoulder joint travel with the arms reaching forward (arm_raise = 1), metres in the trunk frame:
#: scapular protraction and elevation, a few centimetres in adults.
PROTRACTION_FWD, PROTRACTION_UP = 0.03, 0.01
#: Bisection steps for the pelvic obliquity (radians in +-MAX_ROLL): 2 * 0.6 / 2**52 is below
#: double precision.
ROLL_STEPS, MAX_ROLL = 52, 0.6

# Segment mass fractions (Dempster via Winter) and centre-of-mass positions along the segment.
_MASS = {
    "trunk": 0.497,
    "head": 0.081,
    "thigh": 0.100,
    "shank": 0.0465,
    "upper_arm": 0.028,
    "forearm": 0.022,
}


def pose(body: Body, stance: Stance, state: PoseState, balance_z: float = 0.05) -> Skeleton:
    """Forward kinematics of the whole figure for every frame of ``state``.

    ``balance_z``: where the centre of mass is kept, metres in front of the ankles.
    """
    kf = np.radians(np.asarray(state.knee_flexion, dtype=np.float64))
    valgus = np.radians(np.asarray(state.knee_valgus, dtype=np.float64))
    lean = np.radians(np.asarray(state.trunk_lean, dtype=np.float64))
    raise_ = np.asarray(state.arm_raise, dtype=np.float64)
    n = kf.shape[0]
    if kf.shape != (n, 2) or valgus.shape != (n, 2) or lean.shape != (n,) or raise_.shape != (n,):
        raise ValueError(
            f"state: expected knee arrays (T, 2) and trunk/arm arrays (T,), got {kf.shape}, "
            f"{valgus.shape}, {lean.shape}, {raise_.shape}"
        )
    ankles, foot_rot, heel_sole, toe_sole = feet(body, stance)
    l1, l2 = body.thigh, body.shank
    hip_ankle = np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(kf))  # (T, 2): fixes the knee flexion
    target_z = ankles[:, 2].mean() + balance_z

    def hip_heights(pz: np.ndarray, roll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hip x and y ``(T, 2)`` at the hip-ankle distances, for a pelvis rolled by ``roll``."""
        hx = np.stack([s * body.hip_width / 2 * np.cos(roll) for s in SIDES], -1)
        horiz2 = (hx - ankles[:, 0]) ** 2 + (pz[:, None] - ankles[:, 2]) ** 2
        return hx, ankles[:, 1] + np.sqrt(np.clip(hip_ankle**2 - horiz2, 0.0, None))

    def solve(pz: np.ndarray) -> dict[str, np.ndarray]:
        # pelvic obliquity: the roll at which the two hip heights are hip_width * sin(roll) apart
        lo, hi = np.full(n, -MAX_ROLL), np.full(n, MAX_ROLL)
        for _ in range(ROLL_STEPS):
            mid = (lo + hi) / 2
            _, hy = hip_heights(pz, mid)
            over = body.hip_width * np.sin(mid) > hy[:, 0] - hy[:, 1]
            hi, lo = np.where(over, mid, hi), np.where(over, lo, mid)
        roll = (lo + hi) / 2
        hx, hy = hip_heights(pz, roll)
        hips = np.stack([hx, hy, np.repeat(pz[:, None], 2, 1)], -1)  # (T, 2, 3)
        pelvis = hips.mean(axis=1)
        trunk_rot = rot_z(roll) @ rot_x(lean)
        knees = np.empty_like(hips)
        for i, side in enumerate(SIDES):
            e = _unit(hips[:, i] - ankles[i])
            fwd_h = foot_rot[i][:, 2] * np.array([1.0, 0.0, 1.0])
            pole = _rotate(
                np.broadcast_to(fwd_h, (n, 3)), e, -side * valgus[:, i]
            )  # medial = -side * x
            knees[:, i] = two_link(ankles[i], hips[:, i], l2, l1, pole)
        # reaching forward protracts the shoulder girdle: the joints slide forward and up a little
        girdle = np.stack(
            [np.zeros(n), body.trunk + PROTRACTION_UP * raise_, PROTRACTION_FWD * raise_], -1
        )
        shoulders = pelvis[:, None] + np.stack(
            [
                (
                    trunk_rot
                    @ (girdle + np.array([s * body.shoulder_width / 2, 0.0, 0.0]))[..., None]
                )[..., 0]
                for s in SIDES
            ],
            1,
        )
        elbows, wrists = _arms(body, shoulders, raise_)
        head = pelvis + trunk_rot @ np.array([0.0, body.trunk + body.neck, 0.02])
        com = (
            _MASS["trunk"] * (pelvis + trunk_rot @ np.array([0.0, 0.45 * body.trunk, 0.0]))
            + _MASS["head"] * head
            + _MASS["thigh"] * (hips + 0.433 * (knees - hips)).sum(1)
            + _MASS["shank"] * (knees + 0.433 * (ankles - knees)).sum(1)
            + _MASS["upper_arm"] * (shoulders + 0.436 * (elbows - shoulders)).sum(1)
            + _MASS["forearm"] * (elbows + 0.6 * (wrists - elbows)).sum(1)
        ) / (
            _MASS["trunk"]
            + _MASS["head"]
            + 2 * (_MASS["thigh"] + _MASS["shank"] + _MASS["upper_arm"] + _MASS["forearm"])
        )
        return dict(
            hips=hips,
            knees=knees,
            pelvis=pelvis,
            roll=roll,
            trunk_rot=trunk_rot,
            shoulders=shoulders,
            elbows=elbows,
            wrists=wrists,
            com=com,
        )

    # Bisection on the pelvis's forward position: the centre of mass moves forward with it.
    dx = abs(body.hip_width - stance.width_m) / 2
    reach = np.sqrt(np.clip(hip_ankle.min(axis=1) ** 2 - dx**2, 1e-6, None))
    lo = ankles[:, 2].mean() - 0.999 * reach
    hi = ankles[:, 2].mean() + 0.3 * reach
    for _ in range(50):
        mid = (lo + hi) / 2
        ahead = solve(mid)["com"][:, 2] > target_z
        hi = np.where(ahead, mid, hi)
        lo = np.where(ahead, lo, mid)
    s = solve((lo + hi) / 2)
    reach_err = np.abs(np.linalg.norm(s["hips"] - ankles, axis=-1) - hip_ankle).max()
    width_err = np.abs(
        np.linalg.norm(s["hips"][:, 0] - s["hips"][:, 1], axis=-1) - body.hip_width
    ).max()
    if reach_err > 1e-9 or width_err > 1e-9:
        raise ValueError(
            f"pose: expected a reachable pose (hips {body.hip_width:.3f} m apart, each at its knee flexion's "
            f"distance from its ankle, pelvis tilted at most {np.degrees(MAX_ROLL):.0f} deg), got errors of "
            f"{1000 * reach_err:.1f} mm and {1000 * width_err:.1f} mm: less left/right asymmetry or a "
            f"narrower stance"
        )
    return _assemble(body, state, s, ankles, foot_rot, heel_sole, toe_sole)


def _arms(body: Body, shoulders: np.ndarray, raise_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elbows and wrists ``(T, 2, 3)``: hands from the thighs' sides (0) to reaching forward (1)."""
    n = shoulders.shape[0]
    elbows, wrists = np.empty((n, 2, 3)), np.empty((n, 2, 3))
    arm = body.upper_arm + body.forearm
    for i, side in enumerate(SIDES):
        elev = np.radians(8.0 + 82.0 * raise_)  # from hanging, towards forward, world frame
        spread = np.radians(6.0 - 4.0 * raise_) * side
        direction = np.stack([np.sin(spread) * np.cos(elev), -np.cos(elev), np.sin(elev)], -1)
        wrist = shoulders[:, i] + 0.93 * arm * _unit(direction)
        pole = np.broadcast_to(
            np.array([0.3 * side, -0.3, -1.0]), (n, 3)
        )  # elbows bend down and back
        elbows[:, i] = two_link(shoulders[:, i], wrist, body.upper_arm, body.forearm, pole)
        wrists[:, i] = wrist
    return elbows, wrists


def _assemble(
    body: Body,
    state: PoseState,
    s: dict[str, np.ndarray],
    ankles: np.ndarray,
    foot_rot: np.ndarray,
    heel_sole: np.ndarray,
    toe_sole: np.ndarray,
) -> Skeleton:
    """Place all 33 landmarks from the solved chain."""
    n = s["pelvis"].shape[0]
    trunk_rot = s["trunk_rot"]
    neck_base = s["pelvis"] + trunk_rot @ np.array([0.0, body.trunk + 0.03, -0.01])
    # the head rides on the trunk but keeps facing ahead (pitch relative to vertical)
    head_rot = rot_z(s["roll"] * 0.5) @ rot_x(
        np.radians(np.asarray(state.head_pitch, dtype=np.float64))
    )
    head_center = s["pelvis"] + trunk_rot @ np.array([0.0, body.trunk + body.neck, 0.02])
    j = np.full((n, NUM_LANDMARKS, 3), np.nan)

    def head_point(p: tuple[float, float, float]) -> np.ndarray:
        return head_center + head_rot @ (np.array(p) * body.height_m / 1.75)

    j[:, INDEX["nose"]] = head_point((0.0, -0.022, 0.118))
    for side, name in zip(SIDES, ("left", "right"), strict=True):
        x = side
        j[:, INDEX[f"{name}_eye_inner"]] = head_point((x * 0.017, 0.012, 0.093))
        j[:, INDEX[f"{name}_eye"]] = head_point((x * 0.032, 0.012, 0.090))
        j[:, INDEX[f"{name}_eye_outer"]] = head_point((x * 0.046, 0.012, 0.083))
        j[:, INDEX[f"{name}_ear"]] = head_point((x * 0.080, 0.0, -0.005))
        j[:, INDEX[f"mouth_{name}"]] = head_point((x * 0.024, -0.058, 0.086))
    for i, (side, name) in enumerate(zip(SIDES, ("left", "right"), strict=True)):
        j[:, INDEX[f"{name}_shoulder"]] = s["shoulders"][:, i]
        j[:, INDEX[f"{name}_elbow"]] = s["elbows"][:, i]
        wrist, elbow = s["wrists"][:, i], s["elbows"][:, i]
        j[:, INDEX[f"{name}_wrist"]] = wrist
        hand_dir = _unit(wrist - elbow)
        across = _unit(np.cross(hand_dir, np.array([0.0, 1.0, 0.0])) * -side + 1e-9)
        j[:, INDEX[f"{name}_index"]] = wrist + 0.8 * body.hand * hand_dir + 0.02 * across
        j[:, INDEX[f"{name}_pinky"]] = wrist + 0.7 * body.hand * hand_dir - 0.03 * across
        j[:, INDEX[f"{name}_thumb"]] = wrist + 0.35 * body.hand * hand_dir + 0.04 * across
        j[:, INDEX[f"{name}_hip"]] = s["hips"][:, i]
        j[:, INDEX[f"{name}_knee"]] = s["knees"][:, i]
        j[:, INDEX[f"{name}_ankle"]] = ankles[i]
        up = foot_rot[i][:, 1]
        # both at the top of the sole: the heel-toe height difference is the sole's pitch
        j[:, INDEX[f"{name}_heel"]] = heel_sole[i] + body.shoe_sole * up
        j[:, INDEX[f"{name}_foot_index"]] = toe_sole[i] + body.shoe_sole * up
    return Skeleton(
        joints=j,
        pelvis=s["pelvis"],
        trunk_rot=trunk_rot,
        head_center=head_center,
        head_rot=head_rot,
        neck_base=neck_base,
        foot_rot=foot_rot,
        heel_sole=heel_sole,
        toe_sole=toe_sole,
    )
