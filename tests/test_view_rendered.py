"""The view measured on rendered figures, and the heel check judged only where it is right.

Clips are one quick rep at 320x240 and 10 fps (as in ``benchmarks/bench_view.py``), rendered
and run through MediaPipe once per session.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.analysis import Analysis, analyze
from formcheck.core.ruleset import load_rules
from formcheck.core.sequence import PoseSequence

GOOD, FLAT = "good-cyclist-squat", "no-heel-block"


@cache
def rendered(name: str, yaw: float) -> PoseSequence:
    """Landmarks of one quick rep of preset ``name`` seen from camera yaw ``yaw`` (level tripod)."""
    import tempfile

    from formcheck.media.pose import extract
    from formcheck.synth import Camera, Scene, preset, write
    from formcheck.synth.look import VARIANTS

    squat = replace(preset(name), reps=1, stand_s=0.2, descent_s=0.9, pause_s=0.1, ascent_s=0.8)
    camera = Camera(yaw_deg=yaw, width=320, height=240, fps=10.0)
    scene = Scene(squat, camera, replace(VARIANTS[0], noise=1.0), 0, name)
    with tempfile.TemporaryDirectory() as tmp:
        video, _ = write(Path(tmp) / "clip.mp4", scene)
        return extract(video, progress=False)


@cache
def analysed(name: str, yaw: float) -> Analysis:
    return analyze(rendered(name, yaw), load_rules())


def heel_status(a: Analysis) -> list[int]:
    k = [r.name for r in a.rules.rules].index("heels_elevated")
    return [int(s) for s in a.scores.status[:, k]]


@pytest.mark.parametrize(("camera_yaw", "facing"), [(0.0, 0), (90.0, -1), (150.0, -1)])
def test_yaw_is_measured_on_rendered_figures(camera_yaw: float, facing: int) -> None:
    yaw = analysed(GOOD, camera_yaw).metrics["body_yaw"].values
    yaw = yaw[np.isfinite(yaw)]
    assert yaw.size > 10
    assert np.abs(np.abs(yaw) - camera_yaw).mean() <= 10.0
    if facing:  # a camera on the subject's left sees them face the image's left
        assert (np.sign(yaw) == facing).mean() >= 0.9


@pytest.mark.parametrize(
    ("camera_yaw", "view"), [(0.0, "front"), (45.0, "oblique"), (90.0, "side")]
)
def test_rep_view_follows_the_camera(camera_yaw: float, view: str) -> None:
    a = analysed(GOOD, camera_yaw)
    assert a.rep_views == [view]


#: Scoring's status codes: not judged, pass, fail, borderline (within the foot pitch's measurement
#: error, 4.6 deg from the side, of the 11 deg limit: not a wrong verdict, "cannot tell").
NOT_JUDGED, PASS, FAIL, BORDERLINE = 0, 1, 2, 3


def test_heel_block_passes_and_flat_heels_fail_from_the_side() -> None:
    assert heel_status(analysed(GOOD, 90.0)) in ([PASS], [BORDERLINE])  # this clip: 12.3 deg
    assert heel_status(analysed(FLAT, 90.0)) == [FAIL]


def test_heel_check_from_45_degrees_is_right_or_not_judged() -> None:
    assert heel_status(analysed(GOOD, 45.0)) in ([0], [1])
    assert heel_status(analysed(FLAT, 45.0)) in ([0], [2])


#: Real clips whose heel check is judged (side views) and what it must say: nobody there
#: stands on a block; heel_raised_squats/ stands on a plate (front view: not judged today).
FOOTAGE_HEELS = {
    "squats/side_slow_12.mp4": 2,
    "squats/side_shallow_2_plus_partial.mp4": 2,
    "squats/side_deep_forward_lean_3.mp4": 2,
    "squats/front_side_front_demo_9.mp4": 2,
    "heel_raised_squats/heel_elevated_goblet_squat_front_2.mp4": 1,
    "squats/side_barbell_occluded_portrait_3.mp4": 2,
}
#: Reps whose heel check must be judged: every side-view rep where the near foot is in view (the
#: far foot, and both behind side_barbell_occluded's rack base, are not seen: not judged).
FOOTAGE_JUDGED = {
    "squats/side_slow_12.mp4": 12,
    "squats/side_shallow_2_plus_partial.mp4": 2,
    "squats/side_deep_forward_lean_3.mp4": 3,
    "squats/front_side_front_demo_9.mp4": 4,
}


@pytest.mark.parametrize("clip", list(FOOTAGE_HEELS))
def test_heel_check_on_real_footage_is_right_wherever_judged(
    shared_footage: Path, repo_root: Path, clip: str
) -> None:
    from formcheck.media.cache import extract_cached

    video = shared_footage / clip
    # every core where the cache is missing (a clean clone): the counts and verdicts tested
    # hold on the landmarks of either (benchmarks/compare_jobs.py)
    seq = extract_cached(
        video, repo_root / "benchmarks" / ".cache" / f"{video.stem}.npz", jobs=None
    )
    status = heel_status(analyze(seq, load_rules()))
    # never the wrong verdict; borderline (within the foot pitch's measurement error of the
    # limit) is allowed: side_deep_forward_lean_3's first rep reads 8.4 deg against 11 +/- 3.7
    assert all(s in (NOT_JUDGED, BORDERLINE, FOOTAGE_HEELS[clip]) for s in status), status
    assert sum(s > 0 for s in status) >= FOOTAGE_JUDGED.get(clip, 0), status
    assert sum(s == FOOTAGE_HEELS[clip] for s in status) >= FOOTAGE_JUDGED.get(clip, 0) - 1


def test_camera_at_height_keeps_the_figure_framed() -> None:
    from formcheck.synth import Camera

    low = Camera.at_height(0.3, -10.0)
    assert low.height_m == pytest.approx(0.3)
    assert low.aim_height_m == pytest.approx(0.3 + 3.4 * np.sin(np.radians(10.0)))
    with pytest.raises(ValueError, match="camera height 2.2 m at pitch 0 deg aims 2.20 m"):
        Camera.at_height(2.2, 0.0)
