"""A landmark the frame cuts off is not seen, whatever MediaPipe's visibility says
(`formcheck.core.filtering.in_picture`): synthetic crops, and a rendered sample cropped above
its ankles through real MediaPipe."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.filtering import in_picture
from formcheck.core.landmarks import INDEX
from formcheck.core.metrics import compute_metrics
from formcheck.core.reps import find_reps
from formcheck.core.sequence import PoseSequence
from formcheck.testing import squat_sequence

ROOT = Path(__file__).resolve().parents[1]


def test_in_picture_keeps_the_edges_and_drops_outside_and_unknown() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 1.02], [-0.01, 0.5], [np.nan, 0.5]])
    assert in_picture(xy).tolist() == [True, True, False, False, False]
    assert in_picture(np.zeros((4, 3, 2))).shape == (4, 3)


def _cropped(seq: PoseSequence, height_px: int) -> PoseSequence:
    """``seq`` filmed with the picture's bottom cut at ``height_px`` (pixels from the top): the
    same pixels, a shorter frame; MediaPipe's visibility left as it was."""
    w, h = seq.image_size
    lm = seq.landmarks.copy()
    lm[..., 1] *= h / height_px
    return replace(seq, landmarks=lm, image_size=(w, height_px))


def test_ankles_cut_off_by_the_frame_are_not_seen_and_no_rep_is_judged_on_them() -> None:
    # side view, 1280x720: knees at most 528 px down, ankles 620-637, heels and toes 639-657
    seq = squat_sequence(n_reps=2, yaw_deg=90.0)
    assert np.all(seq.visibility >= 0.99)  # the model's confidence says nothing of the crop
    assert len(find_reps(compute_metrics(seq))) == 2
    no_ankles = compute_metrics(_cropped(seq, 600))
    for side in ("left", "right"):
        assert np.isnan(no_ankles[f"knee_bend_{side}"].masked).all()
    assert len(find_reps(no_ankles)) == 0
    # only the heels and toes cut off: the knee angle stands, the foot's metrics do not
    no_toes = compute_metrics(_cropped(seq, 638))
    assert len(find_reps(no_toes)) == 2
    assert np.isfinite(no_toes["knee_bend_left"].masked).mean() > 0.9
    assert np.isnan(no_toes["heel_elevation_left"].masked).all()


def test_the_message_says_the_legs_were_not_seen() -> None:
    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.report.pipeline import outcome_message

    seq = squat_sequence(n_reps=2, yaw_deg=90.0)
    full, cut = analyze(seq, load_rules()), analyze(_cropped(seq, 600), load_rules())
    assert full.legs_seen == 1.0 and cut.legs_seen == 0.0
    assert outcome_message(cut, "cut.mp4") == (
        "A person was found in cut.mp4, but no squat repetition; their legs were not seen on "
        "100% of the frames (knees or ankles outside the picture or hidden). Film a set of full "
        "squats with hips, knees and feet in the picture."
    )


def test_a_foot_leaving_the_frame_for_a_moment_is_bridged() -> None:
    seq = squat_sequence(n_reps=2, yaw_deg=90.0)
    lm = seq.landmarks.copy()
    lm[100:104, :, 1] += 0.5  # 4 frames (0.13 s) of the whole body shifted off the bottom
    metrics = compute_metrics(replace(seq, landmarks=lm))
    assert len(find_reps(metrics)) == 2


@pytest.mark.slow
def test_a_rendered_squat_cropped_above_its_ankles_is_not_judged(tmp_path: Path) -> None:
    """The bundled side sample through real MediaPipe, then the same video with the bottom of
    every frame cut above the lowest ankle: no rep is counted or judged on ankles the model
    guessed, and the message asks for the feet in the picture."""
    import av

    from formcheck.media.pose import extract

    sample = ROOT / "samples" / "chest-dropping_side.mp4"
    seq = extract(sample, progress=False)
    assert len(find_reps(compute_metrics(seq))) >= 2
    seen_y = np.where(seq.visibility >= 0.5, seq.landmarks[..., 1], np.nan) * seq.image_size[1]
    top_ankle = np.nanmin(seen_y[:, [INDEX["left_ankle"], INDEX["right_ankle"]]])
    knee = np.nanmax(seen_y[:, [INDEX["left_knee"], INDEX["right_knee"]]])
    cut = int(top_ankle - 4) // 2 * 2  # above every seen ankle (even, for yuv420p)
    assert cut > knee + 10
    cropped = tmp_path / "cropped.mp4"
    with av.open(str(sample)) as src, av.open(str(cropped), "w") as dst:
        out = dst.add_stream("libx264", rate=round(seq.fps))
        out.width, out.height, out.pix_fmt = seq.image_size[0], cut, "yuv420p"
        for frame in src.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")[:cut]
            for packet in out.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    report = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(cropped), "-o", str(report)]
        + ["--no-video"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert "their legs were not seen on" in done.stderr and "Traceback" not in done.stderr
    doc = json.loads((report / "report.json").read_text())
    assert doc["reps"] == []
    # the model still placed the near (left) ankle, below the frame and with visibility >= 0.5
    # on most frames; none of those frames gives that leg a knee angle
    from formcheck.media.cache import load

    poses = load(report / "landmarks.npz")
    left_ankle = INDEX["left_ankle"]
    ankle_y, ankle_vis = poses.landmarks[:, left_ankle, 1], poses.visibility[:, left_ankle]
    assert np.mean((ankle_y > 1.0) & (ankle_vis >= 0.5)) > 0.5
    bend = compute_metrics(poses)["knee_bend_left"].masked
    assert np.isfinite(bend).mean() < 1.0 - np.mean((ankle_y > 1.0) & (ankle_vis >= 0.5))
