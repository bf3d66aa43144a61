"""Polygon meshes for the synthetic figure: lofted tubes, limbs, ellipsoids and boxes.

A `Faces` batch holds quads (triangles repeat a vertex) with a colour each and a
point inside the solid, used to turn every face normal outwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Faces:
    """``quads (N, 4, 3)`` world metres, ``colors (N, 3)`` RGB 0-255, ``inside (N, 3)``."""

    quads: np.ndarray
    colors: np.ndarray
    inside: np.ndarray

    @staticmethod
    def concat(parts: list[Faces]) -> Faces:
        return Faces(
            np.concatenate([p.quads for p in parts]),
            np.concatenate([p.colors for p in parts]),
            np.concatenate([p.inside for p in parts]),
        )

    def normals(self) -> np.ndarray:
        """``(N, 3)`` unit outward normals."""
        q = self.quads
        n = np.cross(q[:, 2] - q[:, 0], q[:, 3] - q[:, 1])
        tri = np.linalg.norm(n, axis=1) < 1e-12  # degenerate diagonal: use the other pair of edges
        if tri.any():
            n[tri] = np.cross(q[tri, 1] - q[tri, 0], q[tri, 2] - q[tri, 0])
        out = q.mean(axis=1) - self.inside
        n *= np.where(np.sum(n * out, axis=1) < 0, -1.0, 1.0)[:, None]
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def loft(
    centers: np.ndarray,
    ax_u: np.ndarray,
    ax_w: np.ndarray,
    half_u: np.ndarray,
    half_w: np.ndarray,
    band_colors: np.ndarray,
    n: int = 12,
    caps: tuple[bool, bool] = (True, True),
    phase: float = 0.0,
) -> Faces:
    """Tube through ``S`` elliptical sections.

    Section ``i`` is centred at ``centers[i]`` with semi-axes ``half_u[i]`` along unit
    ``ax_u[i]`` and ``half_w[i]`` along unit ``ax_w[i]``. ``band_colors (S-1, 3)`` colours
    the band between sections ``i`` and ``i + 1``; a cap closing an end takes the colour
    of its band. ``phase`` turns the vertices round the section (pi/4 with n = 4: a rectangle).
    """
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False) + phase
    ring = (
        half_u[:, None, None] * np.cos(theta)[None, :, None] * ax_u[:, None, :]
        + half_w[:, None, None] * np.sin(theta)[None, :, None] * ax_w[:, None, :]
    )
    v = centers[:, None, :] + ring  # (S, n, 3)
    k = np.arange(n)
    k1 = (k + 1) % n
    quads = np.stack(
        [v[:-1][:, k], v[:-1][:, k1], v[1:][:, k1], v[1:][:, k]], axis=2
    )  # (S-1, n, 4, 3)
    s = centers.shape[0]
    inside = np.repeat(((centers[:-1] + centers[1:]) / 2)[:, None], n, axis=1)
    colors = np.repeat(np.asarray(band_colors, dtype=np.float64)[:, None], n, axis=1)
    parts = [Faces(quads.reshape(-1, 4, 3), colors.reshape(-1, 3), inside.reshape(-1, 3))]
    for end, nb, band in ((0, 1, 0), (s - 1, s - 2, s - 2)):
        if not caps[0 if end == 0 else 1] or max(half_u[end], half_w[end]) < 1e-9:
            continue
        c = centers[end]
        tri = np.stack([np.broadcast_to(c, (n, 3)), v[end][k], v[end][k1], v[end][k1]], axis=1)
        inner = np.broadcast_to(c + (centers[nb] - c) * 0.5, (n, 3))
        parts.append(Faces(tri, np.broadcast_to(colors[band, 0], (n, 3)), inner))
    return Faces.concat(parts)


def _perp_frame(axis: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to unit ``axis``, the first as close to ``ref`` as possible."""
    u = ref - np.dot(ref, axis) * axis
    if np.linalg.norm(u) < 1e-6:
        alt = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = alt - np.dot(alt, axis) * axis
    u /= np.linalg.norm(u)
    return u, np.cross(axis, u)


def limb(
    p0: np.ndarray,
    p1: np.ndarray,
    fracs: list[float],
    radii: list[float],
    colors: list,
    ref: np.ndarray,
    n: int = 12,
    flat: float = 1.0,
) -> Faces:
    """Rounded limb from ``p0`` to ``p1``: radius ``radii[i]`` at ``fracs[i]`` of the way,
    hemispherical ends, ``colors[i]`` between ``fracs[i]`` and ``fracs[i+1]``. ``flat`` < 1
    squashes the cross-section across ``ref``."""
    axis = p1 - p0
    length = np.linalg.norm(axis)
    axis = axis / length
    u, w = _perp_frame(axis, ref)
    r0, r1 = radii[0], radii[-1]
    # hemispherical ends: (offset, radius) pairs on a quarter circle
    start_t = [-r0 * s / length for s in (0.99, 0.92, 0.7)]  # offsets before p0
    start_r = [r0 * c for c in (0.15, 0.4, 0.72)]
    end_t = [1 + r1 * s / length for s in (0.7, 0.92, 0.99)]
    end_r = [r1 * c for c in (0.72, 0.4, 0.15)]
    t = np.array(start_t + list(fracs) + end_t)
    r = np.array(start_r + list(radii) + end_r)
    cols = [colors[0]] * 3 + list(colors) + [colors[-1]] * 3
    centers = p0 + t[:, None] * (p1 - p0)
    s = len(t)
    return loft(
        centers,
        np.broadcast_to(u, (s, 3)),
        np.broadcast_to(w, (s, 3)),
        r * flat,
        r,
        np.array(cols, dtype=np.float64),
        n=n,
    )


def ellipsoid(
    center: np.ndarray,
    rot: np.ndarray,
    semi: tuple[float, float, float],
    color,
    n_lat: int = 8,
    n_lon: int = 12,
) -> Faces:
    """Ellipsoid with semi-axes ``semi`` along the columns of ``rot`` (x, y, z); poles on y."""
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat + 1)
    y = np.sin(lat) * semi[1]
    c = np.cos(lat)
    centers = center + y[:, None] * rot[:, 1]
    s = len(lat)
    return loft(
        centers,
        np.broadcast_to(rot[:, 0], (s, 3)),
        np.broadcast_to(rot[:, 2], (s, 3)),
        c * semi[0],
        c * semi[2],
        np.broadcast_to(np.asarray(color, float), (s - 1, 3)),
        n=n_lon,
        caps=(False, False),
    )


def box(
    center: np.ndarray, rot: np.ndarray, half: tuple[float, float, float], color, div: int = 3
) -> Faces:
    """Box with half-sizes ``half`` along the columns of ``rot``; each face split ``div`` x ``div``
    so that painter's sorting against nearby small faces stays right."""
    g = np.linspace(-1, 1, div + 1)
    quads = []
    for axis in range(3):
        a, b = [i for i in range(3) if i != axis]
        for sign in (-1.0, 1.0):
            for i in range(div):
                for j in range(div):
                    corners = []
                    for di, dj in ((0, 0), (1, 0), (1, 1), (0, 1)):
                        p = np.zeros(3)
                        p[axis] = sign
                        p[a], p[b] = g[i + di], g[j + dj]
                        corners.append(center + rot @ (p * np.asarray(half)))
                    quads.append(corners)
    q = np.array(quads)
    colors = np.broadcast_to(np.asarray(color, float), (len(q), 3))
    return Faces(q, colors, np.broadcast_to(center, (len(q), 3)))
