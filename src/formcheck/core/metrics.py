"""Per-frame squat metrics of a `PoseSequence`: `compute_metrics`.

Every metric is a ``(T,)`` float array (NaN where unknown) with a validity mask
(False where it must not be judged, e.g. a frontal-plane angle seen from the
side). "Left" and "right" are the subject's own, as MediaPipe labels them.

Coordinates
-----------
- World: MediaPipe world landmarks in metres, x right in the image, **y down**,
  z away from the camera, origin the hip centre. The camera is assumed level,
  so world -y is "up" and the (x, z) plane is the floor plane.
- Image: pixels (normalised landmarks x image width / height, so the pixel
  aspect is right), x right, **y down**.

Metrics (name: unit, definition, validity)
------------------------------------------
- ``knee_flexion_left/right``: deg, 0 = straight leg. World hip->knee vs
  knee->ankle 3-D angle (= 180 - the angle at the knee). Valid where known.
- ``knee_flexion_image_left/right``: deg, the same from image pixels. A 2-D
  angle is only true when the leg moves parallel to the image plane: valid in
  side view only.
- ``knee_flexion_front_left/right``: deg, the knee bend seen from the front, by
  foreshortening. A segment tilted by ``a`` from the vertical (towards the
  camera, away from it or sideways) shows ``cos a`` of its standing height in
  the image, and a leg bends in one vertical plane with the thigh leaning back
  from the knee as the shank leans forward, so the flexion is the sum of the
  two tilts: ``arccos(thigh height / standing thigh height) + arccos(shank
  height / standing shank height)`` (heights = image y extents; ratios clipped
  to 1; standing heights: `Standing`). Exact for a level orthographic camera
  whatever the leg's direction (toes out too). From the front MediaPipe's depth
  is poor, and this reads a deep bend far closer to the truth than
  ``knee_flexion_*`` (``bench_accuracy.py``, figures in ``benchmarks/RESULTS.md``).
  It reads high when standing: the heights' jitter near their standing value
  moves arccos steeply, and a thigh tilting towards a camera above the hips
  first looks longer (see ``FRONT_BEND_MIN_DEG``). Valid in front-view
  stretches of ``MIN_FRONT_RUN_S`` or more. (From 45 deg it reads as well at
  depth, but on real footage at that angle it made spurious dips, so it is not
  valid there.) ``knee_bend`` also takes it at depth from the side, where the
  image angle of a leg turned out of the image plane reads short.
- ``knee_flexion_level_left/right``: deg, the knee bend from the hips' height against the
  knees: the thigh's tilt from the vertical is ``arccos(level / standing thigh height)``, where
  ``level`` is ``hip_above_knee`` corrected for a camera above the hips
  (`formcheck.core.depth.perspective_level`, fitted on human-labelled front-view squats) and
  signed, so a thigh below the horizontal reads more than 90 deg; plus the shank's tilt by
  foreshortening as in ``knee_flexion_front``. Unlike ``knee_flexion_front`` it does not
  saturate at a horizontal thigh, and the perspective correction removes most of the error
  a camera above the hips makes at depth. Valid outside side view (from the side the image
  angle is exact). Judges depth from the front and at 45 deg (the shipped rule set).
- ``thigh_from_horizontal``: deg, the thighs' angle to the horizontal from the hips' height
  against the knees, perspective-corrected as for ``knee_flexion_level``
  (`formcheck.core.depth.thigh_from_horizontal`), **<= 0 = at or below parallel**. Valid in
  every view where the hips and knees are known: the shipped depth check.
- ``knee_bend_left/right``: deg, the one knee flexion formcheck counts reps with,
  measures per rep, shows live, in the video and in the report: per frame the
  measurement above closest to the truth from the frame's view (`knee_bend`).
- ``fppa_left/right``: deg, frontal plane projection angle: the 2-D angle in the
  image between hip->knee and knee->ankle, **+ = knee medial (valgus)**,
  - = lateral (varus). The medial side is towards the other hip in the image,
  which holds whether the subject faces the camera or turns their back.
  Valid in front/back view with the knee flexed >= ``FPPA_MIN_FLEXION_DEG``.
  **Yaw sensitivity**: a flexed knee sits well in front of the hip-ankle line
  (~0.2 m at 90 deg), so when the body turns by a few degrees that forward
  offset shows up sideways in the image: at 70 deg of flexion each degree of
  yaw moves one knee's FPPA by ~1.5 deg towards varus and the other's towards
  valgus (`formcheck.testing` body). The mean of the two knees is unchanged to
  first order; ``fppa_world_*`` removes the yaw altogether.
- ``fppa_world_left/right``: deg, the same angle with world landmarks projected
  onto the body's own frontal plane (spanned by the horizontal hip line and the
  vertical), so it does not depend on where the camera stands; it relies on
  MediaPipe's depth estimate. Valid outside side view with the knee flexed.
- ``knee_deviation_left/right``: deg, **+ = knee medial (valgus)**, the knee's deviation from
  the plane of its hip, ankle and foot: the angle, about the hip-ankle line, from the plane
  holding that line and the foot's progression direction (heel -> toe in the floor plane) to the
  knee. 0 = the knee tracks over the foot whatever the feet's turn-out (the FPPA reads such a
  knee over feet turned out 30 deg as varus); a knee caving in reads its rotation towards the
  midline, as `formcheck.synth` poses it (``knee_valgus_deg``). At the 45-60 deg of knee flexion
  clinical FPPA is read at, it is 0.8-1.2 times the FPPA of feet pointing at the camera. Measured
  from the front, in the image alone: the knee's offset from the hip-ankle line, the knee
  flexion and the standing segment lengths, and the foot's turn-out from its image width
  (`_knee_deviation`). Valid in front view where heel and toe are seen and the knee is flexed
  ``DEVIATION_MIN_FLEXION_DEG`` or more.
- ``medial_knee_shift_left/right``: % of the hip-ankle length, + = medial: the
  knee's horizontal image distance from the hip-ankle line (at the knee's
  height). Same validity as the FPPA.
- ``foot_progression_left/right``: deg, **+ = toes out**: heel->foot index vs
  the subject's forward direction in the world floor plane. Forward is
  perpendicular to the hip line, on the side the labels say the subject faces
  ((x, z) of left-minus-right hip turned clockwise by 90 deg seen from above).
  Valid in front view where heel and toe are visible (visibility >= 0.5): from
  oblique and side views MediaPipe's depth along the foot is too poor (several
  times the front view's error on rendered ground truth, ``bench_accuracy.py``).
- ``stance_width``: ratio, ankle distance / hip width, both in the world floor plane.
- ``heel_elevation_left/right``: cm, heel above the foot index along world
  vertical: ``100 * (toe_y - heel_y)`` (y down), **+ = heel higher**. Valid
  where heel and toe are visible.
- ``foot_pitch_left/right``: deg, **+ = heel raised**: image heel->toe line vs
  the horizontal (the floor for a level camera). Valid in side view only, where that foot's
  heel and toe are seen (visibility >= ``FOOT_PITCH_MIN_VISIBILITY``).
- ``trunk_lean``: deg from vertical, 0 = upright: hip centre -> shoulder
  centre. World landmarks (any view: in a front view the lean points at the
  camera and only the world depth sees it); where world landmarks are missing,
  the image angle in side view (exact for a profile).
- ``hip_above_knee``: body-scale units, **<= 0 = hip at or below the knee**:
  ``(knee_y - hip_y)`` in pixels (centres of the two sides, or the one seen)
  over the body scale. Valid where known. See `formcheck.core.depth`.
- ``hip_drop``: body-scale units, **+ = lower**: hip-centre y minus its
  standing (5th percentile) y, in pixels over the body scale.
- ``feet_height``: body-scale units, **+ = higher**: the lower foot's lowest point (heel or toe,
  the largest image y of the four) above the floor (`Standing`), 0 on it: both feet leave the
  floor in a jump, while a planted foot keeps it at 0 in walking, marching or a step.
- ``hip_height``: body-scale units, **+ = higher**: the hip centre above its height standing
  straight-legged on the floor (`Standing`), 0 standing, - squatting, + on tiptoe or in the air.
- ``hip_below_axis``: tan of the angle of the hip centre below the image centre
  as seen from the camera, ``(hip_y - H / 2) / f`` with the focal length ``f``
  from an assumed ``FIELD_OF_VIEW_DEG`` = 70 deg across the image's long side (a
  phone's main camera). A camera above the hips sees a forward-pointing thigh's
  near end (the knee) lower than it is; `formcheck.core.depth` corrects for it.
- ``feet_split``, ``hip_offset``: leg lengths, how far one foot stands ahead of the other and
  the hips to one side of the feet; ``arm_elevation``: deg, the arms' angle from the trunk
  (world landmarks; see `formcheck.core.movement`).
- ``view_yaw``: deg ``[0, 90]``, smoothed folded body yaw behind ``MetricSet.view``.
- ``body_yaw``: deg ``(-180, 180]`` from world landmarks, 0 = facing the camera,
  90 = facing the image's right, +-180 = back to the camera, smoothed
  (`formcheck.core.view.estimate_yaw`); NaN without world landmarks.
- ``view_confidence``: ``[0, 1]``, the confidence of that yaw (0.5 from the image alone).

Body scale: the standing shank (knee-ankle) length in pixels, taken as the 90th
percentile of the per-frame length over the sequence (`Standing`). The shank is vertical
when standing and the hips and knees keep it in view; the thigh foreshortens at
depth in a front view and the torso when leaning, so neither is stable.

With ``clean=True`` the landmarks are gated, leg swaps repaired and short gaps
bridged (`formcheck.core.filtering`), then each metric series is low-pass filtered
(zero phase, 6 Hz). Filtering the ~20 metric series rather than the ~60
coordinate series they come from costs a third and, for jitter small against
segment lengths, gives the same result (the angles are smooth functions of the
coordinates).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from . import filtering as flt
from .depth import perspective_level, thigh_from_horizontal
from .geometry import angle_from_vertical, joint_flexion, norm, signed_angle_2d
from .landmarks import INDEX
from .metricset import VIEW_FRONT, VIEW_SIDE, Metric, MetricSet
from .movement import MOVEMENT_UNITS, movement_values
from .sequence import PoseSequence
from .view import YAW_LANDMARKS, estimate_view

#: Below this knee flexion the knee sits close to the hip-ankle line: its frontal-plane offset
#: (knee offset x sin of the valgus rotation) is then a centimetre or less, the size of landmark
#: jitter, so the FPPA is mostly noise. Clinical FPPA is read at 45-60 deg of flexion.
FPPA_MIN_FLEXION_DEG = 20.0
#: `knee_deviation` is valid from this knee flexion (deg) on: it divides the knee's image offset by
#: its distance from the hip-ankle line, 0.17 m at 45 deg for a 1.75 m adult, so 1 cm of landmark
#: error there is 3.4 deg (and 8 deg at 20 deg of flexion). Clinical FPPA is read at 45-60 deg.
DEVIATION_MIN_FLEXION_DEG = 45.0
#: Foot length (back of the heel to the toe tip) over shank length (knee to ankle joint): 0.152 and
#: 0.246 of body height in Winter's anthropometric tables, 0.148 and 0.246 in `formcheck.synth`.
#: Adults vary by about 8 %, which moves a 30 deg turn-out by 2.5 deg and a parallel foot by
#: less than 0.5 deg.
FOOT_TO_SHANK = 0.6
#: Without world landmarks the flexion gate uses the hip drop; 0.05 shank lengths is what a
#: ~20 deg knee flexion lowers the hips by (`formcheck.testing` body, shank 0.40 m).
FPPA_MIN_HIP_DROP = 0.05
#: Horizontal field of view across the long side of the image assumed for `hip_below_axis`.
FIELD_OF_VIEW_DEG = 70.0
#: `knee_flexion_front` is valid only in front-view stretches at least this long (seconds): a frame
#: or two flagged front while the body turns, or while the tracking slips, is not a front view.
MIN_FRONT_RUN_S = 0.5
#: `knee_flexion_front` stands in for the 3-D angle only where it reads at least this (deg): near
#: a straight leg it is ambiguous (a thigh tilting towards a camera above the hips first looks
#: longer, so a slightly bent knee can read straighter than a straight one) and noisy (arccos of a
#: ratio near 1), while it is where the knee bends far that MediaPipe's depth fails.
FRONT_BEND_MIN_DEG = 30.0
#: `foot_pitch` is valid only where MediaPipe sees the foot's heel and toe with at least this
#: visibility: from the side the far foot hides behind the near one and its heel and toe are
#: guessed (visibility 0.45-0.55 on the rendered side views, 0.37-0.73 for feet hidden by a
#: squat rack's base, where the guess read 17-20 deg of pitch on flat shoes), while a foot in full
#: view reads 0.85-0.98 (rendered and real side views, bench_reps caches). So the heel check
#: judges the foot it sees, and is not judged when it sees neither.
FOOT_PITCH_MIN_VISIBILITY = 0.8
SCALE_PERCENTILE = 90.0
STANDING_PERCENTILE = 5.0

_NAMES = (
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
_SLOT = {name: i for i, name in enumerate(_NAMES)}
_LEGS = ("knee", "ankle", "heel", "foot_index")

UNITS: dict[str, str] = {
    **{
        f"{m}_{s}": u
        for m, u in (
            ("knee_flexion", "deg"),
            ("knee_flexion_image", "deg"),
            ("knee_flexion_front", "deg"),
            ("knee_flexion_level", "deg"),
            ("fppa", "deg"),
            ("fppa_world", "deg"),
            ("knee_deviation", "deg"),
            ("medial_knee_shift", "%"),
            ("foot_progression", "deg"),
            ("heel_elevation", "cm"),
            ("foot_pitch", "deg"),
        )
        for s in ("left", "right")
    },
    "stance_width": "ratio",
    "trunk_lean": "deg",
    "hip_above_knee": "body scale",
    "thigh_from_horizontal": "deg",
    "hip_drop": "body scale",
    "feet_height": "body scale",
    "hip_height": "body scale",
    "view_yaw": "deg",
    "body_yaw": "deg",
    "view_confidence": "1",
    "hip_below_axis": "tan",
    **{f"knee_bend_{s}": "deg" for s in ("left", "right")},
    **MOVEMENT_UNITS,
}


_CHUNK = 1024  # frames per block when gathering landmarks: a block of (T, 33, 3) stays in cache


@dataclass(frozen=True)
class Standing:
    """The subject standing, in image pixels: the reference of the body-scale metrics.

    ``scale_px``: body scale, the standing shank length (mean of the sides);
    ``hip_y_px``: standing hip-centre y; ``thigh_px`` / ``shank_px``: standing
    hip-knee / knee-ankle height (image y extent) of the (left, right) leg;
    ``floor_y_px``: the floor, the y of the lower foot's lowest point (heel or toe);
    ``leg_px``: the hip centre's height above it with straight legs.
    Lengths and heights are the 90th percentile over frames, the hip y the 5th
    percentile (the highest hips but outliers), the floor the 95th (the lowest feet but
    outliers); NaN where never seen. The floor and the straight legs hold in a jump too
    (its flights leave the feet on the floor most of the time, and the legs straight).
    """

    scale_px: float
    hip_y_px: float
    thigh_px: tuple[float, float]
    shank_px: tuple[float, float]
    floor_y_px: float = float("nan")
    leg_px: float = float("nan")


def with_front_bend(flexion: np.ndarray, front: Metric | None) -> np.ndarray:
    """Knee flexion raised to the foreshortening estimate where that reads a clear bend.

    Parameters
    ----------
    flexion : np.ndarray
        ``(T,)`` knee flexion of one leg in degrees (usually the 3-D angle), NaN where unknown.
    front : Metric or None
        ``knee_flexion_front`` of the same leg (degrees), or None.

    Returns
    -------
    np.ndarray
        ``(T,)`` degrees: ``max(front, flexion)`` where ``front`` is valid and reads at least
        `FRONT_BEND_MIN_DEG`, else ``flexion``. From the front MediaPipe's depth reads a deep bend
        far short (benchmarks/RESULTS.md, `bench_accuracy.py`).
    """
    if front is None:
        return np.asarray(flexion, dtype=np.float64)
    use = front.valid & (front.values >= FRONT_BEND_MIN_DEG)
    return np.where(use, np.fmax(front.values, flexion), flexion)


#: Base name of the one knee angle formcheck counts, measures and shows (`knee_bend`).
KNEE_BEND = "knee_bend"
KNEE_BEND_DESCRIPTION = (
    "knee flexion: the image angle from the side, else the 3-D angle; either raised to the "
    "foreshortening one where that reads a clear bend (side or steady front view)"
)


def knee_bend(metrics: Mapping[str, Metric], side: str) -> Metric | None:
    """The knee flexion of one leg that formcheck counts, measures, shows and plots.

    Each frame takes the measurement closest to the truth from its camera view (rendered
    ground truth, `bench_accuracy.py`, see benchmarks/RESULTS.md): the image angle
    ``knee_flexion_image`` where it is valid (side view: exact for a profile, while MediaPipe's
    depth makes the 3-D angle read several degrees off); elsewhere the 3-D angle
    ``knee_flexion``. Either is raised to the foreshortening one ``knee_flexion_front`` where
    that reads a clear bend (`with_front_bend`) in steady front view or in side view. From the
    side the image angle is exact only for a leg bending in a plane parallel to the image: feet
    and knees turned out (or a camera not square to the person) turn that plane by ``a`` and
    shrink every horizontal extent by ``cos a`` so a deep bend reads short (7 deg at 120 deg of
    flexion with the feet turned out 30 deg, perfect landmarks), while the image heights the
    foreshortening angle reads do not change with a turn about the vertical. Frames none of these is
    valid on hold the image angle as a value but are not valid: a 2-D angle seen from the front
    is not the true knee angle, but it still rises and falls with every squat, which is all
    counting needs (landmarks without world coordinates).

    Parameters
    ----------
    metrics : Mapping[str, Metric]
        Per-frame metrics with ``knee_flexion_<side>`` and/or ``knee_flexion_image_<side>``
        (``knee_flexion_front_<side>`` optional), degrees.
    side : str
        ``"left"`` or ``"right"`` (the subject's own).

    Returns
    -------
    Metric or None
        ``knee_bend_<side>`` in degrees (0 = straight leg), valid where one of the measurements
        above is; None when ``metrics`` has neither the 3-D nor the image angle.
    """
    world, image = metrics.get(f"knee_flexion_{side}"), metrics.get(f"knee_flexion_image_{side}")
    if world is None and image is None:
        return None
    n = (world or image).values.shape[0]  # type: ignore[union-attr]
    values = np.full(n, np.nan) if world is None else world.masked
    front = metrics.get(f"knee_flexion_front_{side}")
    if image is not None:
        values = np.where(image.valid, image.values, values)
        if front is not None:  # from the side too: see the docstring
            bent = image.valid & (image.values >= FRONT_BEND_MIN_DEG)
            front = replace(front, valid=front.valid | bent)
    values = with_front_bend(values, front)
    valid = np.isfinite(values)
    if image is not None:
        values = np.where(valid, values, image.values)
    name = f"{KNEE_BEND}_{side}"
    return Metric(name, values, valid, "deg", KNEE_BEND_DESCRIPTION)


def with_knee_bend(metrics: MetricSet) -> MetricSet:
    """``metrics`` with ``knee_bend_left/right`` (`knee_bend`) added where they are missing and
    can be made; ``metrics`` itself when nothing is added."""
    extra = {
        f"{KNEE_BEND}_{side}": m
        for side in ("left", "right")
        if f"{KNEE_BEND}_{side}" not in metrics and (m := knee_bend(metrics, side)) is not None
    }
    if not extra:
        return metrics
    return MetricSet(metrics.timestamps, metrics.view, {**metrics.metrics, **extra})


def shown_knee_bend(metrics: MetricSet) -> np.ndarray:
    """The knee bend to write beside the knees (annotated video, live window).

    Parameters
    ----------
    metrics : MetricSet
        Per-frame metrics with the knee flexions `knee_bend` is made from, and the view per frame.

    Returns
    -------
    numpy.ndarray
        ``(T, 2)`` knee flexion in degrees (left, right): `knee_bend` where it is valid, NaN
        elsewhere and in front-view frames below `FRONT_BEND_MIN_DEG`. There a straight leg reads
        10-25 deg by foreshortening (the image heights' jitter near their standing values moves
        arccos steeply) and MediaPipe's 3-D angle is no better (its depth from the front), so no
        number is the honest one.
    """
    metrics = with_knee_bend(metrics)
    n = metrics.n_frames
    knee = np.column_stack(
        [
            metrics[f"{KNEE_BEND}_{s}"].masked
            if f"{KNEE_BEND}_{s}" in metrics
            else np.full(n, np.nan)
            for s in ("left", "right")
        ]
    )
    front = np.asarray(metrics.view) == VIEW_FRONT
    knee[front[:, None] & ~(knee >= FRONT_BEND_MIN_DEG)] = np.nan
    return knee


def _heights(pix: np.ndarray) -> np.ndarray:
    """``(4, T)`` image heights (y extents, pixels) of the left thigh, right thigh,
    left shank and right shank; ``pix`` is ``(K, 2, T)`` in `_NAMES` order."""
    y = {name: pix[i, 1] for i, name in enumerate(_NAMES)}
    return np.abs(
        np.stack(
            [
                y[f"{s}_{b}"] - y[f"{s}_{a}"]
                for a, b in (("hip", "knee"), ("knee", "ankle"))
                for s in ("left", "right")
            ]
        )
    )


def _standing(pix: np.ndarray, heights: np.ndarray) -> Standing:
    """`Standing` of ``pix`` ``(K, 2, T)`` in `_NAMES` order and its `_heights`."""
    p = {name: pix[i] for i, name in enumerate(_NAMES)}
    shank = _pair_mean(*(norm(p[f"{s}_ankle"] - p[f"{s}_knee"], axis=0) for s in ("left", "right")))
    top = [_percentile(h, SCALE_PERCENTILE) for h in heights]
    hip_y = _pair_mean(p["left_hip"][1], p["right_hip"][1])
    feet_y = _lowest_foot(p)
    return Standing(
        scale_px=_percentile(shank, SCALE_PERCENTILE),
        hip_y_px=_percentile(hip_y, STANDING_PERCENTILE),
        thigh_px=(top[0], top[1]),
        shank_px=(top[2], top[3]),
        floor_y_px=_percentile(feet_y, 100.0 - STANDING_PERCENTILE),
        leg_px=_percentile(feet_y - hip_y, SCALE_PERCENTILE),
    )


def _lowest_foot(p: dict[str, np.ndarray]) -> np.ndarray:
    """``(T,)`` image y (pixels, down) of the lowest of the four heel and toe points; NaN where
    none is known."""
    feet = np.stack([p[f"{s}_{n}"][1] for s in ("left", "right") for n in ("heel", "foot_index")])
    with warnings.catch_warnings():  # a frame with no foot seen: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(feet, axis=0)


def standing(seq: PoseSequence, visibility_threshold: float = flt.VISIBILITY_THRESHOLD) -> Standing:
    """The subject standing, as `compute_metrics` estimates it when not given one.

    Parameters
    ----------
    seq : PoseSequence
        Landmarks of every frame.
    visibility_threshold : float
        MediaPipe visibility (0-1) below which a landmark is not used.

    Returns
    -------
    Standing
        Body scale, standing hip height and segment heights in pixels (live mode fixes it once).
    """
    pix, _, vis = _select(seq)
    np.copyto(pix, np.nan, where=(vis < visibility_threshold)[:, None, :])
    return _standing(pix, _heights(pix))


def _select(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels ``(K, 2, T)``, world ``(K, 3, T)``, visibility ``(K, T)`` of the landmarks used;
    the visibility is 0 where a landmark lies outside the picture (`filtering.in_picture`).

    Time goes last so every coordinate series is contiguous. The gather copies
    blocks of frames through slices of consecutive landmarks (a cache-friendly
    transpose; the loop runs over ~T/1024 blocks, not frames).
    """
    n = len(seq)
    k = len(_NAMES)
    idx = [INDEX[name] for name in _NAMES]
    bounds = [0, *(i for i in range(1, k) if idx[i] != idx[i - 1] + 1), k]
    groups = [
        (a, b, slice(idx[a], idx[a] + b - a)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    w, h = seq.image_size
    size = np.array([w, h], dtype=np.float64)[None, :, None]
    pix, world, vis = np.empty((k, 2, n)), np.empty((k, 3, n)), np.empty((k, n))
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK, n)
        for a, b, sl in groups:
            np.multiply(seq.landmarks[s:e, sl, :2].transpose(1, 2, 0), size, out=pix[a:b, :, s:e])
            world[a:b, :, s:e] = seq.world[s:e, sl].transpose(1, 2, 0)
            inside = flt.in_picture(seq.landmarks[s:e, sl, :2]).T
            vis[a:b, s:e] = np.where(inside, seq.visibility[s:e, sl].T, 0.0)
    return pix, world, vis


def _pair_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of two sides where both are known, else the one that is (NaN where neither)."""
    mean = (a + b) * 0.5
    gap = np.isnan(mean)
    if gap.any():  # a side unknown on some frames: the other side there
        mean[gap] = np.where(np.isnan(a[gap]), b[gap], a[gap])
    return mean


def _percentile(x: np.ndarray, q: float) -> float:
    finite = x[np.isfinite(x)]
    return float(np.percentile(finite, q)) if finite.size else float("nan")


def _clean(
    pix: np.ndarray, world: np.ndarray, vis: np.ndarray, fps: float, threshold: float
) -> None:
    """Gate, repair leg swaps and bridge short gaps, in place, time on the last axis."""
    low = vis < threshold
    if low.any():
        np.copyto(pix, np.nan, where=low[:, None, :])
        np.copyto(world, np.nan, where=low[:, None, :])
    _repair_swaps(pix, world, vis, fps)
    gap = flt.max_gap_frames(fps)
    for arr in (pix, world):
        flat = arr.reshape(-1, arr.shape[-1])
        rows = np.flatnonzero(
            np.isnan(np.add.reduce(flat, axis=1))
        )  # rows with a NaN, without a bool copy
        if rows.size and flat.shape[1] > 2:
            flat[rows] = flt.interpolate_rows(flat[rows], gap)


def _repair_swaps(pix: np.ndarray, world: np.ndarray, vis: np.ndarray, fps: float) -> None:
    """Leg swaps (`formcheck.core.filtering.swaps_from_sum_and_difference` on knees and ankles),
    swapped back in place."""
    knees, ankles = (
        [_SLOT["left_knee"], _SLOT["right_knee"]],
        [_SLOT["left_ankle"], _SLOT["right_ankle"]],
    )
    shank = norm(pix[knees] - pix[ankles], axis=1).ravel()
    scale = _percentile(
        shank[:: max(1, shank.size // 20000)], 50.0
    )  # a subsample is plenty for a median
    if not (np.isfinite(scale) and scale > 0):
        return
    # Sum and difference of the left and right knee + ankle, image / shank pixels and world / 0.4 m,
    # float32.
    use_world = bool(np.isfinite(world[knees[0], 0]).any())
    rows = 4 + (6 if use_world else 0)  # 2 landmarks x (x, y) [+ 2 x (x, y, z)]
    total, diff = (
        np.empty((rows, pix.shape[-1]), np.float32),
        np.empty((rows, pix.shape[-1]), np.float32),
    )
    r = 0
    for arr, unit in ((pix, scale), (world, flt.SHANK_M)) if use_world else ((pix, scale),):
        for lj, rj in zip(knees[:1] + ankles[:1], knees[1:] + ankles[1:], strict=True):
            c = arr.shape[1]
            np.add(arr[lj], arr[rj], out=total[r : r + c], casting="same_kind")
            np.subtract(arr[lj], arr[rj], out=diff[r : r + c], casting="same_kind")
            total[r : r + c] /= unit
            diff[r : r + c] /= unit
            r += c
    swapped = flt.swaps_from_sum_and_difference(total, diff, fps)
    if swapped.any():
        for part in _LEGS:
            a, b = _SLOT[f"left_{part}"], _SLOT[f"right_{part}"]
            for arr in (pix, world, vis):
                tmp = arr[a][..., swapped].copy()
                arr[a][..., swapped] = arr[b][..., swapped]
                arr[b][..., swapped] = tmp


def _leg_metrics(
    side: str,
    other: str,
    p: dict[str, np.ndarray],
    w: dict[str, np.ndarray],
    lateral: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """Per-leg metric values (time last) for one side; ``lateral`` = world (x, z) unit vector
    of the hip line, towards the subject's left."""
    hip, knee, ankle, heel, toe = (
        p[f"{side}_{n}"] for n in ("hip", "knee", "ankle", "heel", "foot_index")
    )
    wh, wk, wa = (w[f"{side}_{n}"] for n in ("hip", "knee", "ankle"))
    thigh, shank = knee - hip, ankle - knee
    out = {
        f"knee_flexion_{side}": joint_flexion(wh, wk, wa, axis=0),
        f"knee_flexion_image_{side}": joint_flexion(hip, knee, ankle, axis=0),
    }
    # Medial = towards the other hip in the image: +1 when that is +x.
    medial = np.sign(p[f"{other}_hip"][0] - hip[0])
    medial[medial == 0] = np.nan
    out[f"fppa_{side}"] = medial * signed_angle_2d(thigh, shank, axis=0)
    # The same in the body's frontal plane: (lateral towards the subject's left, down) coordinates;
    # the medial side is -lateral for the left leg.
    lx, lz = lateral
    t_lat, s_lat = (
        (wk[0] - wh[0]) * lx + (wk[2] - wh[2]) * lz,
        (wa[0] - wk[0]) * lx + (wa[2] - wk[2]) * lz,
    )
    t_y, s_y = wk[1] - wh[1], wa[1] - wk[1]
    sign = -1.0 if side == "left" else 1.0
    cross, dot_ = t_lat * s_y - t_y * s_lat, t_lat * s_lat + t_y * s_y
    out[f"fppa_world_{side}"] = np.degrees(np.arctan2(sign * cross, dot_))
    leg = ankle - hip
    dy = leg[1]
    length = norm(leg, axis=0)
    steep = (
        np.abs(dy) >= 0.2 * length
    )  # the horizontal shift is defined for a leg that is not lying down
    x_line = hip[0] + leg[0] * thigh[1] / np.where(steep, dy, np.nan)
    out[f"medial_knee_shift_{side}"] = 100.0 * medial * (knee[0] - x_line) / length
    # Foot progression in the world floor plane (x, z): forward = (lz, -lx).
    foot = w[f"{side}_foot_index"] - w[f"{side}_heel"]
    ux, uz = foot[0], foot[2]
    outward = -sign * (ux * lx + uz * lz)
    out[f"foot_progression_{side}"] = np.degrees(np.arctan2(outward, ux * lz - uz * lx))
    out[f"heel_elevation_{side}"] = 100.0 * foot[1]  # toe y - heel y (y down)
    d = toe - heel
    out[f"foot_pitch_{side}"] = np.degrees(np.arctan2(d[1], np.abs(d[0])))
    return out


def _knee_deviation(
    side: str,
    other: str,
    p: dict[str, np.ndarray],
    flexion: np.ndarray,
    lengths: tuple[float, float],
    feet_seen: np.ndarray,
    centre_x: float,
    focal: float,
) -> np.ndarray:
    """``(T,)`` knee deviation of one leg from the plane of hip, ankle and foot (degrees,
    + = medial; ``knee_deviation`` in the module docstring), as a front camera sees it.

    Seen from the front the knee's image offset from the hip-ankle line, outward, is
    ``r sin(phi - deviation)``: ``r`` is the knee's distance from that line, ``l1 l2
    sin(flexion) / |hip - ankle|`` with the standing thigh and shank ``lengths`` (pixels), and
    ``phi`` the foot's turn-out from the line of sight, whose sine is the image's outward heel ->
    toe offset over the foot's length (`FOOT_TO_SHANK` shank lengths). So ``deviation = phi -
    arcsin(offset / r)``. The feet stay planted through a squat set: ``phi`` is the median over
    the frames ``feet_seen`` (MediaPipe's world depth along the foot misread one of two feet
    turned out 30 deg as 16-20 deg on rendered squats; the image read both within 3 deg).
    The knee stands ``r cos(phi - deviation)`` nearer the camera than the hip-ankle line, so the
    image magnifies its distance from the image centre ``centre_x`` by ``focal / (focal - that)``
    (pixels: at the subject's distance a pixel is ``1 / focal`` of it): undone with the first
    estimate of the deviation. On rendered squats with toes out 30 deg that magnification alone
    read 4-7 deg of varus.
    """
    hip, knee, ankle = (p[f"{side}_{n}"] for n in ("hip", "knee", "ankle"))
    outward = np.sign(hip[0] - p[f"{other}_hip"][0])
    leg = ankle - hip
    with np.errstate(invalid="ignore", divide="ignore"):
        at = (knee[1] - hip[1]) / leg[1]
        offset = (knee[0] - hip[0] - at * leg[0]) * outward
        theta = np.radians(flexion)
        l1, l2 = lengths
        reach = np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(theta))
        r = l1 * l2 * np.sin(theta) / reach
        toe_out = (p[f"{side}_foot_index"][0] - p[f"{side}_heel"][0]) * outward
        sin_phi = np.clip(toe_out / (FOOT_TO_SHANK * l2), -1.0, 1.0)[feet_seen]
    phi = np.degrees(np.arcsin(np.nanmedian(sin_phi))) if np.isfinite(sin_phi).any() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):  # r = 0 at a straight leg: NaN
        first = phi - np.degrees(np.arcsin(np.clip(offset / r, -1.0, 1.0)))
        nearer = r * np.cos(np.radians(phi - first))
        offset = offset - (knee[0] - centre_x) * outward * nearer / focal
        return phi - np.degrees(np.arcsin(np.clip(offset / r, -1.0, 1.0)))


#: Metrics judged only from the side or only from the front: not low-passed when no frame has that
#: view.
_SIDE_ONLY = {f"{m}_{s}" for m in ("knee_flexion_image", "foot_pitch") for s in ("left", "right")}
_FRONT_ONLY = {
    f"{m}_{s}" for m in ("fppa", "knee_deviation", "medial_knee_shift") for s in ("left", "right")
}


def compute_metrics(
    seq: PoseSequence,
    *,
    clean: bool = True,
    cutoff_hz: float | None = flt.CUTOFF_HZ,
    visibility_threshold: float = flt.VISIBILITY_THRESHOLD,
    standing_ref: Standing | None = None,
) -> MetricSet:
    """Every per-frame squat metric of a pose sequence (see the module docstring).

    Parameters
    ----------
    seq : PoseSequence
        Landmarks of every frame (NaN rows where nobody was found).
    clean : bool
        Gate landmarks seen with less than ``visibility_threshold`` or outside the picture,
        repair leg swaps, bridge gaps up to 0.2 s and low-pass the metric series.
    cutoff_hz : float or None
        Low-pass cut-off in Hz (zero phase); None: no low-pass.
    visibility_threshold : float
        MediaPipe visibility (0-1) below which a landmark is not used.
    standing_ref : Standing or None
        The standing lengths and hip height (pixels) the body-scale metrics refer to; None to
        estimate them from the whole (cleaned) sequence. A live caller passes a fixed one.

    Returns
    -------
    MetricSet
        Every metric of `UNITS` (including the one knee angle ``knee_bend_left/right``, see
        `knee_bend`) with its unit and validity mask, and the camera view of every frame.
    """
    if not isinstance(seq, PoseSequence):
        raise TypeError(f"expected a PoseSequence, got {type(seq).__name__}")
    n = len(seq)
    w_px, h_px = seq.image_size
    pix, world, vis = _select(seq)
    if clean and n:
        _clean(pix, world, vis, seq.fps, visibility_threshold)
    p = {name: pix[i] for i, name in enumerate(_NAMES)}
    w = {name: world[i] for i, name in enumerate(_NAMES)}
    v = {name: vis[i] for i, name in enumerate(_NAMES)}

    values: dict[str, np.ndarray] = {}
    hips = w["left_hip"] - w["right_hip"]
    hip_width = np.hypot(hips[0], hips[2])
    lateral = (hips[0] / hip_width, hips[2] / hip_width)
    heights = _heights(pix)
    ref = _standing(pix, heights) if standing_ref is None else standing_ref
    # Knee flexion by foreshortening (low-passed below with the other metrics).
    standing_heights = np.array([*ref.thigh_px, *ref.shank_px])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        tilt = np.degrees(np.arccos(np.minimum(heights / standing_heights, 1.0)))
    values["knee_flexion_front_left"] = tilt[0] + tilt[2]
    values["knee_flexion_front_right"] = tilt[1] + tilt[3]
    for side, other in (("left", "right"), ("right", "left")):
        values.update(_leg_metrics(side, other, p, w, lateral))
    ankles = w["left_ankle"] - w["right_ankle"]
    values["stance_width"] = np.hypot(ankles[0], ankles[2]) / hip_width
    wrists = {k: seq.world[:, INDEX[k]].T for k in ("left_wrist", "right_wrist")}
    values.update(movement_values({**w, **wrists}))  # is a rep a squat (core.movement)
    shoulder_c = (w["left_shoulder"] + w["right_shoulder"]) / 2
    hip_c = (w["left_hip"] + w["right_hip"]) / 2
    lean_world = angle_from_vertical(shoulder_c - hip_c, axis=0)
    lean_image = angle_from_vertical(
        np.stack(
            [
                _pair_mean(p["left_shoulder"][i], p["right_shoulder"][i])
                - _pair_mean(p["left_hip"][i], p["right_hip"][i])
                for i in (0, 1)
            ]
        ),
        axis=0,
    )
    world_lean_ok = np.isfinite(lean_world)
    values["trunk_lean"] = np.where(world_lean_ok, lean_world, lean_image)
    hip_y = _pair_mean(p["left_hip"][1], p["right_hip"][1])
    knee_y = _pair_mean(p["left_knee"][1], p["right_knee"][1])
    scale, top = ref.scale_px, ref.hip_y_px
    values["hip_above_knee"] = (knee_y - hip_y) / scale
    values["hip_drop"] = (hip_y - top) / scale
    floor = ref.floor_y_px
    values["feet_height"] = (floor - _lowest_foot(p)) / scale
    values["hip_height"] = (floor - ref.leg_px - hip_y) / scale
    focal = 0.5 * max(w_px, h_px) / np.tan(np.radians(FIELD_OF_VIEW_DEG / 2))
    values["hip_below_axis"] = (hip_y - h_px / 2) / focal

    keys = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    has_world = bool(n) and bool(np.isfinite(world[_SLOT["left_hip"], 0]).any())
    # the head landmarks are not cleaned (`_NAMES`): raw world coordinates, (3, T)
    head = {k: seq.world[:, INDEX[k]].T for k in YAW_LANDMARKS if k not in w}
    seen_from = estimate_view(
        {k: p[k] for k in keys}, {**w, **head} if has_world else None, seq.fps, axis=0
    )
    view = seen_from.codes
    # The knee bend from the hips' level (see the module docstring): thigh tilt, signed, + shank's.
    level = perspective_level(values["hip_above_knee"], values["hip_below_axis"], seen_from.folded)
    thigh_scale = np.array(ref.thigh_px)[:, None] / ref.scale_px  # standing thighs, shank lengths
    with np.errstate(invalid="ignore", divide="ignore"):
        thigh_tilt = np.degrees(np.arccos(np.clip(level / thigh_scale, -1.0, 1.0)))
    values["knee_flexion_level_left"] = thigh_tilt[0] + tilt[2]
    values["knee_flexion_level_right"] = thigh_tilt[1] + tilt[3]
    thigh = float(_pair_mean(thigh_scale[0], thigh_scale[1])[0])  # both thighs, or the one seen
    values["thigh_from_horizontal"] = thigh_from_horizontal(level, thigh)
    for i, (side, other) in enumerate((("left", "right"), ("right", "left"))):
        feet_seen = (
            (view == VIEW_FRONT)
            & (v[f"{side}_heel"] >= visibility_threshold)
            & (v[f"{side}_foot_index"] >= visibility_threshold)
        )
        values[f"knee_deviation_{side}"] = _knee_deviation(
            side,
            other,
            p,
            np.fmax(values[f"knee_flexion_front_{side}"], values[f"knee_flexion_{side}"]),
            (ref.thigh_px[i], ref.shank_px[i]),
            feet_seen,
            w_px / 2,
            focal,
        )
    if clean and cutoff_hz is not None and n:
        skip = (set() if (view == VIEW_SIDE).any() else _SIDE_ONLY) | (
            set() if (view == VIEW_FRONT).any() else _FRONT_ONLY
        )
        names = [k for k in values if k not in skip]
        smooth = flt.lowpass_rows(np.stack([values[k] for k in names]), seq.fps, cutoff_hz)
        values.update(zip(names, smooth, strict=True))

    side_view = view == VIEW_SIDE
    front = view == VIEW_FRONT
    steady_front = flt.drop_short_runs(front, int(round(MIN_FRONT_RUN_S * seq.fps)))
    values["view_yaw"] = seen_from.folded
    values["body_yaw"] = seen_from.yaw
    values["view_confidence"] = seen_from.confidence
    seen = {
        s: (v[f"{s}_heel"] >= visibility_threshold) & (v[f"{s}_foot_index"] >= visibility_threshold)
        for s in ("left", "right")
    }
    clear = {
        s: np.minimum(v[f"{s}_heel"], v[f"{s}_foot_index"]) >= FOOT_PITCH_MIN_VISIBILITY
        for s in ("left", "right")
    }
    valid: dict[str, np.ndarray] = {}
    for s in ("left", "right"):
        flex = values[f"knee_flexion_{s}"]
        drop = values["hip_drop"]
        flexed = np.where(
            np.isfinite(flex), flex >= FPPA_MIN_FLEXION_DEG, drop >= FPPA_MIN_HIP_DROP
        )
        valid[f"knee_flexion_image_{s}"] = side_view
        valid[f"knee_flexion_front_{s}"] = steady_front
        valid[f"knee_flexion_level_{s}"] = ~side_view & np.isfinite(
            values[f"knee_flexion_level_{s}"]
        )
        valid[f"fppa_{s}"] = valid[f"medial_knee_shift_{s}"] = front & flexed
        bent = np.fmax(values[f"knee_flexion_front_{s}"], flex) >= DEVIATION_MIN_FLEXION_DEG
        valid[f"knee_deviation_{s}"] = front & bent & seen[s]
        valid[f"fppa_world_{s}"] = ~side_view & flexed
        valid[f"foot_progression_{s}"] = seen[s] & front
        valid[f"heel_elevation_{s}"] = seen[s]
        valid[f"foot_pitch_{s}"] = side_view & clear[s]
    valid["trunk_lean"] = world_lean_ok | side_view
    valid["thigh_from_horizontal"] = np.isfinite(values["thigh_from_horizontal"])  # every view
    valid["body_yaw"] = np.isfinite(seen_from.yaw)
    valid["view_confidence"] = seen_from.confidence > 0
    valid["hip_offset"] = front  # the hip line is measured across the image, not in depth
    metrics = {
        name: Metric(name, values[name], valid.get(name, np.ones(n, dtype=bool)), UNITS[name])
        for name in UNITS
        if name in values
    }
    return with_knee_bend(MetricSet(timestamps=seq.timestamps, view=view, metrics=metrics))
