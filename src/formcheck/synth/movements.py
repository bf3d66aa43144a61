"""Rendered movements that are not squats (and the sit-to-stand): material for the rep counter.

A `Movement` is a cycle of keyframes of pose channels (`CHANNELS`: the pelvis's place and drop,
trunk lean and side bend, each foot's place, lift, heel pitch and turn, each arm's elevation,
plane and elbow bend), eased from key to key and repeated ``cycles`` times between two stands.
`solve_movement` turns every frame at once into a `figure.Skeleton`: the feet where the keys put
them, the pelvis as high as the planted legs reach (less the key's ``drop``), the knees by
two-link inverse kinematics, so a foot on the floor stays planted and the knee bends follow from
the pose (the truth measures them from the joints, as for squats). Feet move here, so each frame
is handed to the renderer as a one-frame skeleton (`frame_skeleton`). The timeline's ``depth``
is the pelvis's drop below its highest as a share of its largest drop (1 at the lowest frame).

Whether a movement holds squat reps is ``squat_reps`` per cycle: 0 for all but the sit-to-stand,
which `formcheck.core.movement` decides to count (a squat to a seat, a box squat; its truth reps
are the cycles). No chair is drawn: the figure sits on an invisible seat.

World frame as `formcheck.synth.figure` (metres; x the subject's left, y up, z forward).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .figure import SIDES, Body, PoseState, Skeleton, _assemble, rot_x, rot_z, two_link
from .motion import Rep, Timeline, _ease

#: Pose channels and their standing values. Metres: ``pelvis_x`` (to the subject's left),
#: ``pelvis_z`` (forward), ``drop`` (pelvis below the height the planted legs reach straight),
#: ``{side}_x`` (ankle out from the midline), ``{side}_z`` (ankle forward; both with the sole
#: flat: a raised heel pivots the foot about its toe tip), ``{side}_lift`` (toe tip above the
#: floor). Degrees: ``roll`` (pelvis, + = left hip up), ``lean`` (trunk forward from
#: vertical), ``side_bend`` (trunk, + = towards the right), ``head`` (chin down),
#: ``{side}_pitch`` (heel above toe), ``{side}_yaw`` (toes out), ``{side}_arm`` (arm from
#: hanging: 90 = horizontal, 180 = overhead), ``{side}_plane`` (0 = forward, 90 = out to the
#: side), ``{side}_elbow`` (0 = straight).
CHANNELS: dict[str, float] = {
    "pelvis_x": 0.0,
    "pelvis_z": 0.0,
    "drop": 0.0,
    "roll": 0.0,
    "lean": 2.0,
    "side_bend": 0.0,
    "head": 4.0,
    **{
        f"{s}_{k}": v
        for s in ("left", "right")
        for k, v in (
            ("x", 0.09),
            ("z", 0.0),
            ("lift", 0.0),
            ("pitch", 0.0),
            ("yaw", 5.0),
            ("arm", 8.0),
            ("plane", 10.0),
            ("elbow", 10.0),
        )
    },
}
#: The box a box jump lands on, metres (30-75 cm are the usual plyometric boxes).
BOX_M = 0.40
#: Legs reach at most this share of thigh + shank: a standing knee keeps ~4 deg of bend.
REACH = 0.9995


@dataclass(frozen=True)
class Movement:
    """A repeated movement: ``keys`` are ``(time s within the cycle, {channel: value})``, the
    first at 0 and the last at the cycle's length; channels a key leaves out take ``base`` (the
    movement's own standing pose, e.g. a split stance) or `CHANNELS`. ``stand_s`` of ``base``
    before the first cycle and after the last. ``squat_reps`` per cycle (0: not a squat) with
    ``bottom_s`` the time of each one's lowest point within the cycle."""

    name: str
    description: str
    keys: tuple[tuple[float, dict[str, float]], ...]
    cycles: int = 3
    base: dict[str, float] = field(default_factory=dict)
    stand_s: float = 0.6
    squat_reps: int = 0
    bottom_s: tuple[float, ...] = ()
    height_m: float = 1.75

    def __post_init__(self) -> None:
        times = [t for t, _ in self.keys]
        if len(times) < 2 or times[0] != 0 or np.any(np.diff(times) <= 0):
            raise ValueError(
                f"{self.name}: expected keys at increasing times from 0, got times {times}"
            )
        unknown = {c for _, k in self.keys for c in k} | set(self.base)
        unknown -= set(CHANNELS)
        if unknown:
            raise ValueError(f"{self.name}: expected channels of CHANNELS, got {sorted(unknown)}")
        if self.cycles < 1:
            raise ValueError(f"{self.name}: expected at least 1 cycle, got {self.cycles}")
        if len(self.bottom_s) != self.squat_reps:
            raise ValueError(
                f"{self.name}: expected one bottom_s per squat rep, got {len(self.bottom_s)} "
                f"for {self.squat_reps}"
            )

    @property
    def cycle_s(self) -> float:
        return self.keys[-1][0]

    @property
    def duration_s(self) -> float:
        return 2 * self.stand_s + self.cycles * self.cycle_s


def channels(movement: Movement, times: np.ndarray) -> dict[str, np.ndarray]:
    """Every channel of `CHANNELS` at ``times`` (s), ``(T,)`` each: keys eased into each other."""
    base = {**CHANNELS, **movement.base}
    cycle = movement.cycle_s
    key_t = [0.0]  # the stand before, the cycles, the stand after
    key_v = [base]
    for c in range(movement.cycles):
        t0 = movement.stand_s + c * cycle
        for t, values in movement.keys:
            key_t.append(t0 + t)
            key_v.append({**base, **values})
    key_t.append(movement.duration_s)
    key_v.append(base)
    kt = np.array(key_t)
    i = np.clip(np.searchsorted(kt, times, side="right") - 1, 0, len(kt) - 2)
    span = np.maximum(kt[i + 1] - kt[i], 1e-9)
    u = _ease((times - kt[i]) / span)
    out = {}
    for name in CHANNELS:
        v = np.array([k[name] for k in key_v])
        out[name] = v[i] + (v[i + 1] - v[i]) * u
    return out


def _feet(body: Body, ch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per frame and foot ``(T, 2, ...)``: ankle, sole frame (columns lateral, up, heel->toe),
    back of the heel and toe tip on the sole."""
    ankles, rots, heels, toes = [], [], [], []
    for side, name in zip(SIDES, ("left", "right"), strict=True):
        yaw = np.radians(ch[f"{name}_yaw"]) * side
        pitch = np.radians(ch[f"{name}_pitch"])
        fwd = np.stack(
            [np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)], -1
        )
        up = np.stack([np.sin(yaw) * np.sin(pitch), np.cos(pitch), np.cos(yaw) * np.sin(pitch)], -1)
        lat = np.cross(up, fwd)
        offset = body.heel_to_ankle * fwd + (body.ankle_height + body.shoe_sole) * up
        # the foot pivots about its toe tip: where the toes are with the sole flat at (x, z)
        toe = np.stack(
            [
                side * ch[f"{name}_x"] + (body.foot_length - body.heel_to_ankle) * np.sin(yaw),
                ch[f"{name}_lift"],
                ch[f"{name}_z"] + (body.foot_length - body.heel_to_ankle) * np.cos(yaw),
            ],
            -1,
        )
        heel = toe - body.foot_length * fwd
        ankles.append(heel + offset)
        rots.append(np.stack([lat, up, fwd], -1))
        heels.append(heel)
        toes.append(heel + body.foot_length * fwd)
    return {
        "ankles": np.stack(ankles, 1),
        "rots": np.stack(rots, 1),
        "heels": np.stack(heels, 1),
        "toes": np.stack(toes, 1),
    }


def _arms(
    body: Body, shoulders: np.ndarray, ch: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Elbows and wrists ``(T, 2, 3)`` from each arm's elevation, plane and elbow bend."""
    n = shoulders.shape[0]
    elbows, wrists = np.empty((n, 2, 3)), np.empty((n, 2, 3))
    u, f = body.upper_arm, body.forearm
    for i, (side, name) in enumerate(zip(SIDES, ("left", "right"), strict=True)):
        e, a = np.radians(ch[f"{name}_arm"]), np.radians(ch[f"{name}_plane"])
        direction = np.stack([side * np.sin(e) * np.sin(a), -np.cos(e), np.sin(e) * np.cos(a)], -1)
        flex = np.radians(ch[f"{name}_elbow"])
        reach = np.sqrt(u**2 + f**2 + 2 * u * f * np.cos(flex))
        wrists[:, i] = shoulders[:, i] + reach[:, None] * direction
        pole = np.broadcast_to(np.array([0.3 * side, -0.3, -1.0]), (n, 3))
        elbows[:, i] = two_link(shoulders[:, i], wrists[:, i], u, f, pole)
    return elbows, wrists


@dataclass(frozen=True)
class MovingSkeleton:
    """A posed movement: ``skeleton`` with per-frame feet (``foot_rot`` ``(T, 2, 3, 3)``,
    ``heel_sole`` and ``toe_sole`` ``(T, 2, 3)``)."""

    skeleton: Skeleton
    timeline: Timeline


def solve_movement(movement: Movement, fps: float) -> MovingSkeleton:
    """Sample ``movement`` at ``fps`` and pose the figure on every frame at once."""
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps}")
    body = Body(movement.height_m)
    n = int(round(movement.duration_s * fps))
    times = np.arange(n) / fps
    ch = channels(movement, times)
    feet = _feet(body, ch)
    ankles = feet["ankles"]
    roll = np.radians(ch["roll"])
    half = np.stack([s * body.hip_width / 2 * np.cos(roll) for s in SIDES], -1)  # (T, 2) hip x
    hip_dy = np.stack([s * body.hip_width / 2 * np.sin(roll) for s in SIDES], -1)
    hx = ch["pelvis_x"][:, None] + half
    hz = ch["pelvis_z"][:, None]
    horiz2 = (hx - ankles[..., 0]) ** 2 + (hz - ankles[..., 2]) ** 2
    leg = REACH * (body.thigh + body.shank)
    if np.any(horiz2 > leg**2):
        raise ValueError(f"{movement.name}: a foot is out of the legs' reach of the pelvis")
    top = (ankles[..., 1] + np.sqrt(leg**2 - horiz2) - hip_dy).min(axis=1)
    pelvis = np.stack([ch["pelvis_x"], top - ch["drop"], ch["pelvis_z"]], -1)
    hips = np.stack([hx, pelvis[:, 1:2] + hip_dy, np.repeat(hz, 2, 1)], -1)
    knees = np.empty_like(hips)
    for i in range(2):
        fwd_h = feet["rots"][:, i, :, 2] * np.array([1.0, 0.0, 1.0])
        knees[:, i] = two_link(ankles[:, i], hips[:, i], body.shank, body.thigh, fwd_h)
    lean = np.radians(ch["lean"])
    trunk_rot = rot_z(roll + np.radians(ch["side_bend"])) @ rot_x(lean)
    shoulders = pelvis[:, None] + np.stack(
        [(trunk_rot @ np.array([s * body.shoulder_width / 2, body.trunk, 0.0])) for s in SIDES],
        1,
    )
    elbows, wrists = _arms(body, shoulders, ch)
    thigh, shank = knees - hips, ankles - knees
    cos_k = np.sum(thigh * shank, -1) / (
        np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1)
    )
    state = PoseState(
        knee_flexion=np.degrees(np.arccos(np.clip(cos_k, -1, 1))),
        knee_valgus=np.zeros((n, 2)),
        trunk_lean=ch["lean"],
        arm_raise=np.zeros(n),
        head_pitch=ch["head"],
    )
    solved = dict(
        hips=hips,
        knees=knees,
        pelvis=pelvis,
        roll=roll,
        trunk_rot=trunk_rot,
        shoulders=shoulders,
        elbows=elbows,
        wrists=wrists,
    )
    f0 = {k: v[0] for k, v in feet.items()}
    skel = _assemble(body, state, solved, f0["ankles"], f0["rots"], f0["heels"], f0["toes"])
    j = skel.joints
    for i, name in enumerate(("left", "right")):  # the feet move: every frame's own
        up = feet["rots"][:, i, :, 1]
        j[:, _index(f"{name}_ankle")] = ankles[:, i]
        j[:, _index(f"{name}_heel")] = feet["heels"][:, i] + body.shoe_sole * up
        j[:, _index(f"{name}_foot_index")] = feet["toes"][:, i] + body.shoe_sole * up
    skel = Skeleton(
        joints=j,
        pelvis=pelvis,
        trunk_rot=trunk_rot,
        head_center=skel.head_center,
        head_rot=skel.head_rot,
        neck_base=skel.neck_base,
        foot_rot=feet["rots"],
        heel_sole=feet["heels"],
        toe_sole=feet["toes"],
    )
    # the truth's depth: the pelvis's drop below its highest, as a share of its largest drop
    sink = pelvis[:, 1].max() - pelvis[:, 1]
    depth = sink / max(float(sink.max()), 1e-9)
    return MovingSkeleton(skel, Timeline(state, depth, _reps(movement, fps, n), times))


def _index(name: str) -> int:
    from ..core.landmarks import INDEX

    return INDEX[name]


def _reps(movement: Movement, fps: float, n: int) -> tuple[Rep, ...]:
    """The squat reps the movement holds (the sit-to-stand's cycles), frame indices."""
    if not movement.squat_reps:
        return ()
    reps = []
    for c in range(movement.cycles):
        t0 = movement.stand_s + c * movement.cycle_s
        start, end = (
            int(np.floor(t0 * fps)),
            min(int(np.ceil((t0 + movement.cycle_s) * fps)), n - 1),
        )
        reps += [Rep(start, int(round((t0 + b) * fps)), end) for b in movement.bottom_s]
    return tuple(reps)


def frame_skeleton(skel: Skeleton, i: int) -> Skeleton:
    """Frame ``i`` of a moving skeleton as a one-frame skeleton with planted (per-foot) feet,
    the form `formcheck.synth.render.Renderer.frame` draws (at frame 0)."""
    one = slice(i, i + 1)
    return Skeleton(
        joints=skel.joints[one],
        pelvis=skel.pelvis[one],
        trunk_rot=skel.trunk_rot[one],
        head_center=skel.head_center[one],
        head_rot=skel.head_rot[one],
        neck_base=skel.neck_base[one],
        foot_rot=skel.foot_rot[i],
        heel_sole=skel.heel_sole[i],
        toe_sole=skel.toe_sole[i],
    )


def _both(**values: float) -> dict[str, float]:
    """The same value for the left and right channel of each ``name=value``."""
    return {f"{s}_{k}": v for k, v in values.items() for s in ("left", "right")}


#: The movements, by name (the truth's ``movement``). Each key's comment says what it shows.
MOVEMENTS: dict[str, Movement] = {
    m.name: m
    for m in (
        Movement(
            "lunge",
            "forward lunge: the left foot steps 0.75 m ahead, the back knee sinks towards the "
            "floor on a raised back heel, then the front foot steps back",
            keys=(
                (0.0, {}),
                (0.5, {"left_z": 0.35, "left_lift": 0.08, "pelvis_z": 0.12}),
                (0.9, {"left_z": 0.75, "pelvis_z": 0.3, "right_pitch": 20.0}),
                (
                    1.5,
                    {
                        "left_z": 0.75,
                        "pelvis_z": 0.3,
                        "drop": 0.32,
                        "right_pitch": 40.0,
                        "lean": 8.0,
                    },
                ),
                (
                    1.8,
                    {
                        "left_z": 0.75,
                        "pelvis_z": 0.3,
                        "drop": 0.32,
                        "right_pitch": 40.0,
                        "lean": 8.0,
                    },
                ),
                (2.3, {"left_z": 0.75, "pelvis_z": 0.3, "right_pitch": 20.0}),
                (2.7, {"left_z": 0.35, "left_lift": 0.08, "pelvis_z": 0.12}),
                (3.0, {}),
            ),
            cycles=2,
            stand_s=0.4,
        ),
        Movement(
            "split-squat",
            "split squat: the left foot 0.45 m ahead and the right 0.4 m behind on a raised "
            "heel throughout, the hips sink straight down and rise",
            base={"left_z": 0.45, "right_z": -0.4, "right_pitch": 30.0},
            keys=(
                (0.0, {}),
                (0.9, {"drop": 0.28, "lean": 6.0, "right_pitch": 45.0}),
                (1.2, {"drop": 0.28, "lean": 6.0, "right_pitch": 45.0}),
                (2.1, {}),
            ),
            stand_s=0.5,
        ),
        Movement(
            "hip-hinge",
            "hip hinge (Romanian deadlift, good morning): the hips push back, the trunk leans "
            "75 deg forward on soft knees, the arms hang",
            keys=(
                (0.0, {}),
                (
                    1.2,
                    {
                        "lean": 75.0,
                        "pelvis_z": -0.14,
                        "drop": 0.05,
                        "head": 20.0,
                        **_both(arm=4.0, plane=0.0),
                    },
                ),
                (
                    1.6,
                    {
                        "lean": 75.0,
                        "pelvis_z": -0.14,
                        "drop": 0.05,
                        "head": 20.0,
                        **_both(arm=4.0, plane=0.0),
                    },
                ),
                (2.8, {}),
            ),
            stand_s=0.5,
        ),
        Movement(
            "pick-up",
            "picking something up from the floor: the trunk leans 65 deg and the knees bend, the "
            "right hand reaches down in front of the feet",
            keys=(
                (0.0, {}),
                (
                    1.1,
                    {
                        "lean": 65.0,
                        "pelvis_z": -0.18,
                        "drop": 0.22,
                        "head": 25.0,
                        "right_arm": 30.0,
                        "right_plane": 0.0,
                        "right_elbow": 5.0,
                        "left_arm": 15.0,
                    },
                ),
                (
                    1.5,
                    {
                        "lean": 65.0,
                        "pelvis_z": -0.18,
                        "drop": 0.22,
                        "head": 25.0,
                        "right_arm": 30.0,
                        "right_plane": 0.0,
                        "right_elbow": 5.0,
                        "left_arm": 15.0,
                    },
                ),
                (2.6, {"right_elbow": 60.0, "right_arm": 20.0}),
                (3.0, {}),
            ),
            stand_s=0.4,
        ),
        Movement(
            "calf-raise",
            "calf raises: both heels rise 10 cm on the balls of the feet and lower again",
            keys=(
                (0.0, {}),
                (0.7, _both(pitch=22.0)),
                (1.1, _both(pitch=22.0)),
                (1.8, {}),
            ),
            stand_s=0.5,
        ),
        Movement(
            "jumping-jack",
            "jumping jacks: jump the feet 0.7 m apart with the arms overhead, jump back",
            base={"drop": 0.03},
            keys=(
                (0.0, {}),
                (0.2, {**_both(lift=0.06, x=0.22, arm=90.0, plane=90.0), "drop": 0.0}),
                (0.42, {**_both(x=0.36, arm=165.0, plane=90.0), "drop": 0.06}),
                (0.6, {**_both(lift=0.06, x=0.22, arm=90.0, plane=90.0), "drop": 0.0}),
                (0.85, {"drop": 0.06}),
            ),
            cycles=4,
            stand_s=0.5,
        ),
        Movement(
            "high-knees",
            "high knees on the spot: each knee rises to hip height in turn, the opposite arm "
            "swings forward",
            base={"drop": 0.02},
            keys=(
                (0.0, {}),
                (
                    0.2,
                    {
                        "left_lift": 0.42,
                        "left_z": 0.22,
                        "left_pitch": 25.0,
                        "right_arm": 55.0,
                        "right_plane": 0.0,
                        "right_elbow": 90.0,
                        "left_elbow": 90.0,
                        "drop": 0.04,
                    },
                ),
                (0.4, {}),
                (
                    0.6,
                    {
                        "right_lift": 0.42,
                        "right_z": 0.22,
                        "right_pitch": 25.0,
                        "left_arm": 55.0,
                        "left_plane": 0.0,
                        "left_elbow": 90.0,
                        "right_elbow": 90.0,
                        "drop": 0.04,
                    },
                ),
                (0.8, {}),
            ),
            cycles=4,
            stand_s=0.5,
        ),
        Movement(
            "gestures",
            "standing and talking: the weight shifts from foot to foot (6 cm), the hands "
            "gesture, a knee relaxes",
            keys=(
                (0.0, {}),
                (
                    1.0,
                    {
                        "pelvis_x": 0.06,
                        "roll": -3.0,
                        "right_arm": 50.0,
                        "right_plane": 30.0,
                        "right_elbow": 90.0,
                        "drop": 0.02,
                    },
                ),
                (
                    1.6,
                    {
                        "pelvis_x": 0.04,
                        "roll": -2.0,
                        "right_arm": 70.0,
                        "right_plane": 60.0,
                        "right_elbow": 60.0,
                        "left_arm": 30.0,
                        "left_elbow": 80.0,
                    },
                ),
                (
                    2.4,
                    {
                        "pelvis_x": -0.06,
                        "roll": 3.0,
                        "left_arm": 45.0,
                        "left_elbow": 90.0,
                        "drop": 0.02,
                        "side_bend": 3.0,
                    },
                ),
                (3.2, {**_both(arm=40.0, elbow=95.0, plane=20.0), "head": 0.0}),
                (4.0, {}),
            ),
            cycles=1,
            stand_s=0.4,
        ),
        Movement(
            "sit-to-stand",
            "sitting down on a chair (seat 0.47 m high, not drawn) and standing up: the trunk "
            "leans 45 deg forward to rise; counted as a squat (a box squat, see "
            "formcheck.core.movement)",
            base=_both(arm=40.0, plane=0.0, elbow=20.0),
            keys=(
                (0.0, {}),
                (0.5, {"lean": 30.0, "pelvis_z": -0.08, "drop": 0.08}),
                (1.4, {"lean": 12.0, "pelvis_z": -0.32, "drop": 0.41}),
                (2.2, {"lean": 12.0, "pelvis_z": -0.32, "drop": 0.41}),
                (2.7, {"lean": 45.0, "pelvis_z": -0.26, "drop": 0.40}),
                (3.3, {"lean": 30.0, "pelvis_z": -0.1, "drop": 0.18}),
                (4.0, {}),
            ),
            cycles=2,
            stand_s=0.5,
            squat_reps=1,
            bottom_s=(1.8,),
        ),
        Movement(
            "jump-squat",
            "jump squats: down in 0.9 s to the thighs near level, up in 0.3 s into a 20 cm "
            "jump (toes pointing down in the air), land softly and stand; the arms held forward "
            "throughout, so only the flight tells it from a squat (not counted, see "
            "formcheck.core.movement)",
            base=_both(arm=70.0, plane=0.0, elbow=30.0),
            keys=(
                (0.0, {}),
                (0.9, {"drop": 0.36, "lean": 35.0, "pelvis_z": -0.14}),
                (1.2, {"lean": 5.0}),
                (1.4, _both(lift=0.2, pitch=25.0)),
                (1.6, {"drop": 0.06, "lean": 10.0}),
                (1.9, {}),
            ),
            stand_s=0.6,
        ),
        Movement(
            "pull-up",
            "pull-ups: hanging from a bar (not drawn) with the feet 25 cm off the floor, the "
            "body pulled up 0.55 m with the knees tucked back and the elbows bent, lowered back "
            "to a straight-armed hang",
            base=_both(lift=0.25, pitch=20.0, arm=175.0, plane=10.0, elbow=5.0),
            keys=(
                (0.0, {}),
                (
                    1.0,
                    {
                        **_both(lift=0.85, z=-0.2, pitch=30.0, arm=170.0, plane=20.0),
                        **_both(elbow=130.0),
                        "drop": 0.3,
                    },
                ),
                (
                    1.4,
                    {
                        **_both(lift=0.85, z=-0.2, pitch=30.0, arm=170.0, plane=20.0),
                        **_both(elbow=130.0),
                        "drop": 0.3,
                    },
                ),
                (2.4, {}),
            ),
            stand_s=0.8,
        ),
        Movement(
            "box-jump",
            f"box jumps: a quick dip with the arms swung back, a jump onto a {BOX_M * 100:.0f} cm "
            "box (not drawn) landing in a half squat, standing up on it and stepping back down "
            "one foot at a time (not counted, see formcheck.core.movement)",
            base=_both(arm=20.0, plane=0.0, elbow=15.0),
            keys=(
                (0.0, {}),
                (
                    0.45,
                    {"drop": 0.20, "lean": 35.0, "pelvis_z": -0.08, **_both(arm=40.0, plane=180.0)},
                ),
                (0.7, {"lean": 10.0, **_both(lift=0.06, pitch=35.0, arm=120.0)}),
                (
                    0.9,
                    {
                        "drop": 0.30,
                        "lean": 25.0,
                        "pelvis_z": 0.20,
                        **_both(lift=BOX_M + 0.15, z=0.30, pitch=5.0, arm=100.0),
                    },
                ),
                (
                    1.05,
                    {
                        "drop": 0.32,
                        "lean": 35.0,
                        "pelvis_z": 0.30,
                        **_both(lift=BOX_M, z=0.45, arm=80.0),
                    },
                ),
                (1.7, {"pelvis_z": 0.45, **_both(lift=BOX_M, z=0.45)}),
                (2.3, {"pelvis_z": 0.45, **_both(lift=BOX_M, z=0.45)}),
                (
                    2.9,
                    {
                        "pelvis_z": 0.2,
                        "left_lift": 0.0,
                        "left_z": 0.0,
                        "right_lift": BOX_M,
                        "right_z": 0.45,
                    },
                ),
                (3.5, {}),
            ),
        ),
        Movement(
            "lateral-lunge",
            "lateral (side) lunges holding a weight at the chest: from a wide stance (ankles "
            "0.84 m apart, toes out 15 deg) the hips move 0.26 m over the left foot and sink on "
            "the bending left knee, the right leg stays straight; back to the middle, then to "
            "the right",
            base=_both(x=0.42, yaw=15.0, arm=25.0, plane=0.0, elbow=130.0),
            keys=(
                (0.0, {}),
                (0.9, {"pelvis_x": 0.26, "pelvis_z": -0.08, "drop": 0.2, "lean": 30.0}),
                (1.3, {"pelvis_x": 0.26, "pelvis_z": -0.08, "drop": 0.2, "lean": 30.0}),
                (2.2, {}),
                (3.1, {"pelvis_x": -0.26, "pelvis_z": -0.08, "drop": 0.2, "lean": 30.0}),
                (3.5, {"pelvis_x": -0.26, "pelvis_z": -0.08, "drop": 0.2, "lean": 30.0}),
                (4.4, {}),
            ),
            cycles=2,
            stand_s=0.5,
        ),
        Movement(
            "kettlebell-swing",
            "two-hand kettlebell swings (a squatting swing): the bell swung back between the "
            "thighs, knees bent and trunk 40 deg forward, then thrown to chest height as the hips "
            "lock out, three swings in a row; arms straight, both hands on the bell",
            base=_both(arm=5.0, plane=0.0, elbow=5.0),
            keys=(
                (0.0, {}),
                *(
                    (t, pose)
                    for k in range(3)
                    for t, pose in (
                        (
                            0.65 + 1.3 * k,
                            {
                                "lean": 40.0,
                                "pelvis_z": -0.15,
                                "drop": 0.25,
                                **_both(arm=-20.0, plane=10.0),
                            },
                        ),
                        (1.3 + 1.3 * k, _both(arm=90.0, plane=10.0)),
                    )
                ),
                (4.5, {}),
            ),
            cycles=1,
            stand_s=0.6,
        ),
    )
}


def movement(name: str) -> Movement:
    """The `Movement` named; ``ValueError`` naming the choices for an unknown name."""
    try:
        return MOVEMENTS[name]
    except KeyError:
        raise ValueError(
            f"movement: expected one of {', '.join(MOVEMENTS)}, got {name!r}"
        ) from None
