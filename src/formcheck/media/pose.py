"""Pose extraction: video file -> `PoseSequence` with MediaPipe ``PoseLandmarker``.

The only module that runs MediaPipe inference. Frames are decoded (upright, RGB)
by :mod:`formcheck.media.video` in a background thread so decoding overlaps inference;
the per-frame Python work is one ``detect_for_video`` call and one row copy into
preallocated arrays.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import mediapipe as mp
import numpy as np

from ..core.landmarks import NUM_LANDMARKS
from ..core.sequence import PoseSequence
from ..errors import ModelError
from .model import ModelFile, open_landmarker, resolve_model
from .video import VideoInfo, probe, read_frames

#: Frames decoded ahead of inference by the background decoder.
PREFETCH_FRAMES = 8
#: Videos with at least this many frames get a progress bar (when stderr is a terminal).
PROGRESS_MIN_FRAMES = 100


def results_to_arrays(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """First pose of a ``PoseLandmarkerResult`` as arrays, or ``None`` when no person was found.

    Returns ``(landmarks, world, visibility)``: ``(33, 3)`` normalised image x, y, z;
    ``(33, 3)`` world x, y, z in metres; ``(33,)`` visibility in [0, 1] (NaN when
    the model gives none). Usable for VIDEO and LIVE_STREAM results alike.
    """
    if not result.pose_landmarks:
        return None
    image = np.array(
        [
            (p.x, p.y, p.z, np.nan if p.visibility is None else p.visibility)
            for p in result.pose_landmarks[0]
        ],
        dtype=np.float64,
    )
    world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], dtype=np.float64)
    if image.shape != (NUM_LANDMARKS, 4) or world.shape != (NUM_LANDMARKS, 3):
        raise ModelError(
            f"expected {NUM_LANDMARKS} image and world landmarks per pose, got {len(image)} and {len(world)}"
        )
    return image[:, :3], world, image[:, 3]


def to_mp_image(rgb: np.ndarray) -> mp.Image:
    """An ``mp.Image`` of an RGB uint8 array (made C-contiguous first: ``mp.Image`` ignores strides)."""
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


@contextmanager
def _progress(info: VideoInfo, enabled: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr, shown for long videos when stderr is a terminal."""
    stream = sys.stderr
    if not (
        enabled
        and info.frame_count >= PROGRESS_MIN_FRAMES
        and stream is not None
        and stream.isatty()
    ):
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(f"pose {info.path.name}", total=info.frame_count)
        yield lambda: bar.advance(task)


def _mediapipe_version() -> str:
    try:
        return version("mediapipe")
    except PackageNotFoundError:
        return "unknown"


def extract(
    path: str | Path,
    model: str | Path | ModelFile | None = None,
    progress: bool = True,
    *,
    prefetch: int = PREFETCH_FRAMES,
    **thresholds: float,
) -> PoseSequence:
    """Run the pose model on every frame of a video.

    ``model`` is a path (or a checked :class:`~formcheck.media.model.ModelFile`); ``None``
    picks ``$FORMCHECK_MODEL`` or the bundled model. ``thresholds`` are
    ``min_detection_confidence``, ``min_presence_confidence``,
    ``min_tracking_confidence`` (default 0.5 each). Frames with no person are NaN
    rows. Raises :class:`~formcheck.errors.InputError` for an unreadable video and
    :class:`~formcheck.errors.ModelError` for an unusable model.
    """
    path = Path(path)
    info = probe(path)
    model_file = model if isinstance(model, ModelFile) else resolve_model(model)

    capacity = max(info.frame_count, 1) + 8
    landmarks = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
    world = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
    visibility = np.full((capacity, NUM_LANDMARKS), np.nan)
    timestamps = np.empty(capacity)
    n = 0
    last_ms = -1
    with (
        open_landmarker(model_file, mode="video", **thresholds) as landmarker,
        _progress(info, progress) as advance,
    ):
        # decode in the prefetch thread without FFmpeg's own frame threads: the landmarker's graph
        # already keeps both cores busy, and extra decoder threads cost ~4 % of the rate
        # (bench_extract on a quiet machine: 0.89x -> 0.92x of the bare model)
        for t, rgb in read_frames(path, prefetch=prefetch, threads=False):
            if n == capacity:  # the container under-declared its frame count
                capacity *= 2
                landmarks, world, visibility, timestamps = (
                    _grown(a, capacity) for a in (landmarks, world, visibility, timestamps)
                )
            ms = round(t * 1000.0)
            if ms <= last_ms:  # above 1000 fps two frames can share a millisecond
                ms = last_ms + 1
            last_ms = ms
            pose = results_to_arrays(landmarker.detect_for_video(to_mp_image(rgb), ms))
            if pose is not None:
                landmarks[n], world[n], visibility[n] = pose
            timestamps[n] = t
            n += 1
            advance()
    return PoseSequence(
        landmarks=landmarks[:n],
        world=world[:n],
        visibility=visibility[:n],
        timestamps=timestamps[:n],
        fps=info.fps,
        image_size=(info.width, info.height),
        source=str(path),
        model_sha256=model_file.sha256,
        meta={
            "model": model_file.path.name,
            "mediapipe": _mediapipe_version(),
            "rotation": str(info.rotation),
            "codec": info.codec,
        },
    )


def _grown(a: np.ndarray, capacity: int) -> np.ndarray:
    out = np.full((capacity, *a.shape[1:]), np.nan)
    out[: len(a)] = a
    return out
