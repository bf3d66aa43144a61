"""One reps.csv row agrees with itself: the full-extension and symmetry checks read the one knee
angle (`knee_bend`), so their values are the row's lockout and asymmetry. Depth reads the thighs'
angle to the horizontal (`thigh_from_horizontal`, in every view: hips at or below the knees,
validated against human depth labels; rules/cyclist_squat.toml says why), not a knee angle:
its cell is that measurement, and the report names the metric beside it."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from formcheck.core.metrics import compute_metrics
from formcheck.core.reps import find_reps
from formcheck.core.ruleset import load_rules
from formcheck.core.scoring import score_reps
from formcheck.report.csv import reps_csv
from formcheck.testing import squat_sequence

PAIRS = (
    ("full_extension_deg", "lockout_knee_flexion_deg"),
    ("symmetry_deg", "knee_flexion_asymmetry_deg"),
)


@pytest.mark.parametrize("yaw", [0.0, 45.0, 90.0])
def test_rule_values_are_the_rows_knee_measurements(yaw: float) -> None:
    seq = squat_sequence(n_reps=2, peak_knee_flexion=110.0, lockout_deg=12.0, yaw_deg=yaw)
    metrics = compute_metrics(seq)
    scores = score_reps(metrics, find_reps(metrics), load_rules())
    rows = list(csv.DictReader(io.StringIO(reps_csv(scores))))
    assert len(rows) == 2
    compared = 0
    for row in rows:
        for rule_value, measured in PAIRS:
            if row[rule_value] != "":  # judged from this view: the same number
                assert row[rule_value] == row[measured], (rule_value, row)
                compared += 1
    # full extension is judged from the side, symmetry from the front: at 45 deg neither
    assert compared == (0 if yaw == 45.0 else 2)


def test_every_knee_rule_reads_the_one_knee_angle() -> None:
    rules = load_rules()
    for name in ("full_extension", "symmetry"):
        checks = [rules[name].primary, *rules[name].checks[1:]]
        assert {c.metric for c in checks} == {"knee_bend"}, name
    assert [(c.metric, c.views) for c in rules["depth"].checks] == [
        ("thigh_from_horizontal", ("front", "oblique", "side")),
    ]
    assert np.isfinite(rules["symmetry"].primary.threshold)
