"""annotated.mp4 and the bottom-of-rep stills in one pass over the video, on every core.

The video is cut into time segments (`formcheck.media.parallel.plan_segments`, no warm-up: the
drawing has no state); each is decoded from the keyframe before it, drawn on
(`formcheck.media.annotate.Annotator`) and encoded to a part file, the first here and the
others in spawned processes; the parts are joined without re-encoding
(`formcheck.media.videowriter.concatenate`). A rep's bottom still is drawn by the segment that
holds its frame, from the full-resolution frame, so the stills cost no second decode.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media.annotate import Overlay
from ..media.parallel import Segment, default_jobs, plan_segments, worker_pool


@dataclass(frozen=True)
class StillSpec:
    """What to draw on one rep's bottom still (`formcheck.report.media.rep_still`): its number
    (1-based), ``(metric, label, failed)`` marks, the frame's landmark pixels ``(33, 2)`` at full
    resolution and an optional head ellipse ``(5,)`` to blur."""

    rep: int
    marks: tuple[tuple[str, str, bool], ...]
    pixels: np.ndarray
    blur: np.ndarray | None = None


@dataclass(frozen=True)
class VideoJob:
    """Everything a segment needs: the source video, the `Overlay` (frames of the sequence),
    the sequence's timestamps (s; they place each decoded frame), its fps, the annotated size
    (width, height), the longest side frames are scaled to, and the stills by frame index."""

    video: Path
    overlay: Overlay
    timestamps: np.ndarray
    fps: float
    size: tuple[int, int]
    longest: int
    stills: dict[int, StillSpec]


def segments_for(duration_s: float, fps: float, jobs: int | None) -> list[Segment]:
    """The segments the annotated video is written in (one when short or ``jobs`` is 1)."""
    return plan_segments(duration_s, fps, jobs or default_jobs(), overlap_s=0.0)


@contextlib.contextmanager
def started_workers(workers: int) -> Iterator[Executor]:
    """`formcheck.media.parallel.worker_pool` of ``workers`` processes, started at once and
    importing what `render_part` needs, so their start-up overlaps
    whatever the caller does before `write` (the report's tables and plots) instead of the
    drawing."""
    with worker_pool(workers) as pool:
        for _ in range(workers):
            pool.submit(_import_renderer)
        yield pool


def _import_renderer() -> None:
    from ..media import annotate, video, videowriter  # noqa: F401
    from . import media  # noqa: F401


def write(
    job: VideoJob, out: Path, segments: Sequence[Segment], pool: Executor | None = None
) -> dict[int, bytes]:
    """Write annotated.mp4 to ``out`` in ``segments`` (`segments_for`), all but the first in
    ``pool`` (`started_workers` with ``len(segments) - 1`` workers; default: a pool started
    here); the JPEG still of each rep (by its 1-based number)."""
    try:
        return _write(job, out, segments, pool)
    except BrokenProcessPool:  # a worker killed (out of memory?) or unable to start: in one
        return _write(job, out, segments_for(float("nan"), job.fps, 1), None)


def _write(
    job: VideoJob, out: Path, segments: Sequence[Segment], pool: Executor | None
) -> dict[int, bytes]:
    from ..media.videowriter import concatenate

    stills: dict[int, bytes] = {}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="formcheck-video-")))
        parts = [tmp / f"part{s.index}.mp4" for s in segments]
        futures = []
        if len(segments) > 1:
            if pool is None:
                pool = stack.enter_context(worker_pool(len(segments) - 1))
            futures = [
                pool.submit(render_part, job, s, p)
                for s, p in zip(segments[1:], parts[1:], strict=True)
            ]
        stills.update(render_part(job, segments[0], parts[0]))
        for future in futures:
            stills.update(future.result())
        if len(parts) == 1:
            parts[0].replace(out)
        else:
            concatenate(parts, out)
    return stills


def render_part(job: VideoJob, segment: Segment, out: Path) -> dict[int, bytes]:
    """Draw and encode the frames of ``segment`` to ``out``; the stills of the reps whose bottom
    frame it holds. Frames of the video beyond the sequence (a landmark cache of fewer frames)
    are left out, as are frames whose time the sequence does not have."""
    from ..media.annotate import Annotator
    from ..media.video import _prefetched, read_segment
    from ..media.videowriter import VideoWriter
    from .media import rep_still, resize_longest

    annotator = Annotator(job.overlay)
    half = 0.5 / job.fps
    times = job.timestamps
    stills: dict[int, bytes] = {}
    frames = _prefetched(read_segment(job.video, segment.start_s, segment.end_s), 8)
    with contextlib.closing(frames), VideoWriter(out, fps=job.fps, size=job.size) as writer:
        for t, rgb in frames:
            i = int(np.searchsorted(times, t - half))
            if i >= len(times):
                break
            if abs(times[i] - t) > half:
                continue
            spec = job.stills.get(i)
            if spec is not None:
                stills[spec.rep] = rep_still(rgb, spec.pixels, list(spec.marks), spec.blur)
            frame, _ = resize_longest(rgb, job.longest)
            writer.write(annotator.annotate(frame, i))
    return stills
