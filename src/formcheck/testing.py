"""Synthetic pose sequences with KNOWN joint angles, for tests and benchmarks.

`pose_from_angles` builds one consistent skeleton per frame from joint angles;
`squat_sequence` drives it with a smooth repetition profile. Both return a
`PoseSequence` with world landmarks in metres (MediaPipe axes: x right in the
image, **y down**, z away from the camera, origin the hip centre) and image
landmarks from a pinhole (or orthographic) camera looking horizontally at the
subject, so every metric formcheck computes has a known true value.

Body frame and angles
---------------------
- ``yaw_deg``: rotation of the body about the vertical. 0 = the subject faces the
  camera (their left hip is on the image's right); 90 = the subject faces the
  image's right (their right side is towards the camera); 180 = back to the camera.
- ``knee_flexion``: 180 minus the 3-D angle hip-knee-ankle, exact.
- ``valgus``: rotation of the knee about the hip-ankle axis, + = towards the body's
  midline (medial). Knee flexion and the hip/ankle positions do not change with it.
- ``foot_progression``: heel->toe direction vs the forward direction in the floor
  plane, + = toes out, exact.
- ``heel_height_cm``: heel above the toe (foot pitched about the ankle), exact.
- ``trunk_lean``: hip centre -> shoulder centre from vertical, tilted forwards, exact.
- ``stance_width``: horizontal ankle distance / hip width, exact.

The camera is level (world "vertical" = image vertical), as formcheck assumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .core.landmarks import INDEX, NUM_LANDMARKS
from .core.sequence import PoseSequence


@dataclass(frozen=True)
class Body:
    """Segment lengths in metres (MediaPipe-like proportions of an adult)."""

    hip_width: float = 0.22
    shoulder_width: float = 0.34
    torso: float = 0.50
    thigh: float = 0.42
    shank: float = 0.40
    foot: float = 0.20  # heel -> toe
    heel_back: float = 0.05  # heel behind the ankle, along the foot
    ankle_height: float = 0.07


@dataclass(frozen=True)
class SquatTruth:
    """Per-frame true angles of a `squat_sequence` and its repetition frames."""

    knee_flexion: np.ndarray  # (T,) degrees, both legs (plus/minus asymmetry/2)
    depth: np.ndarray  # (T,) 0 at lockout .. 1 at the bottom
    reps: (
        np.ndarray
    )  # (n_reps, 3) int frames: start of descent, middle of the bottom, end of ascent
    angles: dict[str, np.ndarray]  # the keyword arrays passed to `pose_from_angles`


def _arr(x: float | np.ndarray, n: int) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != n):
        raise ValueError(f"expected a scalar or an array of shape ({n},), got shape {a.shape}")
    return np.broadcast_to(a, (n,)).astype(np.float64)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _leg(
    side: float,
    flex: np.ndarray,
    valgus: np.ndarray,
    prog: np.ndarray,
    heel_cm: np.ndarray,
    hip_fwd: np.ndarray,
    width: np.ndarray,
    body: Body,
) -> dict[str, np.ndarray]:
    """One leg in body coordinates (lateral to the subject's left, up, forward),
    relative to the hip joint. ``side`` +1 = left, -1 = right."""
    th, sh = body.thigh, body.shank
    t = np.radians(flex)
    dist = np.sqrt(th**2 + sh**2 + 2 * th * sh * np.cos(t))  # hip-ankle distance
    dl = side * (body.hip_width - width) / 2  # hip minus ankle, lateral
    fwd = np.clip(hip_fwd, -0.9 * np.sqrt(np.maximum(dist**2 - dl**2, 0)), 0.0)
    up = np.sqrt(dist**2 - dl**2 - fwd**2)
    hip_minus_ankle = np.stack([np.broadcast_to(dl, up.shape), up, fwd], axis=-1)
    e = -hip_minus_ankle / dist[:, None]  # unit hip -> ankle
    fwd_axis = np.array([0.0, 0.0, 1.0])
    n0 = _unit(fwd_axis - (e @ fwd_axis)[:, None] * e)  # knee points forwards
    medial = np.array([-side, 0.0, 0.0])
    m = medial - (e @ medial)[:, None] * e - np.sum(n0 * medial, axis=1)[:, None] * n0
    m = _unit(m)
    phi = np.radians(valgus)[:, None]
    n = np.cos(phi) * n0 + np.sin(phi) * m
    a = (th**2 - sh**2 + dist**2) / (2 * dist)
    r = np.sqrt(np.maximum(th**2 - a**2, 0.0))
    knee = a[:, None] * e + r[:, None] * n  # relative to the hip joint
    ankle = -hip_minus_ankle
    # Foot: direction in the floor plane, pitched about the ankle so the heel is heel_cm above the toe.
    p = np.radians(prog)
    d = np.stack([side * np.sin(p), np.zeros_like(p), np.cos(p)], axis=-1)
    alpha = np.arcsin(np.clip(heel_cm / 100.0 / body.foot, -1.0, 1.0))
    ca, sa = np.cos(alpha)[:, None], np.sin(alpha)[:, None]
    upv = np.array([0.0, 1.0, 0.0])

    def foot_point(along: float, vert: float) -> np.ndarray:
        return ankle + (along * ca + vert * sa) * d + (-along * sa + vert * ca) * upv

    heel = foot_point(-body.heel_back, -body.ankle_height)
    toe = foot_point(body.foot - body.heel_back, -body.ankle_height)
    # Height of the ankle above the toe (the toe rests on the floor).
    ankle_above_floor = (body.foot - body.heel_back) * sa[:, 0] + body.ankle_height * ca[:, 0]
    return {
        "knee": knee,
        "ankle": ankle,
        "heel": heel,
        "toe": toe,
        "up": up,
        "ankle_floor": ankle_above_floor,
    }


def pose_from_angles(
    knee_flexion_left: float | np.ndarray,
    knee_flexion_right: float | np.ndarray | None = None,
    *,
    valgus_left: float | np.ndarray = 0.0,
    valgus_right: float | np.ndarray | None = None,
    foot_progression_left: float | np.ndarray = 0.0,
    foot_progression_right: float | np.ndarray | None = None,
    heel_height_cm: float | np.ndarray = 0.0,
    trunk_lean: float | np.ndarray = 0.0,
    stance_width: float | np.ndarray = 1.0,
    yaw_deg: float | np.ndarray = 0.0,
    fps: float = 30.0,
    image_size: tuple[int, int] = (1280, 720),
    projection: str = "perspective",
    camera_distance: float = 3.5,
    camera_height: float = 1.0,
    visibility: float | np.ndarray = 1.0,
    body: Body | None = None,
) -> PoseSequence:
    """A `PoseSequence` whose joint angles are exactly the ones given (degrees).

    Every angle may be a scalar or a ``(T,)`` array; T is the longest given
    (scalars broadcast). A ``*_right`` left as None copies its ``*_left``.
    ``stance_width`` is the ankle distance / hip width. The hip flexes so that
    the hip centre sits behind the ankles like a real squat (shank inclined
    forwards by about 35 % of the knee flexion). ``projection`` is
    ``"perspective"`` (pinhole ``camera_distance`` metres in front of the hips,
    ``camera_height`` metres above the floor, looking horizontally) or
    ``"orthographic"`` (same scale at the hip depth for every point: image
    angles equal the true angles in the image plane). Image z is depth relative
    to the hip centre, scaled like x, as MediaPipe's. ``visibility`` is a scalar,
    ``(33,)`` or ``(T, 33)``.
    """
    body = body or Body()
    values = [
        knee_flexion_left,
        knee_flexion_right,
        valgus_left,
        valgus_right,
        foot_progression_left,
        foot_progression_right,
        heel_height_cm,
        trunk_lean,
        stance_width,
        yaw_deg,
    ]
    n = max(
        (np.asarray(v).shape[0] for v in values if v is not None and np.ndim(v) == 1), default=1
    )
    kl = _arr(knee_flexion_left, n)
    kr = kl if knee_flexion_right is None else _arr(knee_flexion_right, n)
    vl = _arr(valgus_left, n)
    vr = vl if valgus_right is None else _arr(valgus_right, n)
    pl = _arr(foot_progression_left, n)
    pr = pl if foot_progression_right is None else _arr(foot_progression_right, n)
    heel, lean, width, yaw = (
        _arr(v, n) for v in (heel_height_cm, trunk_lean, stance_width, yaw_deg)
    )
    width = width * body.hip_width
    if projection not in ("perspective", "orthographic"):
        raise ValueError(
            f"projection: expected 'perspective' or 'orthographic', got {projection!r}"
        )

    # Hip centre behind the ankles: from a sagittal leg with the shank inclined 35 % of the flexion.
    def nominal_fwd(flex: np.ndarray) -> np.ndarray:
        s_inc, t_inc = np.radians(0.35 * flex), np.radians(0.65 * flex)
        return body.shank * np.sin(s_inc) - body.thigh * np.sin(t_inc)

    hip_fwd = (nominal_fwd(kl) + nominal_fwd(kr)) / 2
    legs = {
        side: _leg(s, k, v, p, heel, hip_fwd, width, body)
        for side, s, k, v, p in (("left", 1.0, kl, vl, pl), ("right", -1.0, kr, vr, pr))
    }
    hip_height = np.mean([legs[s]["up"] + legs[s]["ankle_floor"] for s in legs], axis=0)

    b = np.zeros(
        (n, NUM_LANDMARKS, 3)
    )  # body frame: (to the subject's left, up, forward), hip centre origin

    def put(name: str, v: np.ndarray | list[float]) -> None:
        b[:, INDEX[name]] = v

    for side, s in (("left", 1.0), ("right", -1.0)):
        hip = np.array([s * body.hip_width / 2, 0.0, 0.0])
        leg = legs[side]
        put(f"{side}_hip", hip)
        for part, name in (
            ("knee", "knee"),
            ("ankle", "ankle"),
            ("heel", "heel"),
            ("toe", "foot_index"),
        ):
            put(f"{side}_{name}", hip + leg[part])
    lr = np.radians(lean)
    trunk = np.stack([np.zeros(n), np.cos(lr), np.sin(lr)], axis=-1)
    fwd = np.array([0.0, 0.0, 1.0])
    lat = np.array([1.0, 0.0, 0.0])
    sc = body.torso * trunk
    head = sc + 0.17 * trunk
    for side, s in (("left", 1.0), ("right", -1.0)):
        sh = sc + s * body.shoulder_width / 2 * lat
        put(f"{side}_shoulder", sh)
        put(f"{side}_elbow", sh + 0.28 * fwd)
        put(f"{side}_wrist", sh + 0.53 * fwd)
        put(f"{side}_pinky", sh + 0.60 * fwd + s * 0.02 * lat)
        put(f"{side}_index", sh + 0.61 * fwd)
        put(f"{side}_thumb", sh + 0.57 * fwd - s * 0.02 * lat)
        put(f"{side}_ear", head + s * 0.075 * lat - 0.02 * fwd)
        put(f"{side}_eye_inner", head + s * 0.015 * lat + 0.03 * trunk + 0.08 * fwd)
        put(f"{side}_eye", head + s * 0.03 * lat + 0.03 * trunk + 0.08 * fwd)
        put(f"{side}_eye_outer", head + s * 0.045 * lat + 0.03 * trunk + 0.075 * fwd)
        put(f"mouth_{side}", head + s * 0.025 * lat - 0.05 * trunk + 0.08 * fwd)
    put("nose", head + 0.10 * fwd)

    # Body frame -> MediaPipe world: lateral L=(cos y, 0, sin y), up=(0,-1,0), forward F=(sin y, 0, -cos y).
    yr = np.radians(yaw)[:, None]
    cy, sy = np.cos(yr), np.sin(yr)
    world = np.empty_like(b)
    world[..., 0] = b[..., 0] * cy + b[..., 2] * sy
    world[..., 1] = -b[..., 1]
    world[..., 2] = b[..., 0] * sy - b[..., 2] * cy

    w, h = image_size
    focal = 0.8 * h * camera_distance / 2.0  # 2 m spans 80 % of the image height
    cam_x = world[..., 0]
    cam_y = world[..., 1] + (camera_height - hip_height)[:, None]
    cam_z = world[..., 2] + camera_distance
    depth = cam_z if projection == "perspective" else np.full_like(cam_z, camera_distance)
    image = np.empty_like(world)
    image[..., 0] = (w / 2 + focal * cam_x / depth) / w
    image[..., 1] = (h / 2 + focal * cam_y / depth) / h
    image[..., 2] = focal * world[..., 2] / camera_distance / w
    vis = np.broadcast_to(np.asarray(visibility, dtype=np.float64), (n, NUM_LANDMARKS)).copy()
    return PoseSequence(
        landmarks=image,
        world=world,
        visibility=vis,
        timestamps=np.arange(n) / fps,
        fps=fps,
        image_size=(w, h),
        source="synthetic",
    )


def squat_profile(
    n_reps: int = 3,
    fps: float = 30.0,
    peak_knee_flexion: float = 100.0,
    lockout_deg: float = 0.0,
    tempo: tuple[float, float, float, float] = (1.5, 0.3, 1.5, 0.7),
    lead_in_s: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knee flexion (T,) degrees, depth (T,) 0..1 and rep frames (n_reps, 3).

    ``lead_in_s`` of standing, then per rep: descent, bottom hold, ascent, top
    pause (``tempo``, seconds), cosine-eased between lockout and peak.
    Rep frames: first frame of the descent, middle of the bottom hold, first
    frame back at lockout.
    """
    if n_reps < 0:
        raise ValueError(f"n_reps: expected >= 0, got {n_reps}")
    descent, hold, ascent, pause = tempo
    knots_t, knots_d = [0.0, lead_in_s], [0.0, 0.0]
    reps = []
    t0 = lead_in_s
    for _ in range(n_reps):
        times = [t0 + descent, t0 + descent + hold, t0 + descent + hold + ascent]
        reps.append((t0, t0 + descent + hold / 2, times[-1]))
        knots_t += [*times, times[-1] + pause]
        knots_d += [1.0, 1.0, 0.0, 0.0]
        t0 = times[-1] + pause
    n = int(round(knots_t[-1] * fps)) + 1
    t = np.arange(n) / fps
    kt, kd = np.asarray(knots_t), np.asarray(knots_d)
    i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
    span = np.maximum(kt[i + 1] - kt[i], 1e-12)
    u = np.clip((t - kt[i]) / span, 0.0, 1.0)
    depth = kd[i] + (kd[i + 1] - kd[i]) * (1 - np.cos(np.pi * u)) / 2
    flex = lockout_deg + (peak_knee_flexion - lockout_deg) * depth
    rep_frames = np.round(np.asarray(reps, dtype=np.float64).reshape(-1, 3) * fps).astype(int)
    return flex, depth, rep_frames


def squat_sequence_with_truth(
    n_reps: int = 3,
    fps: float = 30.0,
    peak_knee_flexion: float = 100.0,
    valgus_deg: float = 0.0,
    foot_progression_deg: float = 0.0,
    heel_height_cm: float = 0.0,
    trunk_lean_deg: float = 20.0,
    lockout_deg: float = 0.0,
    yaw_deg: float = 0.0,
    tempo: tuple[float, float, float, float] = (1.5, 0.3, 1.5, 0.7),
    *,
    stance_width: float = 1.0,
    asymmetry_deg: float = 0.0,
    lead_in_s: float = 1.0,
    image_size: tuple[int, int] = (1280, 720),
    projection: str = "perspective",
    noise_px: float = 0.0,
    noise_world_m: float = 0.0,
    seed: int = 0,
) -> tuple[PoseSequence, SquatTruth]:
    """`squat_sequence` plus the true per-frame angles and rep frames.

    Valgus and trunk lean grow with depth (0 at lockout, the given value at
    the bottom); foot progression, heel height, stance width and yaw are
    constant. ``asymmetry_deg`` adds half to the left knee's flexion and
    subtracts half from the right's. ``noise_px`` / ``noise_world_m`` add
    Gaussian jitter (pixels / metres, seeded) to image / world landmarks.
    """
    flex, depth, reps = squat_profile(n_reps, fps, peak_knee_flexion, lockout_deg, tempo, lead_in_s)
    angles = {
        "knee_flexion_left": flex + asymmetry_deg / 2 * depth,
        "knee_flexion_right": flex - asymmetry_deg / 2 * depth,
        "valgus_left": valgus_deg * depth,
        "valgus_right": valgus_deg * depth,
        "foot_progression_left": np.full_like(flex, foot_progression_deg),
        "foot_progression_right": np.full_like(flex, foot_progression_deg),
        "heel_height_cm": np.full_like(flex, heel_height_cm),
        "trunk_lean": trunk_lean_deg * depth,
        "stance_width": np.full_like(flex, stance_width),
        "yaw_deg": np.full_like(flex, yaw_deg),
    }
    seq = pose_from_angles(**angles, fps=fps, image_size=image_size, projection=projection)
    if noise_px > 0 or noise_world_m > 0:
        rng = np.random.default_rng(seed)
        w, h = image_size
        lm = seq.landmarks.copy()
        lm[..., :2] += rng.normal(0.0, noise_px, lm[..., :2].shape) / np.array([w, h])
        world = seq.world + rng.normal(0.0, noise_world_m, seq.world.shape)
        seq = PoseSequence(
            lm, world, seq.visibility, seq.timestamps, fps, image_size, source="synthetic"
        )
    return seq, SquatTruth(knee_flexion=flex, depth=depth, reps=reps, angles=angles)


def squat_sequence(*args: Any, **kwargs: Any) -> PoseSequence:
    """A squat set with known angles: `squat_sequence_with_truth` without the truth (same
    arguments)."""
    return squat_sequence_with_truth(*args, **kwargs)[0]
