"""Vectorised angle and projection helpers (degrees), on whole arrays of vectors.

Every function takes vectors with their components along ``axis`` (default the
last axis; formcheck's metrics pass ``axis=0`` with time on the last axis so
each component is a contiguous array) and broadcasts over all other axes.
NaN components give NaN results, never errors.

Angles use ``arctan2(|cross|, dot)``, which is accurate at 0° and 180° where
``arccos`` of a normalised dot product loses precision.

Image coordinates have **y down**: a positive 2-D cross product ``u x v`` then
means ``v`` is turned *clockwise* from ``u`` as seen on screen.
"""

from __future__ import annotations

import numpy as np


def _components(v: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    v = np.asarray(v, dtype=np.float64)
    n = v.shape[axis]
    if n not in (2, 3):
        raise ValueError(f"expected 2 or 3 vector components along axis {axis}, got {n}")
    moved = np.moveaxis(v, axis, 0)  # a view: components are views too, no copies
    return tuple(moved[i] for i in range(n))


def cross2(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Scalar 2-D cross product ``u_x v_y - u_y v_x`` (z of the 3-D cross product).

    Parameters
    ----------
    u, v : np.ndarray
        2-D vectors along ``axis``, broadcastable, in one unit.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        The cross products (the unit squared), the shape of ``u`` and ``v`` broadcast without
        ``axis``; positive where ``v`` is clockwise of ``u`` on screen (y down).

    Raises
    ------
    ValueError
        If ``axis`` does not hold 2 components.
    """
    ux, uy = _components(u, axis)
    vx, vy = _components(v, axis)
    return ux * vy - uy * vx


def dot(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Dot product of 2-D or 3-D vectors.

    Parameters
    ----------
    u, v : np.ndarray
        2-D or 3-D vectors along ``axis``, broadcastable, in one unit.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        The dot products (the unit squared), the broadcast shape without ``axis``.
    """
    return sum(a * b for a, b in zip(_components(u, axis), _components(v, axis), strict=True))


def norm(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Euclidean length of 2-D or 3-D vectors.

    Parameters
    ----------
    v : np.ndarray
        2-D or 3-D vectors along ``axis``, any unit.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        The lengths in the unit of ``v``, its shape without ``axis``.
    """
    return np.sqrt(sum(c * c for c in _components(v, axis)))


def angle_between(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unsigned angle between two vectors, ``arctan2(|u x v|, u . v)``.

    Parameters
    ----------
    u, v : np.ndarray
        2-D or 3-D vectors (any unit) along ``axis``, broadcastable.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        Degrees in ``[0, 180]``; 0 for zero-length vectors, NaN where a component is.
    """
    uc, vc = _components(u, axis), _components(v, axis)
    if len(uc) != len(vc):
        raise ValueError(f"expected vectors of the same dimension, got {len(uc)} and {len(vc)}")
    d = sum(a * b for a, b in zip(uc, vc, strict=True))
    if len(uc) == 2:
        c = np.abs(uc[0] * vc[1] - uc[1] * vc[0])
    else:
        cx = uc[1] * vc[2] - uc[2] * vc[1]
        cy = uc[2] * vc[0] - uc[0] * vc[2]
        cz = uc[0] * vc[1] - uc[1] * vc[0]
        c = np.sqrt(cx * cx + cy * cy + cz * cz)
    return np.degrees(np.arctan2(c, d))


def signed_angle_2d(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Signed angle from ``u`` to ``v``, ``arctan2(u x v, u . v)``.

    Parameters
    ----------
    u, v : np.ndarray
        2-D vectors along ``axis``, broadcastable.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        Degrees in ``(-180, 180]``; in image coordinates (y down) positive means ``v`` is
        turned clockwise from ``u`` on screen.
    """
    return np.degrees(np.arctan2(cross2(u, v, axis), dot(u, v, axis)))


def joint_flexion(
    proximal: np.ndarray, joint: np.ndarray, distal: np.ndarray, axis: int = -1
) -> np.ndarray:
    """Flexion at a joint: the angle between proximal->joint and joint->distal.

    Parameters
    ----------
    proximal, joint, distal : np.ndarray
        Positions (2-D or 3-D, any unit) along ``axis``, e.g. hip, knee and ankle.
    axis : int
        The axis holding the coordinates.

    Returns
    -------
    np.ndarray
        Degrees, ``180 - angle(proximal, joint, distal)``: 0 = segments in line, 90 = a right
        angle.
    """
    p, j, d = (np.asarray(a, dtype=np.float64) for a in (proximal, joint, distal))
    return angle_between(j - p, d - j, axis)


def angle_from_vertical(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Angle of a vector from straight up, for y-down coordinates (image or MediaPipe world).

    Parameters
    ----------
    v : np.ndarray
        2-D ``(x, y)`` or 3-D ``(x, y, z)`` vectors along ``axis``.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        Degrees in ``[0, 180]``: 0 = pointing up (``-y``), 90 = horizontal.
    """
    c = _components(v, axis)
    horizontal = np.abs(c[0]) if len(c) == 2 else np.sqrt(c[0] * c[0] + c[2] * c[2])
    return np.degrees(np.arctan2(horizontal, -c[1]))


def horizontal(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """The floor-plane ``(x, z)`` components of MediaPipe world vectors (y is vertical).

    Parameters
    ----------
    v : np.ndarray
        3-D world vectors ``(x, y, z)`` along ``axis``, metres.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        A new float64 array of 2-D vectors ``(x, z)`` along ``axis``, metres.
    """
    v = np.asarray(v, dtype=np.float64)
    return np.take(v, [0, 2], axis=axis)


def project_onto_plane(v: np.ndarray, normal: np.ndarray, axis: int = -1) -> np.ndarray:
    """``v`` minus its component along ``normal``: its projection onto the plane through the
    origin perpendicular to ``normal``.

    Parameters
    ----------
    v : np.ndarray
        2-D or 3-D vectors along ``axis``, any unit.
    normal : np.ndarray
        The plane's normals along ``axis`` (need not be unit length), broadcastable with ``v``.
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        The projected vectors, in the unit of ``v``; NaN where ``normal`` has zero length.
    """
    v = np.asarray(v, dtype=np.float64)
    n = np.asarray(normal, dtype=np.float64)
    k = dot(v, n, axis) / dot(n, n, axis)
    return v - np.expand_dims(k, axis) * n


def signed_distance_2d(
    point: np.ndarray, start: np.ndarray, end: np.ndarray, axis: int = -1
) -> np.ndarray:
    """Signed perpendicular distance of ``point`` from the line ``start -> end``:
    ``(end - start) x (point - start) / |end - start|``.

    Parameters
    ----------
    point, start, end : np.ndarray
        2-D points along ``axis``, broadcastable, in one unit (e.g. image pixels).
    axis : int
        The axis holding the components.

    Returns
    -------
    np.ndarray
        Distances in the unit of the input, the broadcast shape without ``axis``; positive on
        the clockwise side of the line on screen (y-down image coordinates), NaN where
        ``start`` and ``end`` coincide.
    """
    s = np.asarray(start, dtype=np.float64)
    line = np.asarray(end, dtype=np.float64) - s
    rel = np.asarray(point, dtype=np.float64) - s
    return cross2(line, rel, axis) / norm(line, axis)
