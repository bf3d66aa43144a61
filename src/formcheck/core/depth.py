"""Below-parallel depth verdict: is the hip crease below the top of the knee?

The powerlifting standard. From image landmarks only (so it works without
world landmarks), per repetition:

``level = hip_above_knee - PERSPECTIVE_GAIN * THIGH_OVER_SHANK * cos(view_yaw) * hip_below_axis``

- ``hip_above_knee``: (knee y - hip y) / standing shank length, image pixels
  (`formcheck.core.metrics`).
- Perspective: at depth, seen from the front, the thigh points at the camera
  and the knee is a thigh length nearer than the hip. A camera above the hips
  then sees the knee lower than the hip by about ``(hip_y - cy) / f`` x thigh
  length, i.e. ``THIGH_OVER_SHANK * hip_below_axis`` shank lengths. Seen from
  the side the thigh lies across the view and the term vanishes, hence the
  ``cos(view_yaw)``. ``PERSPECTIVE_GAIN`` absorbs the unknown focal length
  (``hip_below_axis`` assumes a 70 deg field of view).
- MediaPipe's hip landmark is the joint centre, above and behind the crease;
  the knee landmark is the knee's centre, not its top. Both offsets are in
  the single threshold: depth is reached when the rep's minimum level is at
  or below ``DEPTH_THRESHOLD``.

``PERSPECTIVE_GAIN`` and ``DEPTH_THRESHOLD`` were fitted on the 120
human-labelled front-view squats of ``frontsquat_depth_dev.npz``; see
``benchmarks/bench_depth.py`` and ``benchmarks/RESULTS.md`` for the
cross-validated agreement.

The corrected level (`perspective_level`) also gives the thigh's angle to the horizontal,
``thigh_from_horizontal`` (`thigh_from_horizontal` here, a metric of `formcheck.core.metrics`):
the shipped rule set's depth check, in every view, with the limit 0 deg (hips at the knees'
height: parallel), and the thigh's tilt in ``knee_flexion_level``.
"""

from __future__ import annotations

import numpy as np

from .metricset import MetricSet

THIGH_OVER_SHANK = 1.05
PERSPECTIVE_GAIN = 1.1
DEPTH_THRESHOLD = -0.063


def level_hip_above_knee(metrics: MetricSet, gain: float = PERSPECTIVE_GAIN) -> np.ndarray:
    """Hip above knee corrected for a camera above the hips (see the module docstring).

    Parameters
    ----------
    metrics : MetricSet
        With ``hip_above_knee``, ``hip_below_axis`` and ``view_yaw``.
    gain : float
        Share of the perspective error removed (`PERSPECTIVE_GAIN`).

    Returns
    -------
    np.ndarray
        ``(T,)`` standing shank lengths, <= 0 = hip at or below the knee; NaN where
        ``hip_above_knee`` is not valid.
    """
    return perspective_level(
        metrics["hip_above_knee"].masked,
        metrics["hip_below_axis"].values,
        metrics["view_yaw"].values,
        gain,
    )


def perspective_level(
    hip_above_knee: np.ndarray,
    hip_below_axis: np.ndarray,
    view_yaw: np.ndarray,
    gain: float = PERSPECTIVE_GAIN,
) -> np.ndarray:
    """`level_hip_above_knee` from the metric arrays themselves (``compute_metrics`` uses it
    before the `MetricSet` exists).

    Parameters
    ----------
    hip_above_knee : np.ndarray
        ``(T,)`` standing shank lengths, + = hip above the knee in the image.
    hip_below_axis : np.ndarray
        ``(T,)`` tan of the hip centre's angle below the camera axis.
    view_yaw : np.ndarray
        ``(T,)`` deg, folded body yaw (0 front, 90 side); NaN is taken as 0.
    gain : float
        Share of the perspective error removed (`PERSPECTIVE_GAIN`).

    Returns
    -------
    np.ndarray
        ``(T,)`` standing shank lengths, <= 0 = hip at or below the knee.
    """
    cos = np.cos(np.radians(np.where(np.isfinite(view_yaw), view_yaw, 0.0)))
    return hip_above_knee - gain * THIGH_OVER_SHANK * cos * hip_below_axis


def depth_margin(
    metrics: MetricSet,
    start: int = 0,
    stop: int | None = None,
    *,
    gain: float = PERSPECTIVE_GAIN,
    threshold: float = DEPTH_THRESHOLD,
) -> float:
    """How far the deepest frame of a range is from below-parallel depth.

    Parameters
    ----------
    metrics : MetricSet
        As for `level_hip_above_knee`.
    start, stop : int, int or None
        The frames ``start:stop`` to look at.
    gain : float
        As for `level_hip_above_knee`.
    threshold : float
        The level (shank lengths) at which the hip crease is below the top of the knee.

    Returns
    -------
    float
        Lowest `level_hip_above_knee` minus ``threshold``, shank lengths: <= 0 = depth reached;
        NaN when no frame of the range can be judged.
    """
    level = level_hip_above_knee(metrics, gain)[start:stop]
    level = level[np.isfinite(level)]
    return float(level.min() - threshold) if level.size else float("nan")


def reached_depth(
    metrics: MetricSet,
    start: int = 0,
    stop: int | None = None,
    *,
    gain: float = PERSPECTIVE_GAIN,
    threshold: float = DEPTH_THRESHOLD,
) -> bool | None:
    """Whether the hips got below parallel in frames ``start:stop`` (`depth_margin` <= 0).

    Parameters
    ----------
    metrics, start, stop, gain, threshold
        As for `depth_margin`.

    Returns
    -------
    bool or None
        True if depth was reached, False if not, None if no frame can be judged.
    """
    margin = depth_margin(metrics, start, stop, gain=gain, threshold=threshold)
    return None if np.isnan(margin) else bool(margin <= 0.0)


def thigh_from_horizontal(level: np.ndarray, thigh: float) -> np.ndarray:
    """The thigh's angle to the horizontal from the hips' level against the knees.

    ``arcsin(level / thigh)``: + = hip above the knee, 0 = thigh horizontal (parallel), - = hip
    below the knee. From the side the image shows it directly (the perspective term of
    `perspective_level` vanishes); from the front and at 45 deg the corrected level stands for
    the hidden forward reach of the thigh. A thigh seen shorter than standing (turned away, or a
    landmark error) reads steeper, never past +-90 deg.

    Parameters
    ----------
    level : np.ndarray
        ``(T,)`` standing shank lengths, the hip above the knee (`perspective_level`).
    thigh : float
        Standing thigh height (hip to knee in the image), shank lengths; NaN gives NaN.

    Returns
    -------
    np.ndarray
        ``(T,)`` deg, in [-90, 90]; NaN where ``level`` is NaN.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.degrees(np.arcsin(np.clip(np.asarray(level) / thigh, -1.0, 1.0)))
