"""formcheck's metrics on the rendered figure's own joints reproduce the ground truth exactly.

A perfect pose model would report the truth's joints; computed from those, every metric must equal
the truth written beside the samples. This pins the conventions of `formcheck.core.metrics` (signs,
units, which side is left) to those of `formcheck.synth.truth`: a mismatch fails here, apart
from tracking error.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.core.metrics import compute_metrics
from formcheck.synth import VIEWS, Camera, Scene, preset, solve
from formcheck.synth.clip import truth
from formcheck.synth.truth import pose_sequence

#: metric (per side where it has one) -> truth angle key
SIDED = {
    "knee_flexion": "knee_flexion_{side}",
    "knee_flexion_image": "knee_flexion_image_{side}",
    "fppa": "fppa_{side}",
    "foot_progression": "foot_progression_{side}",
    "heel_elevation": "heel_elevation_{side}_cm",
}
BOTH = {"trunk_lean": "trunk_lean", "stance_width": "stance_width"}


@pytest.mark.parametrize("view", ["front", "oblique", "side"])
@pytest.mark.parametrize(
    "name", ["good-cyclist-squat", "knee-valgus", "feet-turned-out", "chest-dropping"]
)
def test_metrics_of_perfect_landmarks_equal_the_truth(name: str, view: str) -> None:
    squat = replace(
        preset(name), reps=1, asymmetry_deg=4.0
    )  # the deepest preset (148) stays <= 150
    doc = truth(solve(Scene(squat, Camera(yaw_deg=VIEWS[view]))), "x.mp4", decimals=12)
    metrics = compute_metrics(pose_sequence(doc), clean=False)
    true = {k: np.asarray(v) for k, v in doc["angles"].items()}
    pairs = [
        (f"{m}_{s}", key.format(side=s)) for m, key in SIDED.items() for s in ("left", "right")
    ]
    judged = 0
    for metric, key in pairs + list(BOTH.items()):
        m = metrics[metric]
        np.testing.assert_allclose(m.values[m.valid], true[key][m.valid], atol=1e-6, err_msg=metric)
        judged += m.valid.sum()
    assert judged > 0
    if view == "front":  # frontal-plane angles are judged in the front view, and are exact there
        assert metrics["fppa_left"].valid.sum() > 20
    if view == "side":
        assert metrics["knee_flexion_image_left"].valid.sum() > 20
