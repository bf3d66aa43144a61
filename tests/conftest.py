"""Shared fixtures: the repository root, real footage (skipped when absent), small videos made with PyAV."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_FOOTAGE = ROOT.parent / "shared" / "footage"
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_footage() -> Path:
    """``../shared/footage`` (real videos for evaluation); skips the test when it is absent."""
    if not SHARED_FOOTAGE.is_dir():
        pytest.skip(f"{SHARED_FOOTAGE} is absent")
    return SHARED_FOOTAGE


def chromium_console(url: str, *extra: str) -> list[str]:
    """Console lines Chromium logs while loading ``url`` headless (no network, throwaway profile).

    Skips the calling test when Chromium is not installed (``.ci/run`` installs it).
    """
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                *extra,
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [line.split("] ", 1)[-1] for line in proc.stderr.splitlines() if ":CONSOLE" in line]


def write_video(
    path: Path, frames: Sequence[np.ndarray], fps: int = 30, lossless: bool = True
) -> Path:
    """Encode RGB uint8 ``frames`` as H.264 MP4 with PyAV (lossless yuv444p by default)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv444p" if lossless else "yuv420p"
        if lossless:
            stream.options = {"crf": "0"}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def set_mp4_display_matrix(path: Path, a: int, b: int, c: int, d: int) -> None:
    """Overwrite the rotation part of the first track's ``tkhd`` matrix, as phones write it.

    ``(a, b, c, d) = (0, 1, -1, 0)`` is what a phone held upright writes: display the
    stored (landscape) frame rotated 90 degrees clockwise; FFmpeg reports it as a
    display-matrix rotation of -90 degrees (counter-clockwise).
    """
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    # type(4) version+flags(4) times/track id/duration(20 or 32) reserved(8) layer, group, volume, reserved(8)
    offset = at + 4 + 4 + (20 if version == 0 else 32) + 16

    def fixed(v: int) -> bytes:
        return struct.pack(">i", v * 65536)

    w = struct.pack(">i", 1 << 30)
    matrix = fixed(a) + fixed(b) + bytes(4) + fixed(c) + fixed(d) + bytes(4) + bytes(8) + w
    data[offset : offset + 36] = matrix
    path.write_bytes(bytes(data))


@pytest.fixture
def noise_video(tmp_path: Path) -> Path:
    """12 frames of uniform noise (no person), 160x120, 30 fps."""
    rng = np.random.default_rng(7)
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(12)]
    return write_video(tmp_path / "noise.mp4", frames, fps=30, lossless=False)


def _mux_silence(container, stream) -> None:  # noqa: ANN001 -- PyAV objects
    """Encode and mux 5 frames (1024 samples each) of mono silence at 44.1 kHz on ``stream``."""
    import av

    for i in range(5):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 44100, i * 1024
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def _zero_mdat(path: Path, start_fraction: float) -> None:
    """Overwrite the coded frames of an MP4 with zeros from ``start_fraction`` of the ``mdat`` payload on."""
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    end = at - 4 + struct.unpack(">I", data[at - 4 : at])[0]
    start = at + 4 + int((end - at - 4) * start_fraction)
    data[start:end] = bytes(end - start)
    path.write_bytes(bytes(data))


def _noise_frames(n: int, h: int = 64, w: int = 96) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def make_bad_input(kind: str, folder: Path) -> Path:
    """A file (or non-file) that formcheck must refuse as a video; ``kind`` is one of ``BAD_INPUTS``."""
    import av

    path = folder / f"{kind}.mp4"
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
    elif kind == "text_named_mp4":
        path.write_text("this is not a video\n")
    elif kind == "zero_bytes":
        path.touch()
    elif kind == "truncated":  # moov (the index) is at the end, so cutting the file loses it
        write_video(path, _noise_frames(20), lossless=False)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif kind == "truncated_faststart":  # index first: the frames it lists are gone
        data = _faststart_video(folder / "whole.mp4", 30).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "corrupt":
        write_video(path, _noise_frames(20), lossless=False)
        _zero_mdat(path, 0.5)
    elif kind == "no_decodable_frames":
        write_video(path, _noise_frames(10), lossless=False)
        _zero_mdat(path, 0.0)
    elif kind == "no_video_stream":
        with av.open(str(path), "w") as container:
            _mux_silence(container, container.add_stream("aac", rate=44100))
    elif kind == "audio_with_cover_art":  # a music file's picture is a one-frame "video" stream
        with av.open(str(path), "w") as container:
            audio = container.add_stream("aac", rate=44100)
            cover = container.add_stream("mjpeg")
            cover.width, cover.height, cover.pix_fmt = 32, 32, "yuvj420p"
            cover.disposition = av.stream.Disposition.attached_pic
            for packet in cover.encode(
                av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), "rgb24")
            ):
                container.mux(packet)
            for packet in cover.encode():
                container.mux(packet)
            _mux_silence(container, audio)
    elif kind == "ansi_text":  # FFmpeg would play a .ans text file as ANSI-art video
        path = folder / "notes.ans"
        path.write_text("hello\nworld\n")
    elif kind in ("image_png", "image_jpg"):
        import cv2

        path = folder / ("still.png" if kind == "image_png" else "still.jpg")
        cv2.imwrite(str(path), np.zeros((48, 64, 3), np.uint8))
    else:
        raise ValueError(f"unknown bad input kind {kind!r}")
    return path


def _faststart_video(path: Path, n: int) -> Path:
    import av

    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for rgb in _noise_frames(n, 64, 64):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


#: Each bad input and a phrase its error message must contain.
BAD_INPUTS: dict[str, str] = {
    "missing": "no such file",
    "directory": "is a directory",
    "text_named_mp4": "not a readable video",
    "zero_bytes": "empty file",
    "truncated": "not a readable video",
    "corrupt": "corrupt video data",
    "no_decodable_frames": "no decodable video frames",
    "no_video_stream": "no video stream",
    "audio_with_cover_art": "no video stream (found audio, cover art)",
    "ansi_text": "is a text file",
    "image_png": "is an image",
    "image_jpg": "is an image",
}


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_input(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """``(path, expected phrase)`` for every kind of bad video input."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    return make_bad_input(request.param, folder), BAD_INPUTS[request.param]
