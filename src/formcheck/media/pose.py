"""Pose extraction: video file -> `PoseSequence` with MediaPipe ``PoseLandmarker``.

The only module that runs MediaPipe inference. Frames are decoded (upright, RGB)
by :mod:`formcheck.media.video` in a background thread so decoding overlaps inference;
the per-frame Python work is one ``detect_for_video`` call and one row copy into
preallocated arrays.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ..core.landmarks import NUM_LANDMARKS
from ..core.people import Person, boxes, choose, distinct, squatter_slots
from ..core.sequence import PoseSequence
from ..errors import ModelError
from .model import MAX_POSES, ModelFile, open_landmarker, resolve_model
from .mp_tasks import pose_api
from .parallel import Segment, SegmentPoses
from .video import SegmentRead, VideoInfo, _prefetched, probe, read_frames, read_segment

log = logging.getLogger(__name__)
#: MediaPipe's pose landmarker classes, imported with this module (only those: `pose_api`).
MP = pose_api()

#: Frames decoded ahead of inference by the background decoder.
PREFETCH_FRAMES = 8
#: Frames decoded ahead in each segment of a parallel run (`extract_segment`). Decoding a frame
#: takes a fraction of the model's time on it, so two keep the model fed; every frame more holds
#: another decoded RGB frame (6 MB at 1080p) in each of the processes: 8 cost about 45 MB more
#: peak memory per process than 2 on a 1080p video, which the 1 GB budget of a 2-process run
#: could not spare.
SEGMENT_PREFETCH_FRAMES = 2
#: Videos with at least this many frames get a progress bar (when stderr is a terminal).
PROGRESS_MIN_FRAMES = 100
#: Seconds between the frames on which a second landmarker looks for more than one person.
#: Someone who stays in view for less than this cannot become the analysed person anyway (the
#: one-person landmarker keeps following whom it tracks); every 0.5 s costs about 12 % of the
#: one-person time (``benchmarks/bench_people.py --cost``): a scout frame runs the person
#: detector and up to 3 landmark models, about twice a tracked frame's work.
SCOUT_S = 0.5
#: Scout frames with more than one person that make the video run again for several people:
#: two, so one false detection (a poster, a coat) does not double the time.
SCOUT_SIGHTINGS = 2


def results_to_arrays(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """First pose of a ``PoseLandmarkerResult`` as arrays, or ``None`` when no person was found.

    Returns ``(landmarks, world, visibility)``: ``(33, 3)`` normalised image x, y, z;
    ``(33, 3)`` world x, y, z in metres; ``(33,)`` visibility in [0, 1] (NaN when
    the model gives none). Usable for VIDEO and LIVE_STREAM results alike.
    """
    if not result.pose_landmarks:
        return None
    return _pose_arrays(result.pose_landmarks[0], result.pose_world_landmarks[0])


def results_to_poses(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pose of a ``PoseLandmarkerResult`` as arrays ``(P, 33, 3)`` image, ``(P, 33, 3)``
    world and ``(P, 33)`` visibility, ``P`` the number of people found (0 to ``num_poses``)."""
    poses = [_pose_arrays(image, world) for image, world in _pose_pairs(result)]
    if not poses:
        empty = np.empty((0, NUM_LANDMARKS, 3))
        return empty, empty.copy(), np.empty((0, NUM_LANDMARKS))
    image, world, vis = (np.stack(a) for a in zip(*poses, strict=True))
    return image, world, vis


def _pose_pairs(result: Any) -> list[tuple[Any, Any]]:
    return list(zip(result.pose_landmarks or [], result.pose_world_landmarks or [], strict=False))


def _pose_arrays(pose: Any, world_pose: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = np.array(
        [(p.x, p.y, p.z, np.nan if p.visibility is None else p.visibility) for p in pose],
        dtype=np.float64,
    )
    world = np.array([(p.x, p.y, p.z) for p in world_pose], dtype=np.float64)
    if image.shape != (NUM_LANDMARKS, 4) or world.shape != (NUM_LANDMARKS, 3):
        raise ModelError(
            f"expected {NUM_LANDMARKS} image and world landmarks per pose, got {len(image)} and {len(world)}"
        )
    return image[:, :3], world, image[:, 3]


def to_mp_image(rgb: np.ndarray) -> Any:
    """An ``mp.Image`` of an RGB uint8 array (made C-contiguous first: ``mp.Image`` ignores strides)."""
    return MP.Image(image_format=MP.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


@contextmanager
def _progress(info: VideoInfo, enabled: bool, label: str = "") -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr, shown for long videos when stderr is a terminal."""
    stream = sys.stderr
    if not (
        enabled
        and info.frame_count >= PROGRESS_MIN_FRAMES
        and stream is not None
        and stream.isatty()
    ):
        yield lambda k=1: None
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
        task = bar.add_task(f"pose {info.path.name}{label}", total=info.frame_count)
        yield lambda k=1: bar.advance(task, k)


def _mediapipe_version() -> str:
    try:
        return version("mediapipe")
    except PackageNotFoundError:
        return "unknown"


class _SecondPerson(Exception):
    """The scout saw more than one person: start over looking for several."""


def extract(
    path: str | Path,
    model: str | Path | ModelFile | None = None,
    progress: bool = True,
    *,
    prefetch: int = PREFETCH_FRAMES,
    max_people: int = MAX_POSES,
    **thresholds: float,
) -> PoseSequence:
    """Run the pose model on every frame of a video; the pose sequence of the person who squats.

    ``model`` is a path (or a checked :class:`~formcheck.media.model.ModelFile`); ``None``
    picks ``$FORMCHECK_MODEL`` or the bundled model. ``thresholds`` are
    ``min_detection_confidence``, ``min_presence_confidence``,
    ``min_tracking_confidence`` (default 0.5 each). Frames with no person are NaN
    rows. Raises :class:`~formcheck.errors.InputError` for an unreadable video and
    :class:`~formcheck.errors.ModelError` for an unusable model.

    Several people (``max_people`` > 1): the video is first run for one person, as fast as
    before, while a second landmarker looking for ``max_people`` runs every :data:`SCOUT_S`
    seconds. When it finds more than one person on :data:`SCOUT_SIGHTINGS` of its frames, the
    video is run again with both landmarkers on every frame: `formcheck.core.people.choose`
    finds the one who squats among the people the second one tracks, and
    `formcheck.core.people.squatter_slots` keeps the one-person landmarks wherever they are
    that person's (the one-person landmarker, tracking one body, loses it on fewer frames) and
    that person's from the other landmarker where they are someone else's. ``meta["people"]``
    lists everyone tracked, best first; ``meta["people_seen"]`` is the most people in view at
    once. The scout makes a one-person video about 12 % slower; looking for three people on every
    frame of every video would cost about a third more, and more again with the one-person
    landmarker beside it (``benchmarks/bench_people.py``, figures in ``benchmarks/RESULTS.md``).
    """
    path = Path(path)
    info = probe(path)
    model_file = model if isinstance(model, ModelFile) else resolve_model(model)
    if max_people > 1:
        try:
            return _extract(
                path, info, model_file, max_people, True, progress, prefetch, thresholds
            )
        except _SecondPerson:
            pass
    return _extract(path, info, model_file, max_people, False, progress, prefetch, thresholds)


def extract_several(
    path: str | Path,
    model_file: ModelFile,
    progress: bool = True,
    *,
    prefetch: int = PREFETCH_FRAMES,
    max_people: int = MAX_POSES,
    **thresholds: float,
) -> PoseSequence:
    """The several-people pass of :func:`extract` alone: both landmarkers on every frame (what
    `extract` runs once its scout has seen more than one person)."""
    path = Path(path)
    info = probe(path)
    return _extract(path, info, model_file, max_people, False, progress, prefetch, thresholds)


def extract_segment(
    path: str | Path,
    segment: Segment,
    model_file: ModelFile,
    info: VideoInfo,
    *,
    max_people: int = MAX_POSES,
    advance: Callable[[int], None] | None = None,
    **thresholds: float,
) -> SegmentPoses:
    """One-person landmarks of the frames from ``segment.warm_s`` to ``segment.end_s`` (seconds),
    with a fresh landmarker, for `formcheck.media.parallel.extract`.

    The landmarker starts tracking at ``warm_s``; the frames before ``start_s`` are the warm-up
    the stitch drops. With ``max_people`` > 1 a scout looks for several people on the frames of
    ``start_s`` to ``end_s`` whose index is a multiple of ``SCOUT_S * fps``, as :func:`extract`
    does, and the segment stops early once it has :data:`SCOUT_SIGHTINGS` sightings.
    ``advance(k)`` is told every few own frames.
    """
    path = Path(path)
    capacity = round((min(segment.end_s, info.duration_s + 1.0) - segment.warm_s) * info.fps) + 8
    capacity = max(capacity, 8)
    landmarks = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
    world = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
    visibility = np.full((capacity, NUM_LANDMARKS), np.nan)
    timestamps = np.empty(capacity)
    scout_every = max(1, round(SCOUT_S * info.fps))
    size = np.array([info.width, info.height], dtype=np.float64)
    read = SegmentRead()
    sightings = 0
    n = own = told = 0
    last_ms = -1
    with contextlib.ExitStack() as stack:
        landmarker = stack.enter_context(
            open_landmarker(model_file, mode="video", num_poses=1, **thresholds)
        )
        scout = (
            stack.enter_context(
                open_landmarker(model_file, mode="video", num_poses=max_people, **thresholds)
            )
            if max_people > 1
            else None
        )
        frames = read_segment(path, segment.warm_s, segment.end_s, read)
        decoded = stack.enter_context(
            contextlib.closing(_prefetched(frames, SEGMENT_PREFETCH_FRAMES))
        )
        for t, rgb in decoded:
            if n == capacity:
                capacity *= 2
                landmarks, world, visibility, timestamps = (
                    _grown(a, capacity) for a in (landmarks, world, visibility, timestamps)
                )
            ms = max(round(t * 1000.0), last_ms + 1)  # as `extract` numbers them
            last_ms = ms
            if n == 0:
                _log_first_frame()
            image = to_mp_image(rgb)
            found = results_to_poses(landmarker.detect_for_video(image, ms))
            if len(found[0]):
                landmarks[n], world[n], visibility[n] = (a[0] for a in found)
            timestamps[n] = t
            n += 1
            if t < segment.start_s - 0.5 / info.fps:
                continue  # warm-up: no scout, no progress
            own += 1
            if scout is not None and round(t * info.fps) % scout_every == 0:
                people = results_to_poses(scout.detect_for_video(image, ms))[0]
                sightings += int(distinct(boxes(people[:, :, :2] * size)).sum()) > 1
                if sightings >= SCOUT_SIGHTINGS:
                    break
            if advance is not None and own - told >= 10:
                advance(own - told)
                told = own
        if advance is not None and own > told:
            advance(own - told)
    return SegmentPoses(
        landmarks=landmarks[:n],
        world=world[:n],
        visibility=visibility[:n],
        timestamps=timestamps[:n],
        sightings=sightings,
        damaged=read.damaged,
    )


def _log_first_frame() -> None:
    """Debug log: the first frame goes into the model now; this process's CPU seconds so far
    (start-up: imports and landmarkers; ``benchmarks/bench_analyze.py --startup`` reads it)."""
    log.debug("first frame into the model (%.3f CPU s)", time.process_time())


def _extract(
    path: Path,
    info: VideoInfo,
    model_file: ModelFile,
    max_people: int,
    scouting: bool,
    progress: bool,
    prefetch: int,
    thresholds: dict[str, float],
) -> PoseSequence:
    """One pass over the video. The one-person landmarker runs on every frame; with
    ``scouting`` a ``max_people`` landmarker looks every :data:`SCOUT_S` and raises
    `_SecondPerson`, without it that landmarker runs on every frame too and
    `formcheck.core.people` picks, frame by frame, the squatter's landmarks of the two."""
    several = 0 if scouting or max_people < 2 else max_people
    capacity = max(info.frame_count, 1) + 8
    slots = 1 + several  # slot 0: the one-person landmarker; then each person found by the other
    landmarks = np.full((capacity, slots, NUM_LANDMARKS, 3), np.nan)
    world = np.full((capacity, slots, NUM_LANDMARKS, 3), np.nan)
    visibility = np.full((capacity, slots, NUM_LANDMARKS), np.nan)
    timestamps = np.empty(capacity)
    scout_every = max(1, round(SCOUT_S * info.fps)) if scouting else 1
    sightings = 0
    n = 0
    last_ms = -1
    with contextlib.ExitStack() as stack:
        landmarker = stack.enter_context(
            open_landmarker(model_file, mode="video", num_poses=1, **thresholds)
        )
        others = (
            stack.enter_context(
                open_landmarker(model_file, mode="video", num_poses=max_people, **thresholds)
            )
            if max_people > 1
            else None
        )
        label = f" ({max_people} people)" if several else ""
        advance = stack.enter_context(_progress(info, progress, label))
        # decode in the prefetch thread without FFmpeg's own frame threads: the landmarker's graph
        # already keeps both cores busy, and extra decoder threads cost ~4 % of the rate
        # (bench_extract on a quiet machine: 0.89x -> 0.92x of the bare model)
        decoded = stack.enter_context(
            contextlib.closing(read_frames(path, prefetch=prefetch, threads=False))
        )
        for t, rgb in decoded:
            if n == capacity:  # the container under-declared its frame count
                capacity *= 2
                landmarks, world, visibility, timestamps = (
                    _grown(a, capacity) for a in (landmarks, world, visibility, timestamps)
                )
            ms = round(t * 1000.0)
            if ms <= last_ms:  # above 1000 fps two frames can share a millisecond
                ms = last_ms + 1
            last_ms = ms
            if n == 0:
                _log_first_frame()
            image = to_mp_image(rgb)
            found = results_to_poses(landmarker.detect_for_video(image, ms))
            k = min(len(found[0]), 1)
            landmarks[n, :k], world[n, :k], visibility[n, :k] = (a[:k] for a in found)
            timestamps[n] = t
            if others is not None and n % scout_every == 0:
                found = results_to_poses(others.detect_for_video(image, ms))
                if scouting:
                    size = np.array([info.width, info.height], dtype=np.float64)
                    sightings += int(distinct(boxes(found[0][:, :, :2] * size)).sum()) > 1
                    if sightings >= SCOUT_SIGHTINGS:
                        raise _SecondPerson
                else:
                    k = 1 + len(found[0])
                    landmarks[n, 1:k], world[n, 1:k], visibility[n, 1:k] = found
            n += 1
            advance()
    meta = {
        "model": model_file.path.name,
        "mediapipe": _mediapipe_version(),
        "rotation": str(info.rotation),
        "codec": info.codec,
    }
    landmarks, world, visibility, timestamps = (
        a[:n] for a in (landmarks, world, visibility, timestamps)
    )
    if not several:
        slot = np.where(np.isfinite(landmarks[:, 0]).all(axis=(1, 2)), 0, -1)
        meta["people_seen"] = str(int((slot == 0).any()))
    else:
        pixels = landmarks[..., :2] * np.array([info.width, info.height], dtype=np.float64)
        chosen = choose(pixels[:, 1:], info.fps, info.width)
        slot = squatter_slots(pixels[:, 0], pixels[:, 1:], chosen)
        meta["people_seen"] = str(chosen.at_once)
        meta["people"] = json.dumps([_person_entry(p) for p in chosen.people])
    rows = np.arange(n)
    picked = np.maximum(slot, 0)
    missing = slot < 0
    landmarks, world, visibility = (
        np.where(missing.reshape(-1, *([1] * (a.ndim - 2))), np.nan, a[rows, picked])
        for a in (landmarks, world, visibility)
    )
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


def _person_entry(p: Person) -> dict[str, Any]:
    """What the report says about one person seen (see `formcheck.core.people.Person`)."""
    return {
        "position": p.position,
        "coverage": round(p.coverage, 3),
        "hip_motion": round(p.hip_motion, 3),
        "torso_px": round(p.torso_px, 1),
        "score": round(p.score, 4),
    }


def _grown(a: np.ndarray, capacity: int) -> np.ndarray:
    out = np.full((capacity, *a.shape[1:]), np.nan)
    out[: len(a)] = a
    return out
