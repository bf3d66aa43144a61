"""``formcheck synth --views``: one motion filmed by several cameras with their own start offsets
and frame rates (`formcheck.synth.multicam`), the truth recording them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.synth import Camera, Scene, preset
from formcheck.synth.multicam import Rig, solve_rig


def _formcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_every_camera_sees_the_same_motion_at_its_own_offset() -> None:
    squat = replace(preset("good-cyclist-squat"), reps=2)
    cams = (Camera(yaw_deg=0, fps=30.0), Camera(yaw_deg=90, fps=25.0), Camera(yaw_deg=45, fps=60))
    offsets = (0.0, 1.7, -2.35)
    posed = solve_rig(Rig(Scene(squat, cams[0], seed=4), cams, offsets))
    # the depth at a moment of camera 0's clock is the same in every camera's clip
    t0 = np.linspace(3.0, 8.0, 41)
    ref = np.interp(t0, posed[0].timeline.times, posed[0].timeline.depth)
    for p, off in zip(posed[1:], offsets[1:], strict=True):
        mine = np.interp(t0 - off, p.timeline.times, p.timeline.depth)
        np.testing.assert_allclose(mine, ref, atol=0.03)  # linear interpolation between frames
    # every camera films both reps, and stops when the set ends
    ends = [p.timeline.times[-1] + off for p, off in zip(posed, offsets, strict=True)]
    assert np.ptp(ends) <= 1 / 25
    assert all(len(p.timeline.reps) == 2 and p.timeline.reps[0].start > 0 for p in posed)


def test_a_rig_needs_a_zero_first_offset_and_one_per_camera() -> None:
    scene = Scene(preset("good-cyclist-squat"), Camera())
    with pytest.raises(ValueError, match="one per camera"):
        Rig(scene, (Camera(), Camera(yaw_deg=90)), (0.0,))
    with pytest.raises(ValueError, match="0 for the first"):
        Rig(scene, (Camera(), Camera(yaw_deg=90)), (1.0, 0.0))


def test_cli_renders_a_pair_and_the_truth_records_offsets_and_rates(tmp_path: Path) -> None:
    out = tmp_path / "pair.mp4"
    args = ["--views", "front,side", "--offsets", "0,-0.6", "--fps", "12,10", "--size", "96x72"]
    done = _formcheck("synth", out, *args, "--reps", "1")
    assert done.returncode == 0, done.stderr
    front, side = (json.loads((tmp_path / f"pair-{v}.json").read_text()) for v in ("front", "side"))
    assert (tmp_path / "pair-front.mp4").stat().st_size > 0
    assert (front["fps"], side["fps"]) == (12.0, 10.0)
    assert (front["multicam"]["offset_s"], side["multicam"]["offset_s"]) == (0.0, -0.6)
    cams = front["multicam"]["cameras"]
    assert [(c["file"], c["fps"], c["offset_s"]) for c in cams] == [
        ("pair-front.mp4", 12.0, 0.0),
        ("pair-side.mp4", 10.0, -0.6),
    ]
    # the side camera started 0.6 s before the front one and stops with it
    assert side["n_frames"] / 10 == pytest.approx(front["n_frames"] / 12 + 0.6, abs=0.1)


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--views", "front,top"], "views: expected two or more"),
        (["--views", "front,side", "--offsets", "0"], "one value each per view"),
        (["--fps", "30,25"], "fps: expected one number without --views"),
    ],
)
def test_cli_bad_views_options_are_one_line_and_exit_1(
    tmp_path: Path, args: list[str], phrase: str
) -> None:
    done = _formcheck("synth", tmp_path / "x.mp4", *args)
    assert done.returncode == 1
    assert phrase in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
