"""Per-frame camera view (front / oblique / side) from body geometry.

The body's yaw to the camera, full circle (0 = facing the camera, +-90 = a profile, +-180 = the
back to the camera; + = facing the image's right), is measured per frame from MediaPipe's world
landmarks (`estimate_yaw`):

- the left-minus-right shoulder and hip lines in the world floor plane (x, z) give the yaw when
  MediaPipe labels left and right correctly (`body_yaw`);
- which way the body faces decides between that yaw and the one 180 deg away (MediaPipe swaps
  left and right in some frames seen from behind, and on a faceless figure in every standing
  frame): the knees, which travel forward of the hip-ankle line as they bend, and the nose, ahead
  of the ears, vote on the facing direction, summed over ``FACING_WINDOW_S`` so standing frames
  take the direction of the squat around them. The feet (heel -> toe) were tried and left out:
  MediaPipe's depth along the foot put them 30-100 deg off from 75 deg of yaw on (bench_view);
- the yaw is then median-filtered over ``SMOOTH_S`` (as a unit vector, so +-180 does not wrap)
  and each frame gets a confidence in ``[0, 1]``: how flat the shoulder-hip line lies in the
  floor plane times how well the frame agrees with the smoothed yaw.

Without world landmarks the image gives only the folded yaw ``[0, 90]``: the apparent width of
the shoulders plus the hips over the torso length shrinks with the cosine of the yaw
(`apparent_yaw`; ``FRONT_WIDTH_RATIO`` is its value square-on for adults).

Views are classes of the yaw folded to ``[0, 90]`` (front and back are both VIEW_FRONT:
frontal-plane metrics take the medial side from the hip positions, which holds from either
side): front below ``FRONT_MAX_DEG`` = 30 deg (a frontal-plane angle such as the knee's
projection angle changes by less than ~15 % of its value up to 30 deg of yaw), side above
``SIDE_MIN_DEG``, oblique in between (see its note for the heel check).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .geometry import norm
from .landmarks import INDEX
from .metricset import VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE, VIEW_UNKNOWN
from .sequence import PoseSequence

#: World landmarks `estimate_yaw` reads (the first four also feed `apparent_yaw`).
YAW_LANDMARKS = (
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_ear",
    "right_ear",
    "nose",
)
FRONT_WIDTH_RATIO = 1.05
FRONT_MAX_DEG = 30.0
#: Side views start here. The heel check (foot pitch: the image heel -> toe line) needs a near
#: profile: off it, a camera above the feet sees the toe of a flat foot turned towards it lower
#: than the heel, ``tan(pitch') = tan(90 - yaw) * sin(camera pitch)`` (+7 deg at 30 deg off
#: profile from a camera 12 deg down, bench_view). On the rendered sweep (45-135 deg, four
#: camera placements) no flat-heeled rep passed from a yaw classed side; flat heels at 60 deg
#: read 15 deg from a shelf camera, and are classed oblique (not judged) there.
SIDE_MIN_DEG = 60.0
SMOOTH_S = 0.5
#: Seconds over which the facing votes are summed: about one rep (2-4 s), so every standing frame
#: sees the bent knees of the rep beside it; a person turning round (about 1 s) is read with
#: at most 1.5 s of delay.
FACING_WINDOW_S = 3.0
#: Knee offset ahead of the hip-ankle line (metres, horizontal) from which a knee votes, and
#: the further offset at which its vote is full: MediaPipe's standing skeleton already puts the
#: knees 5-10 cm ahead of that line in whichever direction it believes the body faces (also
#: when that belief is wrong, from behind), while a knee bent 60 deg or more sits 15-30 cm
#: ahead; only bent knees carry independent evidence.
KNEE_CUE_M = 0.10
KNEE_FULL_M = 0.10
#: Weight of the nose's vote against one fully bent knee: MediaPipe places a nose on the back of
#: the head too, so it only settles frames without a bent knee near them.
NOSE_WEIGHT = 0.25


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


def _xz(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a[0], a[2]


def facing_votes(world: dict[str, np.ndarray], axis: int = -1) -> np.ndarray:
    """Evidence of which way the body faces, ``(2, T)``: the (x, z) sum, in the world floor plane,
    of each knee's unit horizontal offset ahead of its hip-ankle midpoint, weighted 0 up to
    ``KNEE_CUE_M`` and rising to 1 over ``KNEE_FULL_M`` more, and ``NOSE_WEIGHT`` x the unit
    nose-minus-ear-midpoint direction; NaN terms count 0.

    ``world`` maps ``left_/right_hip``, ``_knee``, ``_ankle``, ``_ear`` and ``nose`` to world
    landmark arrays (metres) with components along ``axis``.
    """
    w = {k: np.moveaxis(np.asarray(v, dtype=np.float64), axis, 0) for k, v in world.items()}
    total = np.zeros((2,) + w["nose"].shape[1:])
    for s in ("left", "right"):
        k = np.stack(_xz(w[f"{s}_knee"] - (w[f"{s}_hip"] + w[f"{s}_ankle"]) / 2))
        size = norm(k, axis=0)
        weight = np.clip((size - KNEE_CUE_M) / KNEE_FULL_M, 0.0, 1.0)
        total += np.nan_to_num(k * weight / np.maximum(size, 1e-9))
    n = np.stack(_xz(w["nose"] - (w["left_ear"] + w["right_ear"]) / 2))
    total += NOSE_WEIGHT * np.nan_to_num(n / np.maximum(norm(n, axis=0), 1e-9))
    return total


def _running(x: np.ndarray, size: int, median: bool) -> np.ndarray:
    from scipy.ndimage import median_filter, uniform_filter1d

    if median:
        return median_filter(x, size=(1, size), mode="nearest")
    return uniform_filter1d(x, size=size, axis=-1, mode="nearest")


def estimate_yaw(
    world: dict[str, np.ndarray], fps: float, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """The body's yaw to the camera per frame and its confidence.

    Parameters
    ----------
    world : dict of str to np.ndarray
        MediaPipe world landmarks (metres) of ``left_/right_shoulder``, ``_hip``, ``_knee``,
        ``_ankle``, ``_ear`` and ``nose``, components along ``axis``; frames without a pose NaN.
    fps : float
        Frames per second (for ``SMOOTH_S`` and ``FACING_WINDOW_S``).
    axis : int
        The axis of the (x, y, z) components.

    Returns
    -------
    yaw : np.ndarray
        ``(T,)`` degrees in ``(-180, 180]``: 0 = facing the camera, 90 = facing the image's
        right, +-180 = back to the camera; NaN where the torso is missing.
    confidence : np.ndarray
        ``(T,)`` in ``[0, 1]``: the horizontal fraction of the shoulder-hip line times
        ``(1 + cos(raw - smoothed yaw)) / 2``; 0 where the yaw is NaN.
    """
    w = {k: np.moveaxis(np.asarray(v, dtype=np.float64), axis, 0) for k, v in world.items()}
    lr = (w["left_shoulder"] - w["right_shoulder"]) + (w["left_hip"] - w["right_hip"])
    lx, lz = _xz(lr)
    # facing direction implied by the left-right line: yaw 0 faces -z (towards the camera)
    facing = np.stack([lz, -lx])
    votes = facing_votes(w, axis=0)
    win = max(1, int(round(FACING_WINDOW_S * fps)))
    evidence = _running(votes, win, median=False) if votes.shape[-1] else votes
    flip = np.sum(facing * evidence, axis=0) < 0
    raw = body_yaw(
        w["left_shoulder"], w["right_shoulder"], w["left_hip"], w["right_hip"], axis=0
    ) + np.where(flip, 180.0, 0.0)
    raw = (raw + 180.0) % 360.0 - 180.0
    raw[raw == -180.0] = 180.0
    ok = np.isfinite(raw)
    yaw = np.full(raw.shape, np.nan)
    if ok.any():
        idx = np.arange(raw.shape[0])
        r = np.radians(raw)
        unit = np.stack(
            [np.interp(idx, idx[ok], np.cos(r)[ok]), np.interp(idx, idx[ok], np.sin(r)[ok])]
        )
        size = max(1, int(round(SMOOTH_S * fps)) | 1)
        smooth = _running(unit, size, median=True)
        yaw = np.where(ok, np.degrees(np.arctan2(smooth[1], smooth[0])), np.nan)
    flat = np.hypot(lx, lz) / np.maximum(norm(lr, axis=0), 1e-9)
    agree = (1.0 + np.cos(np.radians(raw - yaw))) / 2
    confidence = np.where(ok & np.isfinite(yaw), flat * agree, 0.0)
    return yaw, confidence


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


class ViewEstimate(NamedTuple):
    """Per-frame view: ``codes`` ``(T,)`` int8 view codes, ``folded`` the smoothed yaw folded to
    ``[0, 90]`` deg they classify, ``yaw`` the full-circle yaw (deg, NaN without world
    landmarks) and its ``confidence`` ``[0, 1]`` (0.5 from the image alone: which side and front
    or back unknown)."""

    codes: np.ndarray
    folded: np.ndarray
    yaw: np.ndarray
    confidence: np.ndarray


def estimate_view(
    pixels: dict[str, np.ndarray], world: dict[str, np.ndarray] | None, fps: float, axis: int = -1
) -> ViewEstimate:
    """The view of every frame: from `estimate_yaw` where ``world`` gives a yaw, else from the
    image widths (`apparent_yaw`, smoothed).

    ``pixels`` maps ``left_/right_shoulder`` and ``_hip`` to image landmarks, ``world`` the
    `YAW_LANDMARKS` to world landmarks, components along ``axis``.
    """
    keys = YAW_LANDMARKS[:4]
    image = smooth_yaw(apparent_yaw(*(pixels[k] for k in keys), axis=axis), fps)
    if world is None:
        yaw = np.full(image.shape, np.nan)
        confidence = np.zeros(image.shape)
    else:
        yaw, confidence = estimate_yaw(world, fps, axis=axis)
    measured = np.isfinite(yaw)
    folded = np.where(measured, fold_yaw(yaw), image)
    confidence = np.where(measured, confidence, np.where(np.isfinite(image), 0.5, 0.0))
    return ViewEstimate(classify_view(folded), folded, yaw, confidence)


def sequence_view(seq: PoseSequence) -> np.ndarray:
    """``(T,)`` int8 view codes of a `PoseSequence` (raw landmarks, no cleaning)."""
    pix = seq.pixels
    return estimate_view(
        {k: pix[:, INDEX[k]] for k in YAW_LANDMARKS[:4]},
        {k: seq.world[:, INDEX[k]] for k in YAW_LANDMARKS},
        seq.fps,
    ).codes
