"""`VideoWriter`: H.264 MP4 output that browsers and phones play, written atomically.

PyAV's bundled FFmpeg encodes with libx264 in ``yuv420p`` (the pixel format every
browser decodes), odd frame sizes are padded to even ones (4:2:0 chroma needs even
dimensions), and ``movflags=+faststart`` puts the index first so a browser can start
playing before the whole file has arrived. Frames go to a temporary file beside the
destination, which replaces the destination only when the writer closes without error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

#: x264 speed preset and constant rate factor of the videos formcheck writes (annotated.mp4, live
#: recordings): on annotated squat frames about the size and fidelity of ``superfast`` at crf 23
#: for less CPU, the overlay's text and lines alike (`benchmarks/bench_video.py`; figures in
#: benchmarks/RESULTS.md, "annotated.mp4 and start-up").
PRESET = "ultrafast"
CRF = 28
#: Turned back on over ``ultrafast``: CABAC entropy coding (much smaller files for little CPU) and
#: the deblocking filter (no 16x16 blocks on flat walls and floors at crf 28).
X264_PARAMS = "cabac=1:deblock=0,0"


def to_i420(rgb: np.ndarray) -> np.ndarray:
    """An RGB uint8 frame ``(H, W, 3)`` (even H and W) as planar YUV 4:2:0 ``(H * 3 // 2, W)``:
    BT.601 limited range, the matrix FFmpeg's swscale uses for an untagged ``yuv420p`` stream
    (luma within 1 level of it, chroma averaged over the same 2x2 blocks), for far less CPU."""
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)


class VideoWriter:
    """Write RGB ``(H, W, 3)`` uint8 frames to an H.264 MP4 file; use as a context manager.

    ``fps`` may be fractional (29.97 stays 29.97). ``crf`` is x264's constant rate factor
    (lower = better quality, 18-28 is sensible) and ``preset`` its speed (`PRESET`, `CRF`);
    `X264_PARAMS` are added to the preset. A keyframe every ``keyframe_s`` seconds keeps
    seeking in a browser (and in `formcheck.media.video.frames_at`) quick. On an exception
    inside the ``with`` block the temporary file is deleted and ``path`` is left untouched.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        size: tuple[int, int],
        crf: int = CRF,
        preset: str = PRESET,
        keyframe_s: float = 2.0,
    ) -> None:
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0:
            raise ValueError(f"size: expected positive (width, height), got {size}")
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps: expected a positive number, got {fps}")
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (width, height)
        self.encoded_size = (width + width % 2, height + height % 2)
        self.crf = int(crf)
        self.preset = preset
        self.gop = max(1, round(keyframe_s * self.fps))
        self.frames_written = 0
        self._container: Any = None
        self._stream: Any = None
        self._tmp: Path | None = None

    def open(self) -> VideoWriter:
        """Create the temporary file and the encoder."""
        import av

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.stem}-", suffix=".mp4", dir=self.path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        try:
            self._container = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
            rate = Fraction(self.fps).limit_denominator(1001)
            stream = self._container.add_stream("libx264", rate=rate)
            stream.width, stream.height = self.encoded_size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = self.gop
            stream.options = {
                "crf": str(self.crf),
                "preset": self.preset,
                "x264-params": X264_PARAMS,
            }
            self._stream = stream
        except Exception:
            self._discard()
            raise
        return self

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 frame of the writer's ``size``."""
        import av

        if self._stream is None:
            raise RuntimeError("VideoWriter: expected open() (or a with block) before write()")
        w, h = self.size
        if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame: expected uint8 array of shape {(h, w, 3)}, got {frame.dtype} {frame.shape}"
            )
        if self.encoded_size != self.size:
            ew, eh = self.encoded_size
            frame = np.pad(frame, ((0, eh - h), (0, ew - w), (0, 0)), mode="edge")
        packet_frame = av.VideoFrame.from_ndarray(to_i420(frame), format="yuv420p")
        for packet in self._stream.encode(packet_frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> Path:
        """Flush the encoder, close the file and move it to ``path``; returns ``path``."""
        if self._container is None:
            raise RuntimeError("VideoWriter: close() called on a writer that is not open")
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            self._container = None
        except Exception:
            self._discard()
            raise
        assert self._tmp is not None
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path

    def _discard(self) -> None:
        if self._container is not None:
            with contextlib.suppress(Exception):  # already failing; the temp file goes below
                self._container.close()
            self._container = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None

    def __enter__(self) -> VideoWriter:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()


def concatenate(parts: list[Path], path: str | Path) -> Path:
    """Join MP4 files written by `VideoWriter` with the same frame rate, size and settings into
    one MP4 at ``path`` (atomically, ``+faststart``), without re-encoding: each part's packets
    follow the previous part's, their timestamps shifted by its length. Each part begins with a
    keyframe (every `VideoWriter` file does), so the result plays and seeks like one encode."""
    import av

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".mp4", dir=path.parent)
    os.close(fd)
    try:
        with av.open(tmp, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = None
            offset = 0  # in the output stream's time base, where the next part starts
            for part in parts:
                with av.open(str(part)) as src:
                    video = src.streams.video[0]
                    if stream is None:
                        stream = out.add_stream_from_template(video)
                    end = offset
                    for packet in src.demux(video):
                        if packet.dts is None:  # the demuxer's end-of-stream flush packet
                            continue
                        packet.pts += offset
                        packet.dts += offset
                        end = max(end, packet.pts + (packet.duration or 0))
                        packet.stream = stream
                        out.mux(packet)
                    offset = end
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
