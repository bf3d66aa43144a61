"""Ground truth of a rendered clip: the true angles formcheck reports, and the JSON beside the video.

Conventions match `formcheck.core.metrics` (degrees unless the name says cm; left/right are the
subject's own):

- ``knee_flexion``: 3-D angle between hip->knee and knee->ankle (joint centres), 0 = straight.
- ``fppa``: frontal plane projection angle *as this camera sees it*: hip, knee and ankle are
  projected through the camera and the 2-D angle between hip->knee and knee->ankle is taken,
  + = knee medial (on the side of the hip-ankle line where the other hip is, in the image).
- ``knee_deviation``: the knee's deviation from the plane of its hip, ankle and foot: the
  angle, about the hip-ankle line, from the plane holding that line and the foot's progression
  direction (the horizontal heel -> toe direction) to the knee, + = towards the other hip's side
  (medial, valgus). 0 when the knee tracks over the foot, whatever the foot's turn-out: the
  clinical cue "knees over the toes", and what a knee does whose flexion axis, set by the foot
  and shank, is not collapsed. A knee caving in leaves that plane towards the midline: the
  rotation `formcheck.synth` poses (``knee_valgus_deg``) reads here exactly. (A projection angle
  seen along the foot would be ill-conditioned at depth: there the thigh points almost along the
  line of sight, and 10 deg of rotation reads 40-48 deg at 120 deg of knee flexion.)
- ``foot_progression``: heel -> toe tip against the subject's forward direction (perpendicular
  to the hip line) in the floor plane, + = toes out.
- ``trunk_lean``: mid-hip -> mid-shoulder from vertical, 0 = upright.
- ``knee_flexion_image``: the same angle in this camera's image (2-D), for comparison with
  side-view image measurements.
- ``heel_elevation_cm``: heel landmark above the toe landmark, + = heel higher.
- ``foot_pitch``: heel -> toe line against the floor plane, + = heel raised.
- ``thigh_from_horizontal``: hip -> knee against the floor plane, + = hip above the knee;
  <= 0 is at or below parallel.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..core.landmarks import INDEX, NAMES
from ..core.sequence import PoseSequence
from .camera import Camera
from .figure import Skeleton
from .motion import Squat, Timeline

FORMAT = "formcheck-synth-truth/1"
AXES = (
    "world frame, metres: origin on the floor midway between the ankles; x = subject's left, "
    "y = up, z = forward (the direction the subject faces); right-handed"
)
IMAGE_AXES = (
    "image_points: pixel / image size, x right, y down, (0, 0) = top-left corner of the image"
)


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between 2-D or 3-D vectors (last axis), degrees: ``arctan2(|u x v|, u . v)``."""
    c = np.abs(_cross2(u, v)) if u.shape[-1] == 2 else np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(c, np.sum(u * v, axis=-1)))


def _cross2(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def knee_deviation(joints: np.ndarray) -> dict[str, np.ndarray]:
    """``knee_deviation_left/right`` (module docstring), ``(T,)`` degrees, of ``(T, 33, 3)``
    joints in the truth's world frame (``joints_m`` of a truth document: clips written before
    this angle was recorded get it from there)."""
    j = np.asarray(joints, dtype=np.float64)
    out = {}
    for side, other in (("left", "right"), ("right", "left")):
        hip, knee, ankle, o_hip, heel, toe = (
            j[:, INDEX[n]]
            for n in (
                f"{side}_hip",
                f"{side}_knee",
                f"{side}_ankle",
                f"{other}_hip",
                f"{side}_heel",
                f"{side}_foot_index",
            )
        )
        axis = ankle - hip
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)

        def across(v: np.ndarray, axis: np.ndarray = axis) -> np.ndarray:
            return v - np.sum(v * axis, axis=-1, keepdims=True) * axis

        foot = across((toe - heel) * np.array([1.0, 0.0, 1.0]))
        bend, medial = across(knee - hip), across(o_hip - hip)
        turn = np.sum(np.cross(foot, bend) * axis, axis=-1)
        side_of = np.sign(turn) * np.sign(np.sum(np.cross(foot, medial) * axis, axis=-1))
        out[f"knee_deviation_{side}"] = (
            np.degrees(np.arctan2(np.abs(turn), np.sum(foot * bend, axis=-1))) * side_of
        )
    return out


def angles(skel: Skeleton, camera: Camera) -> dict[str, np.ndarray]:
    """``(T,)`` arrays of the true angles (see the module docstring) from the posed joints."""
    j = skel.joints
    uv, _ = camera.project(j)
    out: dict[str, np.ndarray] = {}
    hips = j[:, INDEX["left_hip"]] - j[:, INDEX["right_hip"]]
    forward = np.stack(
        [-hips[:, 2], np.zeros(len(j)), hips[:, 0]], -1
    )  # left-right hip line turned 90 deg
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    for side, other in (("left", "right"), ("right", "left")):
        hip, knee, ankle = (INDEX[f"{side}_{p}"] for p in ("hip", "knee", "ankle"))
        out[f"knee_flexion_{side}"] = _angle(j[:, knee] - j[:, hip], j[:, ankle] - j[:, knee])
        h2, k2, a2, o2 = uv[:, hip], uv[:, knee], uv[:, ankle], uv[:, INDEX[f"{other}_hip"]]
        out[f"knee_flexion_image_{side}"] = _angle(k2 - h2, a2 - k2)
        medial = np.sign(_cross2(a2 - h2, k2 - h2)) * np.sign(_cross2(a2 - h2, o2 - h2))
        out[f"fppa_{side}"] = _angle(k2 - h2, a2 - k2) * np.where(medial == 0, 1.0, medial)
        foot = j[:, INDEX[f"{side}_foot_index"]] - j[:, INDEX[f"{side}_heel"]]
        foot_h = foot * np.array([1.0, 0.0, 1.0])
        outward = np.cross([0.0, 1.0, 0.0], forward) * (
            1.0 if side == "left" else -1.0
        )  # up x fwd = left
        toes_out = np.sum(foot_h * outward, axis=-1)
        out[f"foot_progression_{side}"] = _angle(foot_h, forward) * np.where(
            toes_out < 0, -1.0, 1.0
        )
        heel, toe = j[:, INDEX[f"{side}_heel"], 1], j[:, INDEX[f"{side}_foot_index"], 1]
        out[f"heel_elevation_{side}_cm"] = 100 * (heel - toe)
        out[f"foot_pitch_{side}"] = np.degrees(
            np.arctan2(-foot[:, 1], np.linalg.norm(foot_h, axis=-1))
        )
        thigh = j[:, knee] - j[:, hip]
        out[f"thigh_from_horizontal_{side}"] = np.degrees(
            np.arctan2(-thigh[:, 1], np.linalg.norm(thigh[:, [0, 2]], axis=-1))
        )
    out.update(knee_deviation(j))
    mid_hip = (j[:, INDEX["left_hip"]] + j[:, INDEX["right_hip"]]) / 2
    mid_sh = (j[:, INDEX["left_shoulder"]] + j[:, INDEX["right_shoulder"]]) / 2
    out["trunk_lean"] = _angle(mid_sh - mid_hip, np.broadcast_to([0.0, 1.0, 0.0], mid_hip.shape))
    ankle_w = np.linalg.norm(
        (j[:, INDEX["left_ankle"]] - j[:, INDEX["right_ankle"]])[:, [0, 2]], axis=-1
    )
    out["stance_width"] = ankle_w / np.linalg.norm(hips[:, [0, 2]], axis=-1)
    return out


def document(
    skel: Skeleton,
    tl: Timeline,
    squat: Squat,
    camera: Camera,
    *,
    video: str,
    preset: str,
    seed: int,
    look: dict[str, Any],
    decimals: int = 4,
) -> dict[str, Any]:
    """The ground-truth JSON document of one clip (plain lists). Metres, seconds and normalised
    image points keep ``decimals`` decimals (4: 0.1 mm), angles one fewer."""

    def _round(a: Any, nd: int = decimals) -> Any:
        return np.round(np.asarray(a, dtype=np.float64), nd).tolist()

    uv, depth = camera.project(skel.joints)
    norm_uv = uv / np.array([camera.width, camera.height])
    true = angles(skel, camera)
    return {
        "format": FORMAT,
        "video": video,
        "preset": preset,
        "seed": seed,
        "fps": camera.fps,
        "n_frames": len(tl.times),
        "image_size": [camera.width, camera.height],
        "axes": AXES,
        "image_axes": IMAGE_AXES,
        "conventions": {
            "knee_flexion": "deg, 3-D angle hip->knee vs knee->ankle, 0 = straight",
            "fppa": "deg, 2-D angle hip->knee vs knee->ankle in this camera's image, + = knee medial "
            "(towards the other hip in the image)",
            "knee_deviation": "deg, the knee's rotation about the hip-ankle line out of the plane "
            "of hip, ankle and foot progression direction, + = medial; 0 = the knee tracks over "
            "the foot",
            "foot_progression": "deg, heel->toe vs forward (perpendicular to the hip line) in the floor "
            "plane, + = toes out",
            "trunk_lean": "deg, mid-hip->mid-shoulder from vertical, 0 = upright",
            "knee_flexion_image": "deg, the knee flexion angle drawn in this camera's image (2-D)",
            "heel_elevation_cm": "cm, heel landmark above toe landmark, + = heel higher",
            "foot_pitch": "deg, heel->toe line against the floor plane, + = heel raised",
            "thigh_from_horizontal": "deg, + = hip above the knee, <= 0 = at or below parallel",
            "stance_width": "ratio, ankle distance / hip joint distance in the floor plane",
            "depth": "0 = standing, 1 = the bottom of a repetition",
            "reps": "frame indices: start = last frame at the top, bottom = deepest, end = back at the top",
        },
        "squat": asdict(squat),
        "camera": {
            **asdict(camera),
            "position_m": _round(camera.position),
            "rotation_rows_right_down_forward": _round(camera.rotation, decimals + 2),
            "focal_px": round(camera.focal_px, decimals),
            "principal_point_px": [camera.width / 2, camera.height / 2],
        },
        "look": look,
        "reps": [asdict(r) for r in tl.reps],
        "times_s": _round(tl.times),
        "depth": _round(tl.depth),
        "angles": {k: _round(v, decimals - 1) for k, v in true.items()},
        "joint_names": list(NAMES),
        "joints_m": _round(skel.joints),
        "image_points": _round(norm_uv),
        "camera_depth_m": _round(depth, decimals - 1),
    }


def write_json(path: str | Path, doc: dict[str, Any]) -> Path:
    """Write ``doc`` compactly to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> dict[str, Any]:
    """Read a truth JSON written by `write_json`; arrays stay lists (see ``to_arrays``)."""
    with open(path) as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: expected a {FORMAT} document, got format {doc.get('format')!r}")
    return doc


def pose_sequence(doc: dict[str, Any]) -> PoseSequence:
    """The truth's own landmarks as a `PoseSequence`, as a perfect pose model would report them:
    exact image points, world points in MediaPipe's axes (origin mid-hip, x image right, y image
    down, z away from the camera), visibility 1. Image z is the depth relative to the mid-hip
    in image-width units."""
    joints = np.asarray(doc["joints_m"], dtype=np.float64)
    rot = np.asarray(doc["camera"]["rotation_rows_right_down_forward"], dtype=np.float64)
    world = (
        joints - (joints[:, [INDEX["left_hip"]]] + joints[:, [INDEX["right_hip"]]]) / 2
    ) @ rot.T
    depth = np.asarray(doc["camera_depth_m"], dtype=np.float64)
    w, h = doc["image_size"]
    hip_depth = depth[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1, keepdims=True)
    z = (depth - hip_depth) * doc["camera"]["focal_px"] / hip_depth / w
    image = np.concatenate(
        [np.asarray(doc["image_points"], dtype=np.float64), z[..., None]], axis=-1
    )
    return PoseSequence(
        landmarks=image,
        world=world,
        visibility=np.ones(depth.shape),
        timestamps=np.asarray(doc["times_s"]),
        fps=doc["fps"],
        image_size=(w, h),
        source=str(doc.get("video", "")),
    )


def truth_path(video: str | Path) -> Path:
    """Where the truth JSON of ``video`` lives: same folder, same stem, ``.json``."""
    return Path(video).with_suffix(".json")
