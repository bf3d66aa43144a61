"""Below-parallel verdict: synthetic squats of known depth, and the labelled front-view set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core import depth
from formcheck.core.analysis import analyze
from formcheck.core.metrics import compute_metrics
from formcheck.core.ruleset import load_rules
from formcheck.core.sequence import PoseSequence
from formcheck.testing import squat_sequence, squat_sequence_with_truth

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


# --- the shipped depth check from the front and at 45 degrees: knee_flexion_level -----------------


@pytest.mark.parametrize("yaw", [0.0, 45.0])
def test_level_bend_reads_the_knee_bend_from_the_front_and_at_45_degrees(yaw: float) -> None:
    """On the analytic body (perspective camera), heels raised or flat, the bend from the hips'
    level reads each squat's depth within 12 deg and puts the 110 deg limit between a 65 and a
    120 deg squat."""
    bottoms = {}
    for peak, heel, lean in ((65.0, 8.0, 14.0), (120.0, 8.0, 22.0), (140.0, 0.0, 40.0)):
        seq, truth = squat_sequence_with_truth(
            2, 30.0, peak, yaw_deg=yaw, heel_height_cm=heel, trunk_lean_deg=lean
        )
        m = compute_metrics(seq)
        b = truth.reps[:, 1]
        for side in ("left", "right"):
            level = m[f"knee_flexion_level_{side}"]
            assert level.valid[b].all()
            np.testing.assert_allclose(level.values[b], peak, atol=12.0)
        bottoms[peak] = m["knee_flexion_level_left"].values[b]
    limit = load_rules()["depth"].checks[1].threshold
    assert np.all(bottoms[65.0] < limit) and np.all(bottoms[120.0] > limit)
    assert np.all(bottoms[140.0] > bottoms[120.0])  # no saturation at a horizontal thigh


def test_level_bend_is_not_valid_from_the_side() -> None:
    m = compute_metrics(squat_sequence(n_reps=1, yaw_deg=90.0))
    assert not m["knee_flexion_level_left"].valid.any()


@pytest.mark.parametrize("yaw", [0.0, 45.0])
def test_shipped_depth_check_fails_shallow_and_passes_good_rendered_squats(yaw: float) -> None:
    """Rendered (one quick rep, 320x240, through MediaPipe): the 65 deg squat fails depth, the
    120 deg heels-raised cyclist squat (hips above the knees) does not fail it."""
    from test_view_rendered import analysed

    for name, ok in (("shallow", False), ("good-cyclist-squat", True)):
        a = analysed(name, yaw)
        assert len(a.reps) == 1, name
        r = a.scores.rep(0).results["depth"]
        assert r.metric == "knee_flexion_level", (name, r)
        assert (r.status != "fail") == ok and r.status != "not_judged", (name, r)


@pytest.mark.footage
@pytest.mark.skipif(not DATA.is_file(), reason="../shared/footage is absent")
def test_depth_check_through_analyze_matches_the_labels_cross_validated() -> None:
    """The shipped depth check's value through the product's path (`analyze`, first rep),
    ``value >= limit`` with the limit fitted on four folds, agrees with the held-out fold's
    labels on at least 90% of the reps found (`benchmarks/bench_depth.py` reports the rest)."""
    data = np.load(DATA)
    rules = load_rules()
    values, labels = [], []
    for key in sorted(data.files):
        a = analyze(PoseSequence.from_image_landmarks(data[key], 30.0, (1080, 1920)), rules)
        if len(a.reps):
            r = a.scores.rep(0).results["depth"]
            assert r.metric == "knee_flexion_level" and r.value is not None
            values.append(r.value)
            labels.append(key.startswith("valid"))
    x, y = np.array(values), np.array(labels)
    assert len(x) >= 110
    order = np.random.default_rng(0).permutation(len(x))
    hits = 0
    for fold in range(5):
        test = order[fold::5]
        train = np.setdiff1d(order, test)
        cand = np.sort(x[train])
        acc = [((x[train] >= c) == y[train]).mean() for c in cand]
        limit = cand[int(np.argmax(acc))]
        hits += int(((x[test] >= limit) == y[test]).sum())
    assert hits / len(x) >= 0.9
