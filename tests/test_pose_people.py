"""The real pose model on rendered clips with a second person (standing beside, walking behind,
a mirror reflection): the squatter is the one analysed and every rep is counted. Real footage:
the man moving is analysed in the two-person lab clip, not the woman standing near the camera."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.landmarks import LEFT_HIP, RIGHT_HIP
from formcheck.synth import Camera, Scene, preset, solve, write
from formcheck.synth.crowd import extra

pytestmark = pytest.mark.slow

#: Two quick squats in 4.7 s, filmed small at 15 fps: about 70 frames per clip.
QUICK = replace(
    preset("good-cyclist-squat"), reps=2, descent_s=0.8, pause_s=0.1, ascent_s=0.7, stand_s=0.5
)
SMALL = Camera(width=320, height=240, fps=15.0)
SCENES = {
    "standing-beside": (extra("stand"),),
    "walking-behind": (extra("walk"),),
    "reflection": (extra("mirror"),),
}


def _reps(seq) -> int:
    from formcheck.core.metrics import compute_metrics
    from formcheck.core.reps import estimate_fps, find_reps

    metrics = compute_metrics(seq, clean=True)
    return len(find_reps(metrics, fps=estimate_fps(np.asarray(metrics.timestamps))))


@pytest.mark.parametrize("name", sorted(SCENES))
def test_the_squatter_is_analysed_when_someone_else_is_in_view(name: str, tmp_path: Path) -> None:
    from formcheck.media.pose import extract

    scene = Scene(QUICK, SMALL, seed=5, extras=SCENES[name])
    video, _ = write(tmp_path / f"{name}.mp4", scene)
    seq = extract(video, progress=False)
    assert seq.meta["people_seen"] == "2", seq.meta
    people = json.loads(seq.meta["people"])
    assert people[0]["position"] == "centre"
    # the analysed hips are the squatter's, as the camera sees them, on every detected frame
    true_hips, _ = SMALL.project(solve(scene).skeleton.joints[:, [LEFT_HIP, RIGHT_HIP]].mean(1))
    found = seq.detected
    assert found.mean() > 0.9
    hips = seq.pixels[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1)
    err = np.linalg.norm(hips[found] - true_hips[found], axis=1)
    assert np.max(err) < 0.1 * SMALL.height, np.max(err)
    assert _reps(seq) == QUICK.reps


def test_a_lone_squatter_gives_the_one_person_landmarks(tmp_path: Path) -> None:
    """The second landmarker only looks: alone in the frame, the result is what one-person
    extraction gives, frame for frame."""
    from formcheck.media.pose import extract

    video, _ = write(tmp_path / "alone.mp4", Scene(replace(QUICK, reps=1), SMALL, seed=5))
    several, one = extract(video, progress=False), extract(video, progress=False, max_people=1)
    assert several.meta["people_seen"] == one.meta["people_seen"] == "1"
    np.testing.assert_array_equal(several.landmarks, one.landmarks)


def test_the_person_moving_is_analysed_in_the_two_person_lab_clip(
    shared_footage: Path, repo_root: Path
) -> None:
    """A man balancing and reaching in the middle, a woman standing still near the camera on the
    right: one-person extraction followed the woman; the man is the one analysed now."""
    from formcheck.media.cache import extract_cached

    # one process, the whole video as `extract` runs it; cached where the footage tests read it
    video = shared_footage / "nonsquat" / "pose2sim_two_people_cam01.mp4"
    seq = extract_cached(video, repo_root / "benchmarks" / ".cache" / f"{video.stem}.npz", jobs=1)
    people = json.loads(seq.meta["people"])
    assert seq.meta["people_seen"] == "2"
    assert [p["position"] for p in people] == ["centre", "right"]
    hip_x = np.nanmedian(seq.landmarks[:, [LEFT_HIP, RIGHT_HIP], 0])
    assert 0.3 < hip_x < 0.55  # the man; the woman's hips are at x = 0.7
    assert _reps(seq) == 0


def test_live_keeps_following_the_squatter_while_someone_walks_behind(tmp_path: Path) -> None:
    """Live mode looks for one person (no time for a second pass): MediaPipe's tracker keeps
    the person it locked onto, so a walker passing behind never takes over."""
    from formcheck.live.capture import Frame
    from formcheck.live.estimator import PoseEstimator
    from formcheck.media.model import resolve_model
    from formcheck.media.video import read_frames

    scene = Scene(QUICK, SMALL, seed=5, extras=SCENES["walking-behind"])
    video, _ = write(tmp_path / "walk.mp4", scene)
    true_hips, _ = SMALL.project(solve(scene).skeleton.joints[:, [LEFT_HIP, RIGHT_HIP]].mean(1))
    hips = []
    with PoseEstimator(resolve_model(None)) as estimator:
        for i, (t, rgb) in enumerate(read_frames(video)):
            pose = estimator(Frame(i, t, 0.0, rgb))
            assert pose is not None, f"nobody found on frame {i}"
            hips.append(
                pose[0][[LEFT_HIP, RIGHT_HIP], :2].mean(axis=0) * (SMALL.width, SMALL.height)
            )
    err = np.linalg.norm(np.array(hips) - true_hips, axis=1)
    assert np.max(err) < 0.1 * SMALL.height, np.max(err)


def test_the_woman_not_her_mirror_reflection_in_the_walking_lunge_clip(
    shared_footage: Path,
) -> None:
    """A mirror behind her shows her back for the first 2 s: the pose model does not take the
    reflection for a person, and the landmarks are hers (large, in front) on every frame."""
    from formcheck.core.people import body_points
    from formcheck.media.pose import extract

    seq = extract(
        shared_footage / "nonsquat_exercises" / "lunge_walking_front_6.mp4", progress=False
    )
    assert seq.meta["people_seen"] == "1"
    _, _, torso = body_points(seq.pixels)
    found = seq.detected
    assert found.mean() > 0.95
    # her torso is about a fifth of the frame's height; the reflection's under a tenth
    assert np.min(torso[found]) > 0.12 * seq.image_size[1]


def test_the_several_people_pass_on_frames_with_nobody(noise_video: Path) -> None:
    from formcheck.media import pose
    from formcheck.media.model import resolve_model

    info = pose.probe(noise_video)
    seq = pose._extract(noise_video, info, resolve_model(None), 3, False, False, 0, {})
    assert len(seq) == info.frame_count and not seq.detected.any()
    assert seq.meta["people_seen"] == "0" and json.loads(seq.meta["people"]) == []
