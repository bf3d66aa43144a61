"""Per-frame camera view (front / oblique / side) from body geometry.

Two estimates of how far the body is turned from facing the camera, folded to
``[0, 90]`` degrees (0 = the frontal plane faces the camera, from the front or
the back; 90 = a profile):

- image: the apparent width of the shoulders plus the hips (horizontal pixel
  distances) over the torso length (hip centre -> shoulder centre, pixels)
  shrinks with the cosine of the yaw; ``FRONT_WIDTH_RATIO`` is its value
  square-on (MediaPipe landmarks of adults seen from the front give 1.0-1.1);
- world: the direction of the left-minus-right shoulder and hip lines in
  MediaPipe's world floor plane (x, z).

Where both exist they are averaged; the result is median-filtered over
``SMOOTH_S`` so the view does not flicker, then classified: front below
``FRONT_MAX_DEG`` = 30 deg (frontal-plane angles such as the knee's projection
angle change by less than ~15 % of their value up to 30 deg of yaw), side
above ``SIDE_MIN_DEG`` = 60 deg, oblique in between.

Front and back are both VIEW_FRONT: frontal-plane metrics take the medial
side from the hip positions, which holds from either side. `body_yaw` keeps
the full circle for callers that need to know which way the subject faces.
"""

from __future__ import annotations

import numpy as np

from .geometry import norm
from .landmarks import INDEX
from .metricset import VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE, VIEW_UNKNOWN
from .sequence import PoseSequence

FRONT_WIDTH_RATIO = 1.05
FRONT_MAX_DEG = 30.0
SIDE_MIN_DEG = 60.0
SMOOTH_S = 0.5


def body_yaw(
    l_shoulder: np.ndarray,
    r_shoulder: np.ndarray,
    l_hip: np.ndarray,
    r_hip: np.ndarray,
    axis: int = -1,
) -> np.ndarray:
    """Yaw of the body from MediaPipe world landmarks, degrees in ``(-180, 180]``.

    0 = facing the camera (the subject's left on the image's right), 90 = facing
    the image's right, +-180 = back to the camera. From ``atan2(z, x)`` of the
    sum of the left-minus-right shoulder and hip vectors.
    """
    v = (np.asarray(l_shoulder) - np.asarray(r_shoulder)) + (np.asarray(l_hip) - np.asarray(r_hip))
    v = np.moveaxis(v, axis, 0)
    return np.degrees(np.arctan2(v[2], v[0]))


def fold_yaw(yaw: np.ndarray) -> np.ndarray:
    """Yaw folded to ``[0, 90]``: 0 for front or back, 90 for either profile."""
    a = np.abs(np.asarray(yaw, dtype=np.float64)) % 180.0
    return np.minimum(a, 180.0 - a)


def apparent_yaw(
    l_shoulder: np.ndarray,
    r_shoulder: np.ndarray,
    l_hip: np.ndarray,
    r_hip: np.ndarray,
    axis: int = -1,
) -> np.ndarray:
    """Folded yaw ``[0, 90]`` degrees from image pixel landmarks (x right, y down).

    ``arccos(min(1, width / (FRONT_WIDTH_RATIO * torso)))`` with width = the
    horizontal shoulder distance + the horizontal hip distance.
    """
    ls, rs, lh, rh = (
        np.moveaxis(np.asarray(a, dtype=np.float64), axis, 0)
        for a in (l_shoulder, r_shoulder, l_hip, r_hip)
    )
    width = np.abs(ls[0] - rs[0]) + np.abs(lh[0] - rh[0])
    torso = norm((ls + rs) / 2 - (lh + rh) / 2, axis=0)
    ratio = width / (FRONT_WIDTH_RATIO * torso)
    return np.degrees(np.arccos(np.clip(ratio, 0.0, 1.0)))


def combine_yaw(image_folded: np.ndarray, world_folded: np.ndarray) -> np.ndarray:
    """Mean of the two folded yaw estimates where both exist, else whichever does."""
    a, b = np.asarray(image_folded, dtype=np.float64), np.asarray(world_folded, dtype=np.float64)
    fa, fb = np.isfinite(a), np.isfinite(b)
    return np.where(fa & fb, (a + b) / 2, np.where(fa, a, b))


def smooth_yaw(folded: np.ndarray, fps: float, window_s: float = SMOOTH_S) -> np.ndarray:
    """Running median over ``window_s`` seconds; frames that were NaN stay NaN
    (gaps are bridged only to feed the filter)."""
    from scipy.ndimage import median_filter

    y = np.asarray(folded, dtype=np.float64)
    ok = np.isfinite(y)
    if not ok.any():
        return y.copy()
    size = max(1, int(round(window_s * fps)) | 1)
    if not ok.all():
        idx = np.arange(y.shape[0])
        y = np.interp(idx, idx[ok], y[ok])
    return np.where(ok, median_filter(y, size=size, mode="nearest"), np.nan)


def classify_view(folded: np.ndarray) -> np.ndarray:
    """``(T,)`` int8 view codes from folded yaw in degrees (NaN -> VIEW_UNKNOWN)."""
    y = np.asarray(folded, dtype=np.float64)
    codes = np.full(y.shape, VIEW_UNKNOWN, dtype=np.int8)
    codes[y < FRONT_MAX_DEG] = VIEW_FRONT
    codes[(y >= FRONT_MAX_DEG) & (y <= SIDE_MIN_DEG)] = VIEW_OBLIQUE
    codes[y > SIDE_MIN_DEG] = VIEW_SIDE
    return codes


def estimate_view(
    pixels: dict[str, np.ndarray], world: dict[str, np.ndarray] | None, fps: float, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """View codes ``(T,)`` int8 and the smoothed folded yaw ``(T,)`` degrees.

    ``pixels`` / ``world`` map ``left_shoulder``, ``right_shoulder``,
    ``left_hip``, ``right_hip`` to arrays with components along ``axis``.
    """
    keys = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    folded = apparent_yaw(*(pixels[k] for k in keys), axis=axis)
    if world is not None:
        folded = combine_yaw(folded, fold_yaw(body_yaw(*(world[k] for k in keys), axis=axis)))
    smooth = smooth_yaw(folded, fps)
    return classify_view(smooth), smooth


def sequence_view(seq: PoseSequence) -> np.ndarray:
    """``(T,)`` int8 view codes of a `PoseSequence` (raw landmarks, no cleaning)."""
    keys = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    pix = seq.pixels
    codes, _ = estimate_view(
        {k: pix[:, INDEX[k]] for k in keys}, {k: seq.world[:, INDEX[k]] for k in keys}, seq.fps
    )
    return codes
