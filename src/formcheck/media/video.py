"""Video sources: probe a file and read its frames upright, as RGB arrays, with container timestamps.

Everything that reads video goes through here (PyAV). Rotation metadata (the
display matrix phones write for portrait video) is applied, so frames come out
the way a player shows them. Bad files raise :class:`~formcheck.errors.InputError`
with one line naming the file and the problem.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import InputError

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


def _decode(path: Path, threads: bool) -> Iterator[tuple[float, np.ndarray]]:
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
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    t = last + period if n else 0.0
                else:
                    if pts0 is None:
                        pts0 = frame.pts
                    t = (frame.pts - pts0) * num / den
                if t <= last:  # broken containers repeat timestamps: keep them strictly increasing
                    t = last + period
                last = t
                n += 1
                yield t, _upright(frame.to_ndarray(format="rgb24"), _rotation(frame))
        except av.FFmpegError as exc:
            declared = stream.frames
            if declared and _packets(path, stream.index) < 0.95 * declared - 2:
                raise InputError(
                    f"{path}: truncated video, decoded {n} of its {declared} frames"
                ) from None
            raise InputError(
                f"{path}: corrupt video data after frame {n} ({_reason(exc)})"
            ) from None
        if n == 0:
            raise InputError(f"{path}: no decodable video frames")
        if stream.frames and n < 0.95 * stream.frames - 2:
            raise InputError(f"{path}: truncated video, decoded {n} of its {stream.frames} frames")


def _packets(path: Path, index: int) -> int:
    """How many packets of stream ``index`` the file really holds (demuxed, not decoded):
    fewer than its index declares means the file was cut off."""
    n = 0
    try:
        with av.open(str(path)) as container:
            for packet in container.demux(container.streams[index]):
                n += bool(packet.size)
    except av.FFmpegError:
        pass
    return n


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
    not the whole video.
    """

    wanted = sorted(set(float(t) for t in times_s))
    out: dict[float, np.ndarray] = {}
    if not wanted:
        return out
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
                out[t] = _upright(best.to_ndarray(format="rgb24"), _rotation(best))
    return out
