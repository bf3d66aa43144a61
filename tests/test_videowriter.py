"""VideoWriter: H.264 yuv420p MP4 with faststart, even dimensions, atomic replace."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.media.videowriter import VideoWriter


def _frames(n: int, w: int, h: int) -> list[np.ndarray]:
    """Frames whose left half brightens with the index (so content is checkable after decoding)."""
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, : w // 2] = (40 + 10 * i) % 256
        out.append(f)
    return out


def test_writes_h264_yuv420p_with_fractional_fps(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=30000 / 1001, size=(64, 48)) as writer:
        for f in _frames(12, 64, 48):
            writer.write(f)
    assert writer.frames_written == 12
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == (64, 48)
        assert s.average_rate == pytest.approx(29.97, abs=0.01)
        decoded = [fr.to_ndarray(format="rgb24") for fr in c.decode(video=0)]
    assert len(decoded) == 12
    assert decoded[5][:, :16].mean() == pytest.approx(90, abs=4)
    assert decoded[5][:, -16:].mean() == pytest.approx(0, abs=4)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_faststart_puts_moov_before_mdat(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=25, size=(32, 32)) as writer:
        for f in _frames(5, 32, 32):
            writer.write(f)
    head = path.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")


def test_odd_size_is_padded_to_even(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with VideoWriter(path, fps=25, size=(33, 21)) as writer:
        for f in _frames(3, 33, 21):
            writer.write(f)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == (34, 22)


def test_failure_leaves_destination_untouched(tmp_path: Path) -> None:
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"previous")
    with (
        pytest.raises(RuntimeError, match="boom"),
        VideoWriter(path, fps=25, size=(32, 32)) as writer,
    ):
        writer.write(_frames(1, 32, 32)[0])
        raise RuntimeError("boom")
    assert path.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [path]


def test_wrong_frame_shape_is_rejected(tmp_path: Path) -> None:
    with (
        VideoWriter(tmp_path / "x.mp4", fps=25, size=(32, 32)) as writer,
        pytest.raises(ValueError, match=r"expected uint8 array of shape \(32, 32, 3\)"),
    ):
        writer.write(np.zeros((16, 16, 3), np.uint8))


def test_bad_fps_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fps: expected a positive number, got 0"):
        VideoWriter(tmp_path / "x.mp4", fps=0, size=(32, 32))


def test_keyframe_every_two_seconds_by_default(tmp_path: Path) -> None:
    path = tmp_path / "gop.mp4"
    with VideoWriter(path, fps=30, size=(32, 32)) as writer:
        for _ in range(130):
            writer.write(np.full((32, 32, 3), 90, np.uint8))  # static: no scene-cut keyframes
    with av.open(str(path)) as c:
        keys = [i for i, fr in enumerate(c.decode(video=0)) if fr.key_frame]
    assert keys[:3] == [0, 60, 120]


def test_colours_come_back_as_written(tmp_path: Path) -> None:
    """The overlay's saturated colours and greys survive the RGB -> YUV 4:2:0 conversion and
    FFmpeg's decoding (same matrix and range both ways: a mismatch shifts them by 10-30 levels),
    on an odd frame size too."""
    from formcheck.media.annotate import FAIL_COLOUR, LEFT_COLOUR, PASS_COLOUR, RIGHT_COLOUR

    colours = [FAIL_COLOUR, PASS_COLOUR, LEFT_COLOUR, RIGHT_COLOUR, (255, 255, 255), (16, 16, 16)]
    w, h = 6 * 16 + 1, 33
    frame = np.zeros((h, w, 3), np.uint8)
    for k, c in enumerate(colours):
        frame[:, 16 * k : 16 * (k + 1)] = c
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=25, size=(w, h)) as writer:
        for _ in range(5):
            writer.write(frame)
    with av.open(str(path)) as c:
        decoded = [fr.to_ndarray(format="rgb24") for fr in c.decode(video=0)]
    assert len(decoded) == 5
    for k, colour in enumerate(colours):  # inside each patch, away from chroma-blurred edges
        got = decoded[-1][4:-4, 16 * k + 4 : 16 * (k + 1) - 4].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(got, colour, atol=6, err_msg=f"patch {k}")
