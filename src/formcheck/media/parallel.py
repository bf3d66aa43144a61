"""Pose extraction on every core: one video split in time segments, one landmarker process each.

`extract` plans ``jobs`` segments of the video (`plan_segments`), runs the first in this process
and the others in spawned worker processes (`formcheck.media.pose.extract_segment`, each with its
own landmarker and its own decoder that seeks to the keyframe before its segment), and stitches
their landmarks into one `PoseSequence` (`stitch`). Each segment but the first starts tracking
`OVERLAP_S` before its own first frame, so the landmarker has found and settled on the person
when its frames begin; those warm-up frames are the previous segment's own frames too, and the
stitch takes them from the previous segment, the one that has been tracking longest there.

It falls back to the one-process `formcheck.media.pose.extract` (same result) when parallel
work cannot pay or cannot be trusted: a short video (`MIN_PARALLEL_S`), ``jobs`` 1, a container
that gives no duration, that cannot seek or has frames without timestamps, or damaged packets
(the sequential reader names them and refuses a video with too many). Several people: each
segment's scout counts its sightings (`formcheck.media.pose.SCOUT_SIGHTINGS` in all, as in one
process); when they reach it, the several-people pass (`formcheck.media.pose.extract_several`)
runs over the whole video in one process, as `extract` would after its scout: tracking people
needs the whole video in one piece.

This module imports neither mediapipe nor av; the workers do.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.sequence import PoseSequence
from ..errors import InputError

#: Seconds each segment but the first is run before its own frames. MediaPipe's landmarker
#: detects the person on its first frame and then tracks from the previous landmarks; its
#: landmark smoothing (a one-euro filter at 30 fps, about 0.1-0.3 s to forget its start) and
#: the tracking are settled well within a second, so 1 s gives the landmarks the sequential run
#: has, and costs one extra second of model time per boundary.
OVERLAP_S = 1.0
#: Shortest segment, seconds, so that the warm-up (`OVERLAP_S`) adds at most a third to a
#: segment's work; fewer segments are planned when the video is too short for ``jobs`` of them.
MIN_SEGMENT_S = 3.0
#: Videos shorter than this (seconds) run in one process: a worker process needs about a second
#: to start Python, import mediapipe and load the model, which a 2-segment split of a shorter
#: video would not win back.
MIN_PARALLEL_S = 2 * MIN_SEGMENT_S
#: Own frames a worker reports to the progress bar at a time.
PROGRESS_STEP = 10


@dataclass(frozen=True)
class Segment:
    """A time segment of a video, seconds from its first frame: the landmarker starts at
    ``warm_s`` (<= ``start_s``); the segment's own frames are those from ``start_s`` to before
    ``end_s`` (``inf`` for the last). Frame times within half a frame of a bound count as on it.
    """

    index: int
    warm_s: float
    start_s: float
    end_s: float


@dataclass
class SegmentPoses:
    """One segment's one-person landmarks, warm-up frames included: ``(m, 33, 3)`` image and
    world, ``(m, 33)`` visibility, ``(m,)`` timestamps (s); scout sightings of several people and
    packets that would not decode."""

    landmarks: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    timestamps: np.ndarray
    sightings: int = 0
    damaged: int = 0


def default_jobs() -> int:
    """The cores this process may use (its CPU affinity, so a pinned batch worker gets its own)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def plan_segments(
    duration_s: float, fps: float, jobs: int, overlap_s: float = OVERLAP_S
) -> list[Segment]:
    """Split a video of ``duration_s`` seconds at ``fps`` into up to ``jobs`` segments of
    about equal length, at least `MIN_SEGMENT_S` each, bounds on frame times (multiples of
    ``1 / fps``); one segment covering everything when the video is shorter than
    `MIN_PARALLEL_S` or ``jobs`` is 1."""
    if jobs < 1:
        raise ValueError(f"expected at least 1 job, got {jobs}")
    whole = [Segment(0, 0.0, 0.0, float("inf"))]
    if not (np.isfinite(duration_s) and fps > 0) or duration_s < MIN_PARALLEL_S:
        return whole
    count = min(jobs, int(duration_s // MIN_SEGMENT_S))
    if count < 2:
        return whole
    frames = round(duration_s * fps)
    starts = [round(k * frames / count) / fps for k in range(count)]
    ends = [*starts[1:], float("inf")]
    return [
        Segment(k, max(0.0, a - overlap_s) if k else 0.0, a, b)
        for k, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]


def stitch(
    segments: Sequence[Segment], parts: Sequence[SegmentPoses], fps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(landmarks, world, visibility, timestamps)`` of the whole video from each segment's
    own frames (warm-up frames dropped: the segment before has been tracking there longer).

    Raises ``ValueError`` if a segment's own frames do not begin at its start (a gap) or the
    stitched timestamps do not strictly increase (segments that do not line up)."""
    half = 0.5 / fps
    keep = [
        (p.timestamps >= s.start_s - half) & (p.timestamps < s.end_s - half)
        for s, p in zip(segments, parts, strict=True)
    ]
    for s, p, k in zip(segments[1:], parts[1:], keep[1:], strict=True):
        if k.any() and p.timestamps[k][0] > s.start_s + half:
            raise ValueError(f"segment timestamps do not line up: a gap before {s.start_s:.3f} s")
    out = tuple(
        np.concatenate([getattr(p, name)[k] for p, k in zip(parts, keep, strict=True)])
        for name in ("landmarks", "world", "visibility", "timestamps")
    )
    if np.any(np.diff(out[3]) <= 0):
        raise ValueError("segment timestamps do not line up")
    return out  # type: ignore[return-value]


class _Fallback(Exception):
    """Parallel extraction cannot be trusted for this video: run it in one process."""


class _Several(Exception):
    """The scouts saw several people: run the several-people pass over the whole video."""


def extract(
    path: str | Path,
    model: Any = None,
    progress: bool = True,
    *,
    jobs: int | None = None,
    **options: Any,
) -> PoseSequence:
    """`formcheck.media.pose.extract` on ``jobs`` cores (default: `default_jobs`); same
    arguments, same result (see the module docstring for how and when it runs in one process).
    """
    from .model import ModelFile, resolve_model
    from .video import probe

    path = Path(path)
    info = probe(path)
    model_file = model if isinstance(model, ModelFile) else resolve_model(model)
    segments = plan_segments(info.duration_s, info.fps, jobs or default_jobs())
    if len(segments) > 1:
        try:
            return _extract_parallel(path, info, model_file, segments, progress, options)
        except _Several:
            from .pose import extract_several

            return extract_several(path, model_file, progress, **options)
        except _Fallback:
            pass
    from .pose import extract as extract_one

    return extract_one(path, model=model_file, progress=progress, **options)


def _extract_parallel(
    path: Path,
    info: Any,
    model_file: Any,
    segments: list[Segment],
    progress: bool,
    options: dict[str, Any],
) -> PoseSequence:
    from .model import MAX_POSES

    max_people = options.get("max_people", MAX_POSES)
    thresholds = {k: v for k, v in options.items() if k not in ("max_people", "prefetch")}
    told: Any = multiprocessing.get_context("spawn").SimpleQueue()
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(len(segments) - 1, told))
        futures = [
            pool.submit(_run_segment, path, s, model_file, info, max_people, thresholds)
            for s in segments[1:]
        ]
        # imported once the workers are starting: mediapipe's import overlaps theirs
        from .pose import SCOUT_SIGHTINGS, _mediapipe_version, _progress, extract_segment

        advance = stack.enter_context(_progress(info, progress))

        def tick(k: int) -> None:
            advance(k + _drain(told))

        try:
            parts = [
                extract_segment(
                    path,
                    segments[0],
                    model_file,
                    info,
                    max_people=max_people,
                    advance=tick,
                    **thresholds,
                )
            ]
            for future in futures:
                if sum(p.sightings for p in parts) >= SCOUT_SIGHTINGS:
                    raise _Several  # the workers still running are stopped
                while True:
                    try:
                        parts.append(future.result(timeout=0.2))
                        break
                    except concurrent.futures.TimeoutError:
                        tick(0)
        except (InputError, concurrent.futures.process.BrokenProcessPool) as exc:
            # cannot seek, frames without timestamps; a worker killed (out of memory?) or one
            # that could not start (a parent run from stdin, which spawn cannot re-import)
            raise _Fallback from exc
        except _Several:
            several = True
        else:
            several = sum(p.sightings for p in parts) >= SCOUT_SIGHTINGS
            tick(0)
        if several:  # leaving the pool's block by an exception stops its workers
            raise _Several
    if sum(p.damaged for p in parts):
        raise _Fallback
    try:
        landmarks, world, visibility, timestamps = stitch(segments, parts, info.fps)
    except ValueError as exc:
        raise _Fallback from exc
    detected = np.isfinite(landmarks).all(axis=(1, 2))
    meta = {
        "model": model_file.path.name,
        "mediapipe": _mediapipe_version(),
        "rotation": str(info.rotation),
        "codec": info.codec,
        "people_seen": str(int(detected.any())),
    }
    return PoseSequence(
        landmarks=landmarks,
        world=world,
        visibility=visibility,
        timestamps=timestamps,
        fps=info.fps,
        image_size=(info.width, info.height),
        source=str(path),
        model_sha256=model_file.sha256,
        meta=meta,
    )


def _drain(told: Any) -> int:
    """Frames the workers have reported since the last call."""
    k = 0
    while not told.empty():
        k += told.get()
    return k


@contextlib.contextmanager
def worker_pool(workers: int, told: Any = None) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes (see `_init_worker`; ``told`` a progress queue
    they may report to). Left normally it waits for their work; left by an exception (an error,
    Ctrl-C, SIGTERM) it stops them at once instead of letting them finish segments nobody will
    read."""
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(told,),
    )
    try:
        yield pool
    except BaseException:
        stop = getattr(pool, "terminate_workers", None)  # Python 3.14
        if stop is not None:
            stop()
        else:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


_told: Any = None  # a worker process's progress queue (set by `_init_worker`)


def _init_worker(told: Any) -> None:
    """Set up a worker: its progress queue; Ctrl-C ignored (the parent stops the workers, see
    `worker_pool`, and reports it once); killed by the kernel if the parent dies."""
    global _told
    _told = told
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..batch.worker import _die_with_parent  # the one place that knows how (Linux prctl)

    _die_with_parent()


def _run_segment(
    path: Path,
    segment: Segment,
    model_file: Any,
    info: Any,
    max_people: int,
    thresholds: dict[str, float],
) -> SegmentPoses:
    """A worker process's job: `formcheck.media.pose.extract_segment` (the model keeps itself
    offline: `formcheck.media.model.create_landmarker` calls ``keep_offline`` first)."""
    from .pose import extract_segment

    report: Callable[[int], None] | None = _told.put if _told is not None else None
    return extract_segment(
        path, segment, model_file, info, max_people=max_people, advance=report, **thresholds
    )
