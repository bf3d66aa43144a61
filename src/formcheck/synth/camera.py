"""Pinhole camera looking at the synthetic squatter (world frame of `formcheck.synth.figure`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A static pinhole camera aimed at a point above the feet.

    ``yaw_deg``: 0 = in front of the subject facing them, 90 = on the subject's left
    side (side view, the subject faces image left), 45 = front-left oblique.
    ``pitch_deg``: + = camera above the aim point looking down. ``distance_m`` from the
    aim point, which is ``aim_height_m`` above the floor. ``vfov_deg``: vertical field of
    view. Image size in pixels, ``fps`` frames per second.
    """

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    distance_m: float = 3.4
    aim_height_m: float = 0.9
    vfov_deg: float = 42.0
    width: int = 640
    height: int = 360
    fps: float = 30.0

    @classmethod
    def at_height(cls, height_m: float, pitch_deg: float = 0.0, **kwargs: float) -> Camera:
        """A camera whose centre is ``height_m`` above the floor, pitched ``pitch_deg`` (+ = looking
        down): the aim point is lowered or raised to match (``aim_height_m = height_m - distance_m
        * sin(pitch)``), so a phone on the floor tilted up and one on a shelf tilted down both
        frame the figure. Other fields as for `Camera`; the aim point must stay 0.5-1.3 m above
        the floor (the figure's mid-height, +-0.4 m) or a `ValueError` says so."""
        distance = float(kwargs.pop("distance_m", cls.distance_m))
        aim = height_m - distance * np.sin(np.radians(pitch_deg))
        if not 0.5 <= aim <= 1.3:
            raise ValueError(
                f"camera height {height_m:g} m at pitch {pitch_deg:g} deg aims {aim:.2f} m above "
                "the floor: expected 0.5 to 1.3 m (raise the pitch for a high camera, lower it "
                "for a low one)"
            )
        return cls(pitch_deg=pitch_deg, distance_m=distance, aim_height_m=aim, **kwargs)

    @property
    def height_m(self) -> float:
        """Height of the camera centre above the floor, metres."""
        return float(self.position[1])

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"image size: expected at least 64x64, got {self.width}x{self.height}")
        if not 1.0 <= self.distance_m <= 20.0:
            raise ValueError(f"distance_m: expected 1 to 20 m, got {self.distance_m}")
        if not -30.0 <= self.pitch_deg <= 60.0:
            raise ValueError(f"pitch_deg: expected -30 to 60 degrees, got {self.pitch_deg}")
        if not 10.0 <= self.vfov_deg <= 120.0:
            raise ValueError(f"vfov_deg: expected 10 to 120 degrees, got {self.vfov_deg}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps: expected a positive number, got {self.fps}")

    @property
    def focal_px(self) -> float:
        return self.height / 2 / np.tan(np.radians(self.vfov_deg) / 2)

    @property
    def position(self) -> np.ndarray:
        """Camera centre in world metres."""
        yaw, pitch = np.radians(self.yaw_deg), np.radians(self.pitch_deg)
        back = np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
        return np.array([0.0, self.aim_height_m, 0.0]) + self.distance_m * back

    @property
    def rotation(self) -> np.ndarray:
        """``(3, 3)`` rows: camera x (image right), y (image down), z (viewing direction) in world axes."""
        fwd = np.array([0.0, self.aim_height_m, 0.0]) - self.position
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` -> camera coordinates (x right, y down, z depth), metres."""
        return (np.asarray(points) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points ``(..., 3)`` -> (pixels ``(..., 2)`` with x right and y down, depth ``(...)``)."""
        c = self.to_camera(points)
        z = c[..., 2]
        f = self.focal_px
        uv = np.stack([f * c[..., 0] / z + self.width / 2, f * c[..., 1] / z + self.height / 2], -1)
        return uv, z

    def rays(self, scale: int = 1, rows: tuple[int, int] | None = None) -> np.ndarray:
        """``(H*scale, W*scale, 3)`` unit world directions through every pixel centre (only image
        rows ``rows[0]:rows[1]`` of the scaled image when given)."""
        h, w = self.height * scale, self.width * scale
        f = self.focal_px * scale
        r0, r1 = rows if rows is not None else (0, h)
        u = (np.arange(w) + 0.5 - w / 2) / f
        v = (np.arange(r0, r1) + 0.5 - h / 2) / f
        d = (
            np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((r1 - r0, 1))), -1)
            @ self.rotation
        )
        return d / np.linalg.norm(d, axis=-1, keepdims=True)
