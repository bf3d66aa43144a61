"""formcheck.media.pose: result adapter, NaN rows for no person, real footage, rotation end to end."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from conftest import set_mp4_display_matrix, write_video

from formcheck.core.landmarks import LEFT_HIP, NOSE, NUM_LANDMARKS, RIGHT_HIP
from formcheck.errors import ModelError
from formcheck.media.model import resolve_model
from formcheck.media.pose import extract, results_to_arrays

PORTRAIT = "nonsquat/pose2sim_single_cam01_portrait.mp4"


def _point(i: int, visibility: float | None = 0.5) -> SimpleNamespace:
    return SimpleNamespace(x=i / 100, y=i / 50, z=-i / 200, visibility=visibility)


def test_results_to_arrays_takes_the_first_pose() -> None:
    image = [_point(i, visibility=i / 33) for i in range(NUM_LANDMARKS)]
    world = [
        SimpleNamespace(x=i * 0.01, y=-i * 0.02, z=0.5, visibility=None)
        for i in range(NUM_LANDMARKS)
    ]
    other = [_point(99) for _ in range(NUM_LANDMARKS)]
    result = SimpleNamespace(pose_landmarks=[image, other], pose_world_landmarks=[world, other])
    landmarks, world_xyz, visibility = results_to_arrays(result)
    i = np.arange(NUM_LANDMARKS)
    np.testing.assert_array_equal(landmarks, np.column_stack([i / 100, i / 50, -i / 200]))
    half = np.full(NUM_LANDMARKS, 0.5)
    np.testing.assert_array_equal(world_xyz, np.column_stack([i * 0.01, -i * 0.02, half]))
    np.testing.assert_array_equal(visibility, i / 33)


def test_results_to_arrays_no_person_and_missing_visibility() -> None:
    assert results_to_arrays(SimpleNamespace(pose_landmarks=[], pose_world_landmarks=[])) is None
    pose = [_point(i, visibility=None) for i in range(NUM_LANDMARKS)]
    _, _, visibility = results_to_arrays(
        SimpleNamespace(pose_landmarks=[pose], pose_world_landmarks=[pose])
    )
    assert np.isnan(visibility).all()


def test_results_to_arrays_refuses_another_topology() -> None:
    pose = [_point(i) for i in range(21)]  # a hand model's 21 points
    with pytest.raises(
        ModelError, match="expected 33 image and world landmarks per pose, got 21 and 21"
    ):
        results_to_arrays(SimpleNamespace(pose_landmarks=[pose], pose_world_landmarks=[pose]))


@pytest.mark.slow
def test_no_person_gives_nan_rows_not_dropped_frames(noise_video: Path) -> None:
    seq = extract(noise_video, progress=False)
    assert len(seq) == 12
    assert seq.landmarks.shape == (12, NUM_LANDMARKS, 3) and seq.world.shape == (
        12,
        NUM_LANDMARKS,
        3,
    )
    assert seq.visibility.shape == (12, NUM_LANDMARKS)
    assert (
        np.isnan(seq.landmarks).all()
        and np.isnan(seq.world).all()
        and np.isnan(seq.visibility).all()
    )
    assert not seq.detected.any()
    np.testing.assert_allclose(seq.timestamps, np.arange(12) / 30, atol=1e-12)
    assert seq.fps == 30.0 and seq.image_size == (160, 120)
    assert seq.source == str(noise_video)
    assert seq.model_sha256 == resolve_model().sha256


@pytest.mark.slow
def test_sub_millisecond_frames_get_strictly_increasing_model_timestamps(tmp_path: Path) -> None:
    """2500 fps: several frames share a millisecond; MediaPipe needs strictly increasing ms."""
    path = tmp_path / "fast.mp4"
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as container:
        # no B-frames: no edit list, whose millisecond rounding would hide the last frame
        stream = container.add_stream("libx264", rate=2500, options={"bf": "0"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 10000)
        for k in range(6):
            rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = 4 * k, Fraction(1, 10000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    seq = extract(path, progress=False)
    np.testing.assert_allclose(seq.timestamps, np.arange(6) * 0.0004, atol=1e-12)


@pytest.mark.slow
@pytest.mark.footage
def test_portrait_clip_person_on_95_percent_of_frames(shared_footage: Path) -> None:
    path = shared_footage / PORTRAIT
    seq = extract(path, progress=False)
    assert len(seq) == 100
    assert seq.landmarks.shape == (100, NUM_LANDMARKS, 3)
    assert seq.world.shape == (100, NUM_LANDMARKS, 3)
    assert seq.visibility.shape == (100, NUM_LANDMARKS)
    assert np.all(np.diff(seq.timestamps) > 0)
    np.testing.assert_allclose(seq.timestamps, np.arange(100) / 60, atol=1e-9)
    assert seq.fps == 60.0 and seq.image_size == (1080, 1920)
    assert seq.detected.mean() >= 0.95
    found = seq.detected
    # upright person: nose above the hips (image y down); world hips about 0.2 m apart
    assert np.all(seq.landmarks[found, NOSE, 1] < seq.landmarks[found, LEFT_HIP, 1])
    hip_width = np.linalg.norm(seq.world[found, LEFT_HIP] - seq.world[found, RIGHT_HIP], axis=1)
    assert 0.1 < np.median(hip_width) < 0.4


@pytest.mark.slow
@pytest.mark.footage
def test_phone_rotation_metadata_gives_the_same_pose_as_upright(
    shared_footage: Path, tmp_path: Path
) -> None:
    """The portrait clip stored sideways with a phone's display matrix finds the person upright."""
    with av.open(str(shared_footage / PORTRAIT)) as container:
        decoded = zip(range(12), container.decode(video=0), strict=False)
        frames = [f.to_ndarray(format="rgb24")[::4, ::4] for _, f in decoded]
    upright = write_video(tmp_path / "upright.mp4", frames, fps=60)
    sideways = write_video(tmp_path / "sideways.mp4", [np.rot90(f, k=1) for f in frames], fps=60)
    set_mp4_display_matrix(sideways, 0, 1, -1, 0)

    a = extract(upright, progress=False)
    b = extract(sideways, progress=False)
    assert b.image_size == a.image_size == (270, 480)
    assert b.meta["rotation"] == "90"
    assert a.detected.all() and b.detected.all()
    np.testing.assert_allclose(b.landmarks[:, :, :2], a.landmarks[:, :, :2], atol=0.01)


@pytest.mark.slow
def test_progress_bar_only_on_a_terminal(noise_video: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    code = (
        "import formcheck.media.pose as pose\n"
        "pose.PROGRESS_MIN_FRAMES = 1\n"
        f"pose.extract({str(noise_video)!r})\n"
    )

    def stderr_of(on_terminal: bool) -> str:
        if not on_terminal:
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            return proc.stderr
        master, slave = pty.openpty()
        child = subprocess.Popen(
            [sys.executable, "-c", code], stderr=slave, stdout=subprocess.DEVNULL
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        assert child.wait(timeout=60) == 0
        return b"".join(chunks).decode(errors="replace")

    assert stderr_of(on_terminal=False) == ""
    shown = stderr_of(on_terminal=True)
    assert "pose noise.mp4" in shown
    assert "INFO" not in shown and "W0000" not in shown
