"""`PoseSequence`: the one container that carries pose tracks through formcheck.

Conventions
-----------
- ``landmarks``: ``(T, 33, 3)`` MediaPipe image coordinates: x and y normalised
  to ``[0, 1]`` by image width and height (x to the right, **y down**), z is
  relative depth with roughly the scale of x (smaller = nearer the camera).
- ``world``: ``(T, 33, 3)`` MediaPipe world coordinates in **metres**, origin at
  the centre of the hips, axes as MediaPipe gives them: x right in the
  image, **y down**, z away from the camera.
- ``visibility``: ``(T, 33)`` in ``[0, 1]``.
- ``timestamps``: ``(T,)`` seconds from the start of the video, strictly
  increasing (taken from the container, not assumed from ``fps``).
- Frames where no person was found are rows of NaN, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .landmarks import NUM_LANDMARKS


@dataclass(frozen=True, eq=False)
class PoseSequence:
    """Pose tracks of one person over ``T`` frames (conventions in the module docstring).

    Parameters
    ----------
    landmarks : np.ndarray
        ``(T, 33, 3)`` image coordinates: x, y normalised to ``[0, 1]`` (y down), z relative
        depth; NaN rows on frames without a person.
    world : np.ndarray
        ``(T, 33, 3)`` world coordinates, metres, origin between the hips (y down).
    visibility : np.ndarray
        ``(T, 33)`` probability (0-1) that each landmark is visible.
    timestamps : np.ndarray
        ``(T,)`` seconds from the start of the video, strictly increasing.
    fps : float
        Nominal frame rate, frames per second (positive).
    image_size : tuple[int, int]
        ``(width, height)`` of the upright video, pixels.
    source : str
        The video the poses come from.
    model_sha256 : str
        Hex SHA-256 of the pose model that found them ("" when unknown).
    meta : dict[str, str]
        Other facts about the run (e.g. the MediaPipe version).

    Raises
    ------
    ValueError
        On arrays of the wrong shape, timestamps not increasing, or ``fps`` not positive.
    """

    landmarks: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    timestamps: np.ndarray
    fps: float
    image_size: tuple[int, int]  # (width, height) in pixels, upright
    source: str = ""
    model_sha256: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, dtype=np.float64)
        world = np.asarray(self.world, dtype=np.float64)
        vis = np.asarray(self.visibility, dtype=np.float64)
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if lm.ndim != 3 or lm.shape[1:] != (NUM_LANDMARKS, 3):
            raise ValueError(f"landmarks: expected shape (T, {NUM_LANDMARKS}, 3), got {lm.shape}")
        n = lm.shape[0]
        if world.shape != lm.shape:
            raise ValueError(f"world: expected shape {lm.shape}, got {world.shape}")
        if vis.shape != (n, NUM_LANDMARKS):
            raise ValueError(f"visibility: expected shape {(n, NUM_LANDMARKS)}, got {vis.shape}")
        if ts.shape != (n,):
            raise ValueError(f"timestamps: expected shape ({n},), got {ts.shape}")
        if n > 1 and not np.all(np.diff(ts) > 0):
            raise ValueError("timestamps: expected strictly increasing values")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps: expected a positive number, got {self.fps}")
        w, h = self.image_size
        object.__setattr__(self, "landmarks", lm)
        object.__setattr__(self, "world", world)
        object.__setattr__(self, "visibility", vis)
        object.__setattr__(self, "timestamps", ts)
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "image_size", (int(w), int(h)))
        object.__setattr__(self, "source", str(self.source))

    def __len__(self) -> int:
        return self.landmarks.shape[0]

    @property
    def detected(self) -> np.ndarray:
        """``(T,)`` bool: a person was found on the frame."""
        return np.isfinite(self.landmarks).all(axis=(1, 2))

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame plus one frame period."""
        return (
            float(self.timestamps[-1] - self.timestamps[0] + 1.0 / self.fps) if len(self) else 0.0
        )

    @property
    def pixels(self) -> np.ndarray:
        """``(T, 33, 2)`` image landmarks in pixels (x right, y down)."""
        w, h = self.image_size
        return self.landmarks[..., :2] * np.array([w, h], dtype=np.float64)

    def slice(self, start: int, stop: int) -> PoseSequence:
        """Frames ``start:stop`` as a new sequence.

        Parameters
        ----------
        start, stop : int
            Frame indices (``stop`` exclusive), as in Python slicing.

        Returns
        -------
        PoseSequence
            Those frames (array views, not copies), with this sequence's fps, size and source.
        """
        s = np.s_[start:stop]
        return replace(
            self,
            landmarks=self.landmarks[s],
            world=self.world[s],
            visibility=self.visibility[s],
            timestamps=self.timestamps[s],
        )

    @classmethod
    def from_image_landmarks(
        cls, points: np.ndarray, fps: float, image_size: tuple[int, int], source: str | Path = ""
    ) -> PoseSequence:
        """A sequence from image landmarks alone, as other pose tools and data sets give them.

        World coordinates are unknown (NaN); a NaN visibility is read as 0.

        Parameters
        ----------
        points : np.ndarray
            ``(T, 33, 4)`` normalised x, y, z and visibility (0-1) per landmark, NaN rows on
            frames without a person.
        fps : float
            Frame rate, frames per second: frame i is at ``i / fps`` seconds.
        image_size : tuple[int, int]
            ``(width, height)`` of the video, pixels.
        source : str or Path
            The video the landmarks come from.

        Returns
        -------
        PoseSequence
            The T frames.

        Raises
        ------
        ValueError
            If ``points`` is not ``(T, 33, 4)`` (or `PoseSequence` rejects the rest).
        """
        a = np.asarray(points, dtype=np.float64)
        if a.ndim != 3 or a.shape[1:] != (NUM_LANDMARKS, 4):
            raise ValueError(f"points: expected shape (T, {NUM_LANDMARKS}, 4), got {a.shape}")
        n = a.shape[0]
        return cls(
            landmarks=a[..., :3],
            world=np.full((n, NUM_LANDMARKS, 3), np.nan),
            visibility=np.nan_to_num(a[..., 3], nan=0.0),
            timestamps=np.arange(n) / fps,
            fps=fps,
            image_size=image_size,
            source=str(source),
        )

    @classmethod
    def empty(
        cls, fps: float, image_size: tuple[int, int], source: str | Path = ""
    ) -> PoseSequence:
        """A sequence with no frames.

        Parameters
        ----------
        fps : float
            Frame rate, frames per second.
        image_size : tuple[int, int]
            ``(width, height)`` of the video, pixels.
        source : str or Path
            The video.

        Returns
        -------
        PoseSequence
            T = 0 frames.
        """
        return cls(
            landmarks=np.empty((0, NUM_LANDMARKS, 3)),
            world=np.empty((0, NUM_LANDMARKS, 3)),
            visibility=np.empty((0, NUM_LANDMARKS)),
            timestamps=np.empty(0),
            fps=fps,
            image_size=image_size,
            source=str(source),
        )
