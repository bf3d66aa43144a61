"""World landmarks as marker trajectories for biomechanics tools: ``.trc`` (OpenSim) and ``.c3d``.

Markers
-------
The 25 markers of Pose2Sim's BlazePose marker set (``Pose2Sim/OpenSim_Setup/Markers_BlazePose.xml``:
``Nose``, ``LEye``, ``RShoulder``, ``RHip``, ``RKnee``, ``RAnkle``, ``RHeel``, ``RBigToe``, ...),
so Pose2Sim's BlazePose scaling and inverse-kinematics setups read our files as they are. ``L`` and
``R`` are the subject's own sides, as MediaPipe labels them; ``BigToe`` is MediaPipe's
``foot_index`` (the tip of the foot).

Frame and units
---------------
Metres, OpenSim's convention of **Y up**: X = right in the image, Y = up, Z = towards the camera
(MediaPipe world x, -y, -z: a rotation, so the frame stays right-handed). The origin is
MediaPipe's: the centre of the hips on every frame, so the pelvis does not travel; joint angles
from inverse kinematics are unaffected, the pelvis translation is not measured. Frames without a
person are ``NaN`` cells (``.trc``) or points with residual -1 (``.c3d``, the format's mark of an
invalid point), never zeros.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.landmarks import INDEX
from ..core.sequence import PoseSequence
from ..errors import InputError

#: Marker name (Pose2Sim BlazePose marker set) -> MediaPipe landmark name.
MARKERS: dict[str, str] = {
    "Nose": "nose",
    "LEye": "left_eye",
    "REye": "right_eye",
    "LShoulder": "left_shoulder",
    "RShoulder": "right_shoulder",
    "LElbow": "left_elbow",
    "RElbow": "right_elbow",
    "LWrist": "left_wrist",
    "RWrist": "right_wrist",
    "LHip": "left_hip",
    "RHip": "right_hip",
    "LKnee": "left_knee",
    "RKnee": "right_knee",
    "LAnkle": "left_ankle",
    "RAnkle": "right_ankle",
    "LBigToe": "left_foot_index",
    "LHeel": "left_heel",
    "RBigToe": "right_foot_index",
    "RHeel": "right_heel",
    "RThumb": "right_thumb",
    "RPinky": "right_pinky",
    "RIndex": "right_index",
    "LThumb": "left_thumb",
    "LPinky": "left_pinky",
    "LIndex": "left_index",
}

#: MediaPipe world (x right, y down, z away) -> export frame (X right, Y up, Z towards the camera).
_TO_Y_UP = np.array([1.0, -1.0, -1.0])


def marker_trajectories(seq: PoseSequence) -> np.ndarray:
    """``(T, M, 3)`` positions in metres of the `MARKERS` (in their order) in the Y-up export
    frame (see the module docstring); NaN where no person was found."""
    idx = [INDEX[name] for name in MARKERS.values()]
    return seq.world[:, idx, :] * _TO_Y_UP


def number_cells(a: np.ndarray, fmt: str) -> np.ndarray:
    """``a`` formatted with ``fmt``, ``NaN`` where not finite (OpenSim's readers take ``NaN`` for
    a missing value; an empty cell at the end of a line is lost by their tokeniser)."""
    return np.where(np.isfinite(a), np.char.mod(fmt, np.nan_to_num(a)), "NaN")


def trc_text(seq: PoseSequence, name: str = "markers.trc") -> str:
    """The marker trajectories as an OpenSim ``.trc`` file, in the layout Pose2Sim's and Sports2D's
    writers use (five header lines, then ``Frame#``, ``Time`` and X, Y, Z per marker, tab-separated;
    frames numbered from 1, time in seconds from the video's timestamps)."""
    xyz = marker_trajectories(seq)
    n, m = xyz.shape[:2]
    if n == 0:
        raise InputError(f"{seq.source or name}: no frames to export")
    fps = f"{seq.fps:.6g}"
    header = [
        f"PathFileType\t4\t(X/Y/Z)\t{name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame"
        "\tOrigNumFrames",
        "\t".join([fps, fps, str(n), str(m), "m", fps, "1", str(n)]),
        "Frame#\tTime\t" + "\t\t\t".join(MARKERS) + "\t\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, m + 1)),
        "",
    ]
    cells = np.column_stack(
        [
            np.arange(1, n + 1).astype(str),
            np.char.mod("%.6f", seq.timestamps),
            number_cells(xyz.reshape(n, 3 * m), "%.6f"),
        ]
    )
    return "\n".join(header + ["\t".join(row) for row in cells.tolist()]) + "\n"


def write_c3d(seq: PoseSequence, path: str | Path) -> None:
    """Write the marker trajectories as a ``.c3d`` file with ``ezc3d`` (``pip install
    "formcheck[biomech]"``): POINT data in millimetres (the unit C3D readers assume), labels the
    `MARKERS`, rate the video's frame rate; points of frames without a person have residual -1.
    Raises `InputError` when ezc3d is not installed."""
    try:
        import ezc3d
    except ImportError:
        raise InputError(
            f'{path}: writing .c3d needs ezc3d: pip install "formcheck[biomech]"'
        ) from None
    xyz = marker_trajectories(seq) * 1000.0  # (T, M, 3) mm
    n, m = xyz.shape[:2]
    if n == 0:
        raise InputError(f"{seq.source or path}: no frames to export")
    known = np.isfinite(xyz).all(axis=2)  # (T, M)
    points = np.ones((4, m, n))
    points[:3] = np.nan_to_num(xyz).transpose(2, 1, 0)
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [seq.fps]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = list(MARKERS)
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c3d["data"]["points"] = points
    c3d["data"]["meta_points"]["residuals"] = np.where(known, 0.0, -1.0).T[None, :, :]
    c3d["data"]["meta_points"]["camera_masks"] = np.zeros((7, m, n), dtype=bool)
    c3d.write(str(path))
