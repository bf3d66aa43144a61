"""Other people in a synthetic clip: someone standing beside the squatter, someone walking
behind, or a mirror reflection of the squatter.

World frame as in `formcheck.synth.figure` (metres, x to the squatter's left, which is image
right from the front view, y up, z towards a front camera). The standing and walking people are
figures of their own (the walker glides at walking speed with straight legs: what matters here
is a person moving across the room, not their gait). The reflection is drawn in the image: the
squatter's pixels, flipped left-right, shrunk and dimmed, pasted on the wall, as a mirror
beside the squatter shows them: the same motion, smaller because farther away. It is pasted
over everything else in the frame, so place it where no one walks in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .figure import Body, PoseState, Skeleton, Stance, pose
from .look import Look

Kind = Literal["stand", "walk", "mirror"]
KINDS: tuple[str, ...] = ("stand", "walk", "mirror")
#: Clothes of the other people: unlike the squatter's, so a viewer tells them apart.
OTHER_LOOK = Look(shirt=(176, 52, 48), shorts=(60, 70, 60), hair=(120, 80, 40))
#: Grey levels a pixel must differ from the empty room by to belong to the squatter's image.
FIGURE_CONTRAST = 12
#: A mirror returns about 85 % of the light; the rest of the pixel is the wall behind the glass.
MIRROR_REFLECTANCE = 0.85


@dataclass(frozen=True)
class Extra:
    """One more person in the clip.

    ``kind``: ``stand`` (still, arms hanging, at ``x_m``, ``z_m``), ``walk`` (from ``x_m`` to
    ``-x_m`` over the clip at depth ``z_m``) or ``mirror`` (a reflection of the squatter,
    ``scale`` times its size, its feet at ``anchor``: image x and y as shares of the width and
    height). ``height_m`` is the standing or walking person's height.
    """

    kind: Kind = "stand"
    x_m: float = 1.1
    z_m: float = 0.0
    height_m: float = 1.68
    scale: float = 0.6
    anchor: tuple[float, float] = (0.2, 0.62)
    look: Look = OTHER_LOOK

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if not 0.1 <= self.scale <= 1.0:
            raise ValueError(f"scale: expected 0.1 to 1, got {self.scale}")
        if not all(0.0 <= a <= 1.0 for a in self.anchor):
            raise ValueError(f"anchor: expected image shares in [0, 1], got {self.anchor}")


def extra(kind: str) -> Extra:
    """A typical person of each kind: standing 1.1 m beside the squatter; walking across the
    room 1.2 m behind them, from one side of a front view to the other; a reflection three
    quarters of the squatter's size, its feet at the left of the frame above the squatter's."""
    kinds: dict[str, Extra] = {
        "stand": Extra("stand", x_m=1.1),
        "walk": Extra("walk", x_m=2.4, z_m=-1.2),
        "mirror": Extra("mirror", scale=0.75, anchor=(0.22, 0.72)),
    }
    if kind not in kinds:
        raise ValueError(f"person: expected one of {', '.join(kinds)}, got {kind!r}")
    return kinds[kind]


@dataclass(frozen=True)
class Figure:
    """A person to draw on one frame: posed skeleton (frame 0 of it), body and clothes."""

    skeleton: Skeleton
    body: Body
    look: Look


def standing(body: Body) -> Skeleton:
    """A one-frame skeleton standing upright, feet 20 cm apart, arms hanging."""
    zero = np.zeros((1, 2))
    state = PoseState(
        knee_flexion=zero,
        knee_valgus=zero,
        trunk_lean=np.array([2.0]),
        arm_raise=np.array([0.05]),
        head_pitch=np.array([4.0]),
    )
    return pose(body, Stance(width_m=0.2, foot_angle_deg=(8.0, 8.0)), state)


def shifted(skel: Skeleton, offset: np.ndarray) -> Skeleton:
    """``skel`` moved by ``offset`` ``(3,)`` metres."""
    return replace(
        skel,
        joints=skel.joints + offset,
        pelvis=skel.pelvis + offset,
        head_center=skel.head_center + offset,
        neck_base=skel.neck_base + offset,
        heel_sole=skel.heel_sole + offset,
        toe_sole=skel.toe_sole + offset,
    )


def figures(extras: tuple[Extra, ...], n_frames: int) -> list[list[Figure]]:
    """The standing and walking people to draw on each of ``n_frames`` frames."""
    out: list[list[Figure]] = [[] for _ in range(n_frames)]
    for extra in extras:
        if extra.kind == "mirror":
            continue
        body = Body(extra.height_m)
        skel = standing(body)
        if extra.kind == "stand":
            xs = np.full(n_frames, extra.x_m)
        else:
            xs = np.linspace(extra.x_m, -extra.x_m, n_frames)
        for i, x in enumerate(xs):
            out[i].append(Figure(shifted(skel, np.array([x, 0.0, extra.z_m])), body, extra.look))
    return out


def reflect(
    image: np.ndarray, room: np.ndarray, extra: Extra, source: np.ndarray | None = None
) -> np.ndarray:
    """``image`` with the squatter's reflection pasted in (see the module docstring).

    ``source``: the frame with the squatter alone (default ``image``); ``room``: the same view
    without anyone in it (the squatter is where ``source`` differs from it by more than
    :data:`FIGURE_CONTRAST` grey levels). Returns a new uint8 image.
    """
    import cv2

    source = image if source is None else source
    mask = np.abs(source.astype(np.int16) - room.astype(np.int16)).max(axis=2) > FIGURE_CONTRAST
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return image
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h, w = image.shape[:2]
    ch, cw = max(1, round((y1 - y0) * extra.scale)), max(1, round((x1 - x0) * extra.scale))
    flipped = np.ascontiguousarray(source[y0:y1, x0:x1][:, ::-1])
    copy = cv2.resize(flipped, (cw, ch), interpolation=cv2.INTER_AREA)
    keep = cv2.resize(mask[y0:y1, x0:x1][:, ::-1].astype(np.float32), (cw, ch)) > 0.5
    bottom, centre = round(extra.anchor[1] * h), round(extra.anchor[0] * w)
    top, left = bottom - ch, centre - cw // 2
    # clip the pasted copy to the frame
    sy0, sx0 = max(0, -top), max(0, -left)
    sy1, sx1 = ch - max(0, bottom - h), cw - max(0, left + cw - w)
    if sy1 <= sy0 or sx1 <= sx0:
        return image
    out = image.copy()
    region = out[top + sy0 : top + sy1, left + sx0 : left + sx1]
    seen = keep[sy0:sy1, sx0:sx1]
    mixed = MIRROR_REFLECTANCE * copy[sy0:sy1, sx0:sx1] + (1 - MIRROR_REFLECTANCE) * region
    region[seen] = np.clip(np.round(mixed[seen]), 0, 255).astype(np.uint8)
    return out
