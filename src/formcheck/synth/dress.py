"""Dress a posed `Skeleton` in polygons: torso, limbs, shoes, heel blocks and a head with a face.

Sizes are metres for a 1.75 m figure and scale with `Body.height_m`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .figure import SIDES, Body, Skeleton
from .look import Look
from .mesh import Faces, box, ellipsoid, limb, loft

# Torso sections in the trunk frame (origin: mid-hip joints; x left, y up the spine, z forward):
# (y, half-width, half-depth, z-offset)
_TORSO = np.array(
    [
        (-0.105, 0.100, 0.075, -0.020),
        (-0.070, 0.160, 0.110, -0.025),
        (0.000, 0.178, 0.118, -0.020),
        (0.080, 0.168, 0.110, -0.008),
        (0.180, 0.150, 0.098, 0.000),
        (0.290, 0.160, 0.108, 0.008),
        (0.370, 0.172, 0.112, 0.008),
        (0.440, 0.185, 0.098, -0.002),
        (0.485, 0.130, 0.072, -0.012),
        (0.505, 0.065, 0.050, -0.012),
    ]
)
_SHORTS_TOP = 0.08  # bands below this height are shorts

# Head sections in the head frame (origin: head centre; x left, y up, z forward):
_HEAD = np.array(
    [
        (-0.118, 0.000, 0.000, 0.035),
        (-0.111, 0.026, 0.028, 0.032),
        (-0.097, 0.048, 0.062, 0.020),
        (-0.072, 0.063, 0.084, 0.007),
        (-0.036, 0.072, 0.094, 0.001),
        (0.004, 0.077, 0.098, -0.002),
        (0.044, 0.078, 0.097, -0.006),
        (0.079, 0.068, 0.087, -0.010),
        (0.102, 0.048, 0.064, -0.014),
        (0.116, 0.022, 0.030, -0.016),
        (0.121, 0.000, 0.000, -0.016),
    ]
)

# Shoe upper sections along the foot (z from the back of the heel): (z, half-width, height above the
# sole); the collar stays below the ankle bone.
_SHOE = np.array(
    [
        (-0.003, 0.024, 0.040),
        (0.010, 0.037, 0.056),
        (0.050, 0.042, 0.056),
        (0.110, 0.048, 0.050),
        (0.180, 0.050, 0.038),
        (0.226, 0.043, 0.030),
        (0.250, 0.024, 0.018),
    ]
)
# Sole outline: (z, half-width)
_SOLE = np.array(
    [
        (-0.008, 0.026),
        (0.005, 0.040),
        (0.110, 0.049),
        (0.190, 0.054),
        (0.240, 0.045),
        (0.256, 0.026),
    ]
)


@dataclass(frozen=True)
class Decal:
    """A flat coloured polygon lying on the head: ``points (K, 3)`` world, ``normal (3,)``."""

    points: np.ndarray
    color: tuple[int, int, int]
    normal: np.ndarray


@dataclass(frozen=True)
class HeadParts:
    """The head is drawn as one unit: ``shell`` (skull, hair, ears), then ``decals``, then ``nose``."""

    shell: Faces
    decals: list[Decal]
    nose: Faces
    center: np.ndarray
    forward: np.ndarray


def _shade(color: tuple[int, int, int], factor: float) -> np.ndarray:
    return np.clip(np.asarray(color, float) * factor, 0, 255)


def _sections(
    frame_rot: np.ndarray,
    origin: np.ndarray,
    table: np.ndarray,
    scale: float,
) -> tuple[np.ndarray, ...]:
    """Elliptical sections (y, half-x, half-z, z-offset) of ``table`` placed in a rotated frame."""
    y, hx, hz, zo = (table[:, i] * scale for i in range(4))
    centers = origin + (y[:, None] * frame_rot[:, 1] + zo[:, None] * frame_rot[:, 2])
    s = len(y)
    ax_x, ax_z = np.broadcast_to(frame_rot[:, 0], (s, 3)), np.broadcast_to(frame_rot[:, 2], (s, 3))
    return centers, ax_x, ax_z, hx, hz


def body_faces(
    skel: Skeleton, i: int, body: Body, look: Look, heel_block_m: float
) -> tuple[Faces, HeadParts]:
    """All polygons of frame ``i`` except the head, plus the head as one unit."""
    k = body.height_m / 1.75
    j = skel.joints[i]
    from ..core.landmarks import INDEX

    def p(name: str) -> np.ndarray:
        return j[INDEX[name]]

    rot = skel.trunk_rot[i]
    parts: list[Faces] = []
    sec = _sections(rot, skel.pelvis[i], _TORSO, k)
    band = np.array(
        [
            look.shorts if y < _SHORTS_TOP * k else look.shirt
            for y in (_TORSO[:-1, 0] + _TORSO[1:, 0]) / 2 * k
        ],
        float,
    )
    parts.append(loft(*sec, band, n=16))
    lateral = rot[:, 0]
    for side, name in zip(SIDES, ("left", "right"), strict=True):
        hip, knee, ankle = p(f"{name}_hip"), p(f"{name}_knee"), p(f"{name}_ankle")
        thigh_r = [r * k for r in (0.086, 0.082, 0.076, 0.067, 0.056, 0.050)]
        thigh_c = [look.shorts, look.shorts, look.shorts, look.skin, look.skin]
        parts.append(limb(hip, knee, [0, 0.25, 0.47, 0.5, 0.8, 1], thigh_r, thigh_c, lateral))
        parts.append(
            limb(
                knee,
                ankle,
                [0, 0.2, 0.45, 0.75, 0.82, 1],
                [r * k for r in (0.050, 0.055, 0.050, 0.036, 0.035, 0.032)],
                [look.skin, look.skin, look.skin, look.socks, look.socks],
                lateral,
            )
        )
        sh, el, wr = p(f"{name}_shoulder"), p(f"{name}_elbow"), p(f"{name}_wrist")
        parts.append(
            ellipsoid(
                sh + rot @ np.array([-side * 0.004, 0.004, 0]) * k,
                rot,
                (0.050 * k, 0.048 * k, 0.056 * k),
                look.shirt,
                6,
                10,
            )
        )
        parts.append(
            limb(
                sh,
                el,
                [0, 0.36, 0.4, 1],
                [r * k for r in (0.050, 0.047, 0.042, 0.036)],
                [look.shirt, look.shirt, look.skin],
                lateral,
                n=10,
            )
        )
        parts.append(
            limb(
                el,
                wr,
                [0, 0.3, 1],
                [r * k for r in (0.036, 0.038, 0.026)],
                [look.skin, look.skin],
                lateral,
                n=10,
            )
        )
        fingers = (p(f"{name}_index") + p(f"{name}_pinky")) / 2
        hand_end = wr + 0.95 * (fingers - wr)
        palm = np.cross(fingers - wr, p(f"{name}_thumb") - p(f"{name}_pinky"))
        parts.append(
            limb(
                wr,
                hand_end,
                [0, 0.45, 1],
                [r * k for r in (0.027, 0.036, 0.026)],
                [look.skin, look.skin],
                palm,
                n=8,
                flat=0.5,
            )
        )
        parts.append(_shoe(skel, 0 if side > 0 else 1, look, k, body.shoe_sole))
        if heel_block_m > 0:
            parts.append(_block(skel, 0 if side > 0 else 1, look, heel_block_m, k))
    neck_top = skel.head_center[i] + skel.head_rot[i] @ np.array([0.0, -0.07, -0.02]) * k
    parts.append(
        limb(skel.neck_base[i], neck_top, [0, 1], [0.052 * k, 0.047 * k], [look.skin], lateral)
    )
    return Faces.concat(parts), _head(skel.head_center[i], skel.head_rot[i], look, k)


def _shoe(skel: Skeleton, f: int, look: Look, k: float, sole: float) -> Faces:
    """Upper (elliptical sections) on a flat sole slab (rectangular sections)."""
    rot = skel.foot_rot[f]
    lat, up, fwd = rot[:, 0], rot[:, 1], rot[:, 2]
    z, hw, h = (_SHOE[:, c] * k for c in range(3))
    s = len(z)
    centers = skel.heel_sole[f] + z[:, None] * fwd + (sole + h[:, None] / 2) * up
    upper = loft(
        centers,
        np.broadcast_to(lat, (s, 3)),
        np.broadcast_to(up, (s, 3)),
        hw,
        h / 2,
        np.broadcast_to(np.asarray(look.shoes, float), (s - 1, 3)),
        n=12,
    )
    zs, ws = _SOLE[:, 0] * k, _SOLE[:, 1] * k
    m = len(zs)
    centers = skel.heel_sole[f] + zs[:, None] * fwd + sole / 2 * up
    r2 = np.sqrt(2.0)
    slab = loft(
        centers,
        np.broadcast_to(lat, (m, 3)),
        np.broadcast_to(up, (m, 3)),
        ws * r2,
        np.full(m, sole / 2 * r2),
        np.broadcast_to(np.asarray(look.soles, float), (m - 1, 3)),
        n=4,
        phase=np.pi / 4,
    )
    return Faces.concat([upper, slab])


def _block(skel: Skeleton, f: int, look: Look, h: float, k: float) -> Faces:
    """Heel block: its front top edge carries the back of the heel; the toes are on the floor."""
    fwd = skel.foot_rot[f][:, 2] * np.array([1.0, 0.0, 1.0])
    fwd /= np.linalg.norm(fwd)
    lat = np.cross([0.0, 1.0, 0.0], fwd)
    rot = np.stack([lat, [0.0, 1.0, 0.0], fwd], axis=1)
    heel = skel.heel_sole[f]
    center = np.array([heel[0], h / 2, heel[2]]) - 0.04 * k * fwd
    return box(center, rot, (0.065 * k, h / 2, 0.05 * k), look.block, div=3)


def _head(center: np.ndarray, rot: np.ndarray, look: Look, k: float) -> HeadParts:
    sec = _sections(rot, center, _HEAD, k)
    n = 20
    mids = (_HEAD[:-1, 0] + _HEAD[1:, 0]) / 2
    skin = np.broadcast_to(np.asarray(look.skin, float), (len(mids), 3))
    shell = loft(*sec, skin, n=n, caps=(False, False))
    # hair: faces above a hairline that is high on the forehead and low at the back
    local = (shell.quads.mean(axis=1) - center) @ rot / k
    front = np.clip(local[:, 2] / 0.098, -1, 1)
    hairline = np.where(front >= 0, 0.03 + 0.038 * front, 0.03 + 0.10 * front)
    colors = np.where((local[:, 1] > hairline)[:, None], np.asarray(look.hair, float), shell.colors)
    ear_color = _shade(look.skin, 0.93)
    ears = [
        ellipsoid(
            center + rot @ np.array([s * 0.078, -0.004, -0.006]) * k,
            rot,
            (0.013 * k, 0.030 * k, 0.019 * k),
            ear_color,
            4,
            8,
        )
        for s in SIDES
    ]
    shell = Faces.concat([Faces(shell.quads, colors, shell.inside), *ears])

    def surf(x: float, y: float, lift: float = 0.0015) -> tuple[np.ndarray, np.ndarray]:
        yy, hw, hd, zo = (np.interp(y, _HEAD[:, 0], _HEAD[:, c]) for c in range(4))
        u = np.clip(x / hw, -0.999, 0.999)
        zl = zo + hd * np.sqrt(1 - u**2)
        normal = np.array([u / hw, 0.0, (zl - zo) / hd**2])
        normal /= np.linalg.norm(normal)
        return center + rot @ (np.array([x, y, zl]) * k + lift * normal), rot @ normal

    def decal(xy: np.ndarray, color: tuple[int, int, int], lift: float) -> Decal:
        pts = [surf(x, y, lift) for x, y in xy]
        normal = np.mean([q[1] for q in pts], axis=0)
        return Decal(np.array([q[0] for q in pts]), color, normal / np.linalg.norm(normal))

    th = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    decals = []
    socket = _shade(look.skin, 0.8)
    for s in SIDES:
        x0, y0 = s * 0.032, 0.012
        decals.append(
            decal(
                np.c_[x0 + 0.019 * np.cos(th), y0 + 0.001 + 0.012 * np.sin(th)],
                tuple(socket.astype(int)),
                0.0015,
            )
        )
        almond = np.c_[
            x0 + 0.0145 * np.cos(th), y0 + np.where(np.sin(th) > 0, 0.0058, 0.0045) * np.sin(th)
        ]
        decals.append(decal(almond, (236, 234, 228), 0.002))
        decals.append(
            decal(np.c_[x0 + 0.0052 * np.cos(th), y0 + 0.0052 * np.sin(th)], (70, 48, 34), 0.0025)
        )
        decals.append(
            decal(np.c_[x0 + 0.0024 * np.cos(th), y0 + 0.0024 * np.sin(th)], (12, 10, 10), 0.003)
        )
        brow = np.array(
            [
                (x0 - s * 0.017, y0 + 0.016),
                (x0 + s * 0.017, y0 + 0.021),
                (x0 + s * 0.017, y0 + 0.026),
                (x0 - s * 0.017, y0 + 0.022),
            ]
        )
        decals.append(decal(brow, look.hair, 0.002))
    lips = np.c_[0.023 * np.cos(th), -0.058 + np.where(np.sin(th) > 0, 0.005, 0.0065) * np.sin(th)]
    decals.append(decal(lips, (165, 88, 84), 0.002))
    decals.append(
        decal(
            np.array([(-0.021, -0.0575), (0.021, -0.0575), (0.021, -0.0585), (-0.021, -0.0585)]),
            (90, 40, 40),
            0.0025,
        )
    )
    verts = (
        np.array(
            [
                (0, 0.012, 0.094),
                (0, -0.025, 0.119),
                (0.017, -0.037, 0.097),
                (-0.017, -0.037, 0.097),
                (0, -0.039, 0.106),
            ]
        )
        * k
    )
    w = center + verts @ rot.T
    top, tip, bl, br, bot = w
    quads = np.array([[top, tip, bl, bl], [top, br, tip, tip], [tip, br, bot, bl]])
    nose = Faces(
        quads,
        np.broadcast_to(_shade(look.skin, 1.0), (3, 3)),
        np.broadcast_to(center + rot @ np.array([0, -0.015, 0.085]) * k, (3, 3)),
    )
    return HeadParts(shell, decals, nose, center, rot[:, 2])
