"""Video sources: probe a file and read its frames upright, as RGB arrays, with container timestamps.

Everything that reads video goes through here (PyAV). Rotation metadata (the
display matrix phones write for portrait video) is applied, so frames come out
the way a player shows them. Bad files raise :class:`~formcheck.errors.InputError`
with one line naming the file and the problem.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import DamagedVideoWarning, InputError

#: FFmpeg demuxers that read still images; formcheck needs a video.
_IMAGE_FORMATS = frozenset({"image2", "gif", "apng", "webp", "ico", "tiff", "bmp"})


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, in upright (displayed) orientation.

    ``fps`` is the container's average frame rate as a float (29.97 stays 29.97);
    ``frame_count`` is the container's count, or an estimate from ``duration_s * fps``
    when the container does not store one; ``rotation`` is the clockwise rotation in
    degrees (0, 90, 180, 270) applied to the stored frames to show them upright.
    """

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation: int
    codec: str


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes), expected a video")


def _open(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open ``path`` for reading; returns the container and its first real video stream (not cover art)."""
    _check_file(path)
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable video ({_reason(exc)})") from None
    fmt = container.format.name
    if fmt == "tty":  # FFmpeg plays .txt/.ans files as ANSI art
        container.close()
        raise InputError(f"{path}: is a text file, expected a video")
    if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
        kind = _image_kind(container, fmt)
        container.close()
        raise InputError(f"{path}: is an image ({kind}), expected a video")
    cover_art = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not s.disposition & cover_art]
    if not videos:
        found = ", ".join(
            sorted({"cover art" if s.type == "video" else s.type for s in container.streams})
        )
        container.close()
        raise InputError(
            f"{path}: contains no video stream (found {found or 'nothing'}), expected a video"
        )
    return container, videos[0]


#: What people call the images FFmpeg's image demuxers read, by codec.
_IMAGE_KINDS = {"mjpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP", "bmp": "BMP"}


def _image_kind(container: av.container.InputContainer, fmt: str) -> str:
    """ "JPEG", "PNG", ... for an image container (FFmpeg's demuxer names, e.g. "image2", mean
    nothing to people)."""
    codec = container.streams.video[0].codec_context.name if container.streams.video else ""
    return _IMAGE_KINDS.get(codec) or (codec or fmt.removesuffix("_pipe")).upper()


def _reason(exc: BaseException) -> str:
    """FFmpeg's message without the file name it repeats."""
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).split(": '")[0].strip().rstrip(".") or type(exc).__name__


def _rotation(frame: av.VideoFrame) -> int:
    """Clockwise degrees that turn ``frame`` upright (PyAV reports the counter-clockwise angle)."""
    return int(-round(frame.rotation / 90.0) * 90) % 360


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate ``rgb`` clockwise by ``rotation`` degrees; always C-contiguous (mp.Image ignores strides)."""
    if rotation:
        rgb = np.rot90(rgb, k=-(rotation // 90))
    return np.ascontiguousarray(rgb)


def _rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    return None


def probe(path: str | Path) -> VideoInfo:
    """Read a video's size, frame rate, length, rotation and codec (decodes the first frame only)."""
    path = Path(path)
    container, stream = _open(path)
    with container:
        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError as exc:
            raise InputError(f"{path}: no decodable video frames ({_reason(exc)})") from None
        if first is None:
            raise InputError(f"{path}: no decodable video frames")
        rotation = _rotation(first)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        rate = _rate(stream)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        if rate is None:
            raise InputError(f"{path}: the container gives no frame rate, expected a video")
        frame_count = stream.frames or round(duration * float(rate))
        return VideoInfo(
            path=path,
            width=width,
            height=height,
            fps=float(rate),
            frame_count=int(frame_count),
            duration_s=duration,
            rotation=rotation,
            codec=stream.codec_context.name,
        )


#: Smallest width and height (pixels) formcheck analyses. A standing person fills at most the
#: frame's height, so below 64 px a shank spans under about 10 px: a one-pixel landmark error then
#: turns a knee angle by 5 degrees or more, as much as the rules' tolerances (e.g. knee valgus),
#: and the pose model (224-256 px inputs) sees the person upscaled more than 4 times.
MIN_SIDE_PX = 64


def check_size(info: VideoInfo) -> None:
    """Raise :class:`InputError` if the video is too small to find and measure a person in."""
    if min(info.width, info.height) < MIN_SIDE_PX:
        raise InputError(
            f"{info.path}: video too small ({info.width}x{info.height} pixels), expected at least "
            f"{MIN_SIDE_PX} pixels on each side to find and measure a person"
        )


#: Largest share of a video's frames that may be lost to damaged packets for it to be analysed.
#: A rep lasts 2-4 s; past a tenth of the frames, gaps are likely to swallow a rep's bottom or
#: turning points, and the count and scores of the set could not be trusted.
MAX_DAMAGED_SHARE = 0.10


def _time_ranges(times_s: list[float], period: float) -> str:
    """``"1.20-1.47 s, 3.03 s"``: ``times_s`` (sorted) grouped into runs of consecutive frames."""
    runs: list[list[float]] = []
    for t in times_s:
        if runs and t - runs[-1][1] <= 1.5 * period:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    text = [f"{a:.2f}-{b:.2f} s" if b > a else f"{a:.2f} s" for a, b in runs[:5]]
    return ", ".join(text) + (f" and {len(runs) - 5} more" if len(runs) > 5 else "")


def _decode(path: Path, threads: bool) -> Iterator[tuple[float, np.ndarray]]:
    """Frames of ``path``, packet by packet, so a damaged packet costs its frame, not the video.

    Frames lost to damaged packets are told apart from a file cut off (fewer packets than its
    index lists): up to `MAX_DAMAGED_SHARE` lost, the rest is read and a `DamagedVideoWarning`
    names the time ranges; more, and `InputError` refuses the video (after the last frame). A cut
    off file is read up to the cut with a warning."""
    container, stream = _open(path)
    with container:
        if threads:
            stream.thread_type = "AUTO"
        rate = _rate(stream)
        period = 1.0 / float(rate) if rate else 1.0 / 30.0
        num, den = stream.time_base.numerator, stream.time_base.denominator
        pts0: int | None = None
        last = -np.inf
        n = 0
        sent: list[int] = []  # pts of the coded frames the file holds
        shown: set[int] = set()  # pts of the frames decoded
        cut = ""  # why demuxing stopped early, if it did
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as exc:  # the container itself is broken from here on
                cut = _reason(exc)
                break
            if packet.size and packet.pts is not None:
                sent.append(packet.pts)
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue  # a damaged packet: its frame is missing (counted below)
            for frame in frames:
                if frame.pts is None:
                    t = last + period if n else 0.0
                else:
                    shown.add(frame.pts)
                    if pts0 is None:
                        pts0 = frame.pts
                    t = (frame.pts - pts0) * num / den
                if t <= last:  # broken containers repeat timestamps: keep them strictly increasing
                    t = last + period
                last = t
                n += 1
                yield t, _upright(frame.to_ndarray(format="rgb24"), _rotation(frame))
        if n == 0:
            raise InputError(f"{path}: no decodable video frames")
        base = min(sent) if sent else 0
        missing = set(sent) - shown
        declared = stream.frames
        truncated = bool(cut) or bool(declared and len(sent) < 0.95 * declared - 2)
        if truncated and shown:  # the frames after the last one shown went with the cut
            missing = {p for p in missing if p < max(shown)}
        lost = sorted((p - base) * num / den for p in missing)
        total = max(len(sent), 1)
        if len(lost) > MAX_DAMAGED_SHARE * total:
            raise InputError(
                f"{path}: corrupt video data, {len(lost)} of its {total} frames cannot be decoded "
                f"({_time_ranges(lost, period)}); formcheck analyses a video with at most "
                f"{MAX_DAMAGED_SHARE:.0%} of its frames lost"
            )
        if lost:
            warnings.warn(
                DamagedVideoWarning(
                    f"{path}: {len(lost)} damaged frame{'s' if len(lost) != 1 else ''} skipped "
                    f"({_time_ranges(lost, period)}); the analysis has gaps there"
                ),
                stacklevel=2,
            )
        if truncated:
            end = (max(sent, default=base) - base) * num / den
            whole = f" of {declared * period:.2f} s ({len(sent)} of its {declared} frames)"
            warnings.warn(
                DamagedVideoWarning(
                    f"{path}: truncated video, the file stops at {end:.2f} s"
                    f"{whole if declared else f' ({cut})'}; analysed up to there"
                ),
                stacklevel=2,
            )


def read_frames(
    path: str | Path, *, prefetch: int = 0, threads: bool = True
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(timestamp_s, rgb)`` for every frame of the first video stream.

    ``timestamp_s`` is the frame's presentation time from the container (pts x
    time_base) relative to the first frame, strictly increasing. ``rgb`` is an
    upright ``(height, width, 3)`` uint8 C-contiguous array. ``threads`` turns on
    FFmpeg's frame/slice-threaded decoding. ``prefetch > 0`` decodes in a
    background thread, up to ``prefetch`` frames ahead, so decoding overlaps
    whatever the caller does with each frame (PyAV and MediaPipe release the GIL).
    """
    path = Path(path)
    _check_file(path)
    frames = _decode(path, threads)
    return _prefetched(frames, prefetch) if prefetch > 0 else frames


@dataclass
class SegmentRead:
    """What `read_segment` met on its way: frames decoded before the wanted ones (``lead``) and
    packets that would not decode (``damaged``); filled in while its frames are read."""

    lead: int = 0
    damaged: int = 0


def read_segment(
    path: str | Path, start_s: float, end_s: float, read: SegmentRead | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(timestamp_s, rgb)`` for the frames with ``start_s <= timestamp_s < end_s``.

    Seeks to the keyframe at or before ``start_s`` and decodes on from there, so a segment of a
    long video costs its own frames plus at most one keyframe interval. Timestamps are the
    container's, relative to the video's first frame, exactly as `read_frames` gives them for a
    well-formed video; frames come upright and C-contiguous. Damaged packets are skipped and
    counted in ``read.damaged`` (the caller decides: `read_frames` is the reader that names
    them). Raises `InputError` if the container cannot seek to ``start_s`` (its first frame
    after the seek comes later than ``start_s``) or has frames without timestamps.
    """
    path = Path(path)
    read = read if read is not None else SegmentRead()
    container, stream = _open(path)
    with container:
        rate = _rate(stream)
        period = 1.0 / float(rate) if rate else 1.0 / 30.0
        tb = stream.time_base
        first = next(container.decode(stream), None)
        if first is None or first.pts is None:
            raise InputError(f"{path}: no decodable video frames with timestamps")
        pts0 = first.pts
        if start_s > 0:
            container.seek(pts0 + int(start_s / tb), stream=stream, backward=True)
        last = -np.inf
        seen = False
        for frames in _packet_frames(container, stream, [] if start_s > 0 else [first], read):
            for frame in frames:
                if frame.pts is None:
                    raise InputError(f"{path}: a frame without a timestamp, cannot seek in it")
                t = float((frame.pts - pts0) * tb)
                if not seen and t > start_s + 0.5 * period:
                    raise InputError(f"{path}: seeking to {start_s:.2f} s landed at {t:.2f} s")
                seen = True
                if t < start_s - 0.5 * period:
                    read.lead += 1
                    continue
                if t >= end_s - 0.5 * period:
                    return
                if t <= last:
                    t = last + period
                last = t
                yield t, _upright(frame.to_ndarray(format="rgb24"), _rotation(frame))


def _packet_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    decoded: list[av.VideoFrame],
    read: SegmentRead,
) -> Iterator[list[av.VideoFrame]]:
    """The frames already ``decoded``, then each packet's frames from where the container is;
    packets that do not decode are counted in ``read.damaged``."""
    yield decoded
    for packet in container.demux(stream):
        try:
            yield packet.decode()
        except av.FFmpegError:
            read.damaged += 1


_DONE = object()


def _prefetched(
    frames: Iterator[tuple[float, np.ndarray]], size: int
) -> Iterator[tuple[float, np.ndarray]]:
    """Run ``frames`` in a daemon thread, ``size`` items ahead; errors are re-raised in the consumer."""
    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in frames:
                if not put(item):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        else:
            put(_DONE)
        finally:
            frames.close()

    worker = threading.Thread(target=work, name="formcheck-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


#: Wanted frames closer than this (seconds) to the last decoded one are reached by decoding on, not seeking.
SEEK_AHEAD_S = 1.0
#: Frames other frames do not reference are skipped until this close (seconds) to a wanted one,
#: which roughly halves the frames decoded to reach it from its keyframe.
NEAR_S = 0.3


def frames_at(path: str | Path, times_s: Sequence[float]) -> dict[float, np.ndarray]:
    """Upright RGB frames at ``times_s`` (seconds from the first frame, as in `PoseSequence`).

    Each time maps to the first frame at or after it (within half a frame period).
    Seeks to each wanted frame (the nearest keyframe before it, then decodes forward),
    so a handful of stills from a long 1080p video costs a few dozen decoded frames,
    not the whole video. Holds every frame asked for at once: for many, use `iter_frames_at`.
    """
    return dict(iter_frames_at(path, times_s))


def iter_frames_at(
    path: str | Path, times_s: Sequence[float]
) -> Iterator[tuple[float, np.ndarray]]:
    """`frames_at` one ``(time, frame)`` at a time, in time order, so that only one decoded frame
    is held at once (120 bottom-of-rep stills of a 1080p video are 750 MB together)."""
    wanted = sorted(set(float(t) for t in times_s))
    if not wanted:
        return
    path = Path(path)
    container, stream = _open(path)
    with container:
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        first = next(container.decode(stream))
        t0 = float(first.time or 0.0)
        rate = stream.average_rate or stream.guessed_rate
        half = 0.5 / float(rate) if rate else 0.02
        frames = None
        current = -np.inf
        for t in wanted:
            target = t0 + t
            if frames is None or target - current > SEEK_AHEAD_S:
                container.seek(int(target / float(stream.time_base)), stream=stream, backward=True)
                frames = container.decode(stream)
            best = None
            ctx.skip_frame = "NONREF" if target - current > NEAR_S else "DEFAULT"
            for frame in frames:
                best = frame
                current = float(frame.time) if frame.pts is not None else current
                if current >= target - NEAR_S:
                    ctx.skip_frame = "DEFAULT"  # decode every frame near the wanted one
                if current >= target - half:
                    break
            if best is not None:
                yield t, _upright(best.to_ndarray(format="rgb24"), _rotation(best))
