"""Draw the synthetic squatter with OpenCV: painter's algorithm over Lambert-shaded polygons.

Every polygon is shaded by the angle between its normal and a light near the camera,
back faces are dropped, and the rest are painted from the farthest to the nearest.
The head (skull, face decals, nose) is painted as one unit at the depth of its
nearest point. The room (floor with planks, wall with a baseboard) is ray-cast once
per camera; a soft contact shadow is laid under the figure on every frame. Frames are
drawn at ``supersample`` times the output size and shrunk with area averaging.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .camera import Camera
from .crowd import Extra, Figure, reflect
from .dress import HeadParts, body_faces
from .figure import Body, Skeleton
from .look import Look
from .mesh import Faces

_SHIFT = 4  # sub-pixel bits for cv2 polygon drawing
_AMBIENT, _DIFFUSE = 0.42, 0.62


class Renderer:
    """Renders frames of one clip: fixed camera, look and heel block."""

    def __init__(
        self, camera: Camera, look: Look, body: Body, heel_block_m: float, supersample: int = 2
    ) -> None:
        self.camera = camera
        self.look = look
        self.body = body
        self.heel_block_m = heel_block_m
        self.ss = int(supersample)
        cam = camera.position
        right = camera.rotation[0]
        light = (
            (cam - np.array([0.0, camera.aim_height_m, 0.0]))
            + np.array([0.0, 2.2, 0.0])
            + 0.8 * right
        )
        self.light = light / np.linalg.norm(light)
        self.background = self._room()
        self._room_out: np.ndarray | None = None

    def _room(self, block: int = 256) -> np.ndarray:
        """Floor (y = 0) and a wall 2.2 m behind the subject, facing the camera; cast ``block``
        image rows at a time to bound memory on large frames."""
        h = self.camera.height * self.ss
        return np.concatenate([self._room_rows(r, min(r + block, h)) for r in range(0, h, block)])

    def _room_rows(self, r0: int, r1: int) -> np.ndarray:
        cam = self.camera
        d = cam.rays(self.ss, (r0, r1))
        c = cam.position
        fwd_h = cam.rotation[2] * np.array([1.0, 0.0, 1.0])
        fwd_h /= np.linalg.norm(fwd_h)
        wall_dist = float(np.dot(-c * np.array([1.0, 0.0, 1.0]), fwd_h)) + 2.2
        with np.errstate(divide="ignore", invalid="ignore"):
            t_floor = np.where(d[..., 1] < -1e-9, -c[1] / d[..., 1], np.inf)
            t_wall = np.where(d @ fwd_h > 1e-9, wall_dist / (d @ fwd_h), np.inf)
        is_floor = t_floor < t_wall
        t = np.where(is_floor, t_floor, t_wall)
        t = np.where(np.isfinite(t), t, 1e3)
        pts = c + t[..., None] * d
        # floor: planks 14 cm wide running away from the camera, each a slightly different shade
        lat = pts @ np.cross([0.0, 1.0, 0.0], fwd_h)
        along = pts @ fwd_h
        plank = np.floor(lat / 0.14)
        tone = 0.93 + 0.07 * np.sin(plank * 12.9898 + 78.233) ** 2
        seam = np.minimum(np.abs(lat / 0.14 - np.round(lat / 0.14)), 1.0) < 0.035
        board_end = (
            np.abs(((along + 0.9 * plank) / 1.2) - np.round((along + 0.9 * plank) / 1.2)) < 0.006
        )
        floor_shade = (
            tone * np.where(seam | board_end, 0.8, 1.0) * (1.05 - 0.035 * np.clip(t, 0, 8))
        )
        wall_y = pts[..., 1]
        wall_shade = 1.0 - 0.06 * np.clip(wall_y / 2.5, 0, 1)
        base = wall_y < 0.1
        img = np.where(
            is_floor[..., None],
            np.asarray(self.look.floor, float) * floor_shade[..., None],
            np.where(
                base[..., None],
                np.asarray(self.look.baseboard, float),
                np.asarray(self.look.wall, float) * wall_shade[..., None],
            ),
        )
        return np.clip(img, 0, 255).astype(np.uint8)

    def _pts(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uv, z = self.camera.project(points)
        return np.round((uv * self.ss - 0.5) * (1 << _SHIFT)).astype(np.int32), z

    def _shadow(self, img: np.ndarray, skel: Skeleton, i: int) -> None:
        import cv2

        pel = skel.pelvis[i]
        feet = skel.heel_sole.mean(axis=0)
        cx, cz = (pel[0] + feet[0]) / 2, (pel[2] + skel.toe_sole[:, 2].mean() + feet[2]) / 3
        th = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        mask = np.zeros(img.shape[:2], np.uint8)
        for rx, rz, val in ((0.42, 0.30, 60), (0.32, 0.22, 120), (0.22, 0.16, 170)):
            ring = np.c_[cx + rx * np.cos(th), np.full_like(th, 0.001), cz + rz * np.sin(th)]
            pts, z = self._pts(ring)
            if np.all(z > 0.05):
                cv2.fillPoly(mask, [pts], val, cv2.LINE_8, _SHIFT)
        k = 2 * (9 * self.ss) + 1
        mask = cv2.GaussianBlur(mask, (k, k), 0)
        ys, xs = np.nonzero(mask)
        if len(ys):
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            a = 1.0 - 0.45 * mask[y0:y1, x0:x1, None] / 255.0
            img[y0:y1, x0:x1] = (img[y0:y1, x0:x1] * a).astype(np.uint8)

    def _shade(self, faces: Faces) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Front-facing faces: (projected int points (N,4,2), colours (N,3), depth (N,))."""
        normals = faces.normals()
        centers = faces.quads.mean(axis=1)
        view = self.camera.position - centers
        front = np.sum(normals * view, axis=1) > 0
        n, c = normals[front], faces.colors[front]
        lam = np.clip(n @ self.light, 0, 1)
        colors = np.clip(c * (_AMBIENT + _DIFFUSE * lam)[:, None], 0, 255)
        pts, z = self._pts(faces.quads[front])
        return pts, colors, z.mean(axis=1)

    def _draw_head(self, img: np.ndarray, head: HeadParts) -> None:
        import cv2

        pts, colors, depth = self._shade(head.shell)
        for k in np.argsort(-depth, kind="stable"):
            cv2.fillConvexPoly(img, pts[k], tuple(map(int, colors[k])), cv2.LINE_8, _SHIFT)
        to_cam = self.camera.position - head.center
        to_cam /= np.linalg.norm(to_cam)
        for d in head.decals:
            facing = float(d.normal @ to_cam)
            if facing < 0.2:
                continue
            lam = max(float(d.normal @ self.light), 0.0)
            color = tuple(int(min(255, v * (_AMBIENT + _DIFFUSE * lam))) for v in d.color)
            p, _ = self._pts(d.points)
            cv2.fillPoly(img, [p], color, cv2.LINE_8, _SHIFT)
        if float(head.forward @ to_cam) > -0.1:
            pts, colors, depth = self._shade(head.nose)
            for k in np.argsort(-depth, kind="stable"):
                cv2.fillConvexPoly(img, pts[k], tuple(map(int, colors[k])), cv2.LINE_8, _SHIFT)

    def frame(
        self,
        skel: Skeleton,
        i: int,
        rng: np.random.Generator | None = None,
        others: Sequence[Figure] = (),
        mirrors: Sequence[Extra] = (),
    ) -> np.ndarray:
        """RGB uint8 ``(height, width, 3)`` image of frame ``i``; ``rng`` draws the sensor noise.

        ``others``: more people on this frame (`formcheck.synth.crowd`), painted with the
        squatter from the farthest to the nearest; ``mirrors``: reflections of the squatter.
        """
        import cv2

        img = self.background.copy()
        people = [(skel, i, self.body, self.look, self.heel_block_m)]
        people += [(f.skeleton, 0, f.body, f.look, 0.0) for f in others]
        people.sort(key=lambda p: -float(self.camera.to_camera(p[0].pelvis[p[1]])[2]))
        for person in people:
            self._shadow(img, person[0], person[1])
        for person in people:
            self._figure(img, *person)
        out = cv2.resize(img, (self.camera.width, self.camera.height), interpolation=cv2.INTER_AREA)
        if mirrors:
            room = self._room_small()
            alone = out
            if others:  # the mirror shows the squatter only
                alone = self.frame(skel, i)
            for mirror in mirrors:
                out = reflect(out, room, mirror, alone)
        if self.look.noise > 0 and rng is not None:
            noisy = out + rng.normal(0.0, self.look.noise, out.shape)
            out = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
        return out

    def _room_small(self) -> np.ndarray:
        """The empty room at the output size (computed once)."""
        import cv2

        if self._room_out is None:
            size = (self.camera.width, self.camera.height)
            self._room_out = cv2.resize(self.background, size, interpolation=cv2.INTER_AREA)
        return self._room_out

    def _figure(
        self, img: np.ndarray, skel: Skeleton, i: int, body: Body, look: Look, heel_block_m: float
    ) -> None:
        """Paint one person (posed ``skel`` at frame ``i``) onto the supersampled ``img``."""
        import cv2

        faces, head = body_faces(skel, i, body, look, heel_block_m)
        pts, colors, depth = self._shade(faces)
        head_depth = float(self.camera.to_camera(head.center)[2]) - 0.1 * body.height_m / 1.75
        order = np.argsort(-depth, kind="stable")
        n_before = int(np.sum(depth[order] > head_depth))
        for rank, k in enumerate(order):
            if rank == n_before:
                self._draw_head(img, head)
            cv2.fillConvexPoly(img, pts[k], tuple(map(int, colors[k])), cv2.LINE_8, _SHIFT)
        if n_before == len(order):
            self._draw_head(img, head)
