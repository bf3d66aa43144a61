"""formcheck.media.video: probe, upright frames, container timestamps, bad input."""

from __future__ import annotations

import re
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import set_mp4_display_matrix, write_video

from formcheck.errors import DamagedVideoWarning, InputError
from formcheck.media.video import probe, read_frames


def _assert_close(rgb: np.ndarray, want: np.ndarray) -> None:
    """Equal up to the +-2 levels lost in RGB -> YUV 4:4:4 -> RGB (the encoding is lossless)."""
    assert rgb.shape == want.shape
    assert np.abs(rgb.astype(int) - want.astype(int)).max() <= 2


def _frames(n: int, h: int, w: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_probe_reports_size_rate_count_duration_codec(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", _frames(15, 48, 64), fps=25)
    info = probe(path)
    assert (info.width, info.height) == (64, 48)
    assert info.fps == 25.0
    assert info.frame_count == 15
    assert info.duration_s == pytest.approx(15 / 25)
    assert info.rotation == 0
    assert info.codec == "h264"
    assert info.path == path


def test_fractional_frame_rate_stays_fractional(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for rgb in _frames(6, 32, 32):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert probe(path).fps == pytest.approx(29.97002997)
    times = [t for t, _ in read_frames(path)]
    np.testing.assert_allclose(times, np.arange(6) * 1001 / 30000, rtol=0, atol=1e-12)


def test_frames_are_exact_rgb_and_c_contiguous(tmp_path: Path) -> None:
    # 90 px wide: PyAV pads rgb24 rows to its alignment, so its arrays are strided here
    frames = _frames(5, 40, 90)
    path = write_video(tmp_path / "odd.mp4", frames, fps=30)
    with av.open(str(path)) as container:
        assert not next(container.decode(video=0)).to_ndarray(format="rgb24").flags.c_contiguous
    out = list(read_frames(path))
    assert len(out) == 5
    for (_, rgb), want in zip(out, frames, strict=True):
        assert rgb.flags.c_contiguous
        assert rgb.dtype == np.uint8 and rgb.shape == (40, 90, 3)
        _assert_close(rgb, want)
    assert [t for t, _ in out] == pytest.approx([0, 1 / 30, 2 / 30, 3 / 30, 4 / 30], abs=1e-12)


def test_timestamps_come_from_the_container_not_the_frame_rate(tmp_path: Path) -> None:
    """Variable frame rate, first frame at 0.5 s: times are pts x time_base, relative to the first frame."""
    path = tmp_path / "vfr.mp4"
    pts_ms = [500, 540, 600, 610, 700, 1000]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for ms, rgb in zip(pts_ms, _frames(len(pts_ms), 32, 32), strict=True):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    times = [t for t, _ in read_frames(path)]
    assert times == pytest.approx([0.0, 0.04, 0.1, 0.11, 0.2, 0.5], abs=1e-9)


# (display matrix a, b, c, d) as written in tkhd; how the stored frame was turned (np.rot90 k);
# the clockwise rotation formcheck must apply.
ROTATIONS = [
    (
        (0, 1, -1, 0),
        1,
        90,
    ),  # phone held upright: stored landscape, shown turned 90 degrees clockwise
    ((-1, 0, 0, -1), 2, 180),  # upside down
    ((0, -1, 1, 0), -1, 270),
]


@pytest.mark.parametrize(("matrix", "stored_k", "rotation"), ROTATIONS)
def test_rotation_metadata_gives_upright_frames(
    tmp_path: Path, matrix: tuple[int, int, int, int], stored_k: int, rotation: int
) -> None:
    upright = np.zeros((48, 32, 3), np.uint8)  # portrait, a white marker at the top left
    upright[:8, :8] = 255
    upright[40:, 24:, 0] = 200  # and a red one at the bottom right
    stored = np.ascontiguousarray(np.rot90(upright, k=stored_k))
    path = write_video(tmp_path / "phone.mp4", [stored] * 3, fps=30)
    set_mp4_display_matrix(path, *matrix)

    info = probe(path)
    assert info.rotation == rotation
    assert (info.width, info.height) == (32, 48)
    for _, rgb in read_frames(path):
        assert rgb.flags.c_contiguous
        np.testing.assert_array_equal(rgb, upright)


def test_unrotated_video_reads_as_stored(tmp_path: Path) -> None:
    frames = _frames(2, 48, 32)
    path = write_video(tmp_path / "plain.mp4", frames)
    set_mp4_display_matrix(path, 1, 0, 0, 1)
    assert probe(path).rotation == 0
    _assert_close(next(iter(read_frames(path)))[1], frames[0])


def test_prefetch_yields_the_same_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", _frames(12, 32, 48))
    plain = list(read_frames(path))
    ahead = list(read_frames(path, prefetch=3))
    assert [t for t, _ in ahead] == [t for t, _ in plain]
    for (_, a), (_, b) in zip(ahead, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_prefetch_thread_stops_when_the_reader_is_closed_early(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", _frames(30, 32, 48))
    frames = read_frames(path, prefetch=2)
    next(frames)
    assert any(t.name == "formcheck-decode" for t in threading.enumerate())
    frames.close()
    assert not any(t.name == "formcheck-decode" for t in threading.enumerate())


def test_bad_input_raises_input_error_naming_the_file(bad_input: tuple[Path, str]) -> None:
    path, phrase = bad_input
    with pytest.raises(InputError) as err:
        probe(path)
        list(read_frames(path))
    assert str(path) in str(err.value)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def test_prefetch_reraises_decode_errors_in_the_reader(tmp_path: Path) -> None:
    from conftest import make_bad_input

    path = make_bad_input("corrupt", tmp_path)
    with pytest.raises(InputError, match="corrupt video data"):
        list(read_frames(path, prefetch=2))


@pytest.mark.parametrize("threads", [True, False])
def test_corrupt_file_is_refused_with_the_share_and_times_lost(
    threads: bool, tmp_path: Path
) -> None:
    """Half the coded frames zeroed: far more than MAX_DAMAGED_SHARE, refused, saying how much."""
    from conftest import make_bad_input

    path = make_bad_input("corrupt", tmp_path)
    with pytest.raises(InputError, match=r"corrupt video data, \d+ of its 20 frames cannot be"):
        list(read_frames(path, threads=threads))


@pytest.mark.parametrize("threads", [True, False])
def test_cut_off_file_is_read_up_to_the_cut_with_a_warning(threads: bool, tmp_path: Path) -> None:
    """A file cut off mid-way holds fewer packets than its index lists: what is there is read."""
    from conftest import make_bad_input

    path = make_bad_input("truncated_faststart", tmp_path)
    with pytest.warns(
        DamagedVideoWarning,
        match=r"truncated video, the file stops at 0.\d+ s of 1.00 s \(15 of its 30 frames\)",
    ):
        frames = list(read_frames(path, threads=threads))
    assert 10 <= len(frames) <= 15


def _damaged(path: Path, n: int = 90, start: float = 0.4, length: float = 0.03) -> Path:
    """``n`` noise frames (keyframe every 15) with ``length`` of the coded data zeroed at ``start``."""
    import struct

    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.options = {"g": "15", "keyint_min": "15"}
        for rgb in _frames(n, 64, 96):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    end = at - 4 + struct.unpack(">I", data[at - 4 : at])[0]
    a = at + 4 + int((end - at - 4) * start)
    data[a : a + int((end - at - 4) * length)] = bytes(int((end - at - 4) * length))
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("threads", [True, False])
def test_a_few_damaged_packets_cost_their_frames_not_the_video(
    threads: bool, tmp_path: Path
) -> None:
    path = _damaged(tmp_path / "phone.mp4")
    with pytest.warns(DamagedVideoWarning) as caught:
        frames = list(read_frames(path, threads=threads))
    assert 80 <= len(frames) < 90
    (message,) = {str(w.message) for w in caught}
    assert re.search(r"\d+ damaged frames? skipped \(1\.\d\d-1\.\d\d s\)", message), message
    times = np.array([t for t, _ in frames])
    assert np.all(np.diff(times) > 0) and times[-1] == pytest.approx(89 / 30)
