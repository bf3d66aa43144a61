"""The setup check from the side: the far foot, hidden behind the near one, neither hides the feet
nor decides the heel block (the near foot does); see `formcheck.live.readiness`."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.landmarks import (
    LEFT_ANKLE,
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    RIGHT_ANKLE,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
)
from formcheck.core.metrics import compute_metrics
from formcheck.core.ruleset import load_rules
from formcheck.live import readiness
from formcheck.live.readiness import heel_checks, setup_problem
from formcheck.testing import squat_sequence

FOOT = {
    "left": (LEFT_ANKLE, LEFT_HEEL, LEFT_FOOT_INDEX),
    "right": (RIGHT_ANKLE, RIGHT_HEEL, RIGHT_FOOT_INDEX),
}


def side_view(heel_cm: float, far: str, far_visibility: float, far_pitch: str):
    """A person standing side on; the ``far`` foot seen as MediaPipe sees a hidden one: lower
    visibility, and a heel->toe line drawn ``far_pitch`` ("flat": heel at the toe's height,
    "raised": heel well above it)."""
    seq = squat_sequence(n_reps=0, lead_in_s=2.0, heel_height_cm=heel_cm, yaw_deg=90.0)
    ankle, heel, toe = FOOT[far]
    seq.visibility[:, [ankle, heel, toe]] = far_visibility
    lm = seq.landmarks
    lift = 0.0 if far_pitch == "flat" else 0.04  # image heights (y down)
    lm[:, heel, 1] = lm[:, toe, 1] - lift
    lm[:, heel, 0] = lm[:, toe, 0] - np.sign(lm[:, toe, 0] - lm[:, heel, 0]) * 0.05
    return seq


@pytest.mark.parametrize("far", ["left", "right"])
@pytest.mark.parametrize("far_visibility", [0.3, 0.6])
def test_side_view_with_a_block_is_told_to_turn_not_to_step_back_or_fit_a_block(
    far: str, far_visibility: float
) -> None:
    seq = side_view(8.0, far, far_visibility, "flat")
    checks = heel_checks(load_rules())
    assert setup_problem(seq, compute_metrics(seq), checks) == readiness.TURN


@pytest.mark.parametrize("far", ["left", "right"])
def test_side_view_without_a_block_is_told_so_whatever_the_far_foot_reads(far: str) -> None:
    seq = side_view(0.0, far, 0.6, "raised")
    checks = heel_checks(load_rules())
    assert setup_problem(seq, compute_metrics(seq), checks) == readiness.NO_BLOCK


def test_feet_cut_off_by_the_frame_still_say_step_back() -> None:
    seq = squat_sequence(n_reps=0, lead_in_s=2.0, heel_height_cm=8.0, yaw_deg=90.0)
    feet = [i for foot in FOOT.values() for i in foot]
    seq.landmarks[:, feet, 1] = 1.05  # below the bottom edge
    checks = heel_checks(load_rules())
    assert setup_problem(seq, compute_metrics(seq), checks) == readiness.FEET_HIDDEN
