"""Below-parallel verdict: synthetic squats of known depth, and the labelled front-view set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core import depth
from formcheck.core.metrics import compute_metrics
from formcheck.core.sequence import PoseSequence
from formcheck.testing import squat_sequence

DATA = Path(__file__).resolve().parents[2] / "shared" / "footage" / "frontsquat_depth_dev.npz"


@pytest.mark.parametrize("yaw", [0.0, 90.0])
def test_deep_and_shallow_synthetic_squats(yaw: float) -> None:
    deep = compute_metrics(squat_sequence(n_reps=1, peak_knee_flexion=150.0, yaw_deg=yaw))
    shallow = compute_metrics(squat_sequence(n_reps=1, peak_knee_flexion=80.0, yaw_deg=yaw))
    assert depth.reached_depth(deep) is True
    assert depth.reached_depth(shallow) is False
    assert depth.depth_margin(shallow) > 0.3 > depth.depth_margin(deep)


def test_no_judgeable_frame_gives_none() -> None:
    seq = squat_sequence(n_reps=1)
    m = compute_metrics(replace(seq, landmarks=np.full_like(seq.landmarks, np.nan)))
    assert depth.reached_depth(m) is None and np.isnan(depth.depth_margin(m))
    assert depth.reached_depth(compute_metrics(seq), 5, 5) is None


def test_perspective_term_vanishes_from_the_side() -> None:
    m = compute_metrics(squat_sequence(n_reps=1, yaw_deg=90.0))
    level = depth.level_hip_above_knee(m)
    np.testing.assert_allclose(
        level, m["hip_above_knee"].values, atol=0.02 * depth.PERSPECTIVE_GAIN
    )


@pytest.mark.footage
@pytest.mark.skipif(not DATA.is_file(), reason="../shared/footage is absent")
def test_agreement_with_labelled_front_view_squats() -> None:
    from scipy.signal import find_peaks

    data = np.load(DATA)
    hits = 0
    for key in data.files:
        seq = PoseSequence.from_image_landmarks(data[key], 30.0, (1080, 1920))
        n = len(seq)
        m = compute_metrics(seq)
        peaks, props = find_peaks(np.nan_to_num(m["hip_drop"].values, nan=-1.0), prominence=0.3)
        start, stop = (0, n)
        if len(peaks):  # the first rep, as the segmenter cuts it (see benchmarks/bench_depth.py)
            start, stop = int(props["left_bases"][0]), int(props["right_bases"][0]) + 1
        hits += depth.reached_depth(m, start, stop) == key.startswith("valid")
    assert hits / len(data.files) >= 0.9
