"""Rendered front-view squats through the real pose model: the preset with both faults at once
fails both checks and nothing else; the symmetric knee-valgus squat raises no symmetry cue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.synth import Camera, Scene, preset, write
from formcheck.synth.presets import FAULT_RULE

pytestmark = pytest.mark.slow

#: One squat in about 4 s, filmed small at 15 fps (~60 frames): quick to render and track.
SMALL = Camera(width=320, height=240, fps=15.0)


def _analyse(name: str, tmp_path: Path):
    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.media.pose import extract

    squat = replace(preset(name), reps=1, stand_s=0.6)
    video, _ = write(tmp_path / f"{name}.mp4", Scene(squat, SMALL, seed=1, preset=name))
    return analyze(extract(video, progress=False), load_rules())


def _failed(analysis) -> set[str]:
    names = [r.name for r in analysis.rules.rules]
    return {names[k] for k in np.nonzero((analysis.scores.status == 2).any(axis=0))[0]}


def test_turned_out_feet_with_knees_caving_in_fail_both_checks(tmp_path: Path) -> None:
    analysis = _analyse("turned-out-valgus", tmp_path)
    assert len(analysis.reps) == 1
    assert set(analysis.rep_views) == {"front"}
    failed = _failed(analysis)
    assert failed == set(FAULT_RULE["turned-out-valgus"]), failed
    cues = {c["rule"] for c in analysis.scores.top_cues()}
    assert {"feet_parallel", "knees_over_feet"} <= cues


def test_symmetric_knee_valgus_raises_no_symmetry_cue(tmp_path: Path) -> None:
    analysis = _analyse("knee-valgus", tmp_path)
    assert len(analysis.reps) == 1
    k = [r.name for r in analysis.rules.rules].index("symmetry")
    assert (analysis.scores.status[:, k] == 1).all()  # judged, and passed
    assert "symmetry" not in {c["rule"] for c in analysis.scores.top_cues()}
    # the value judged is the row's asymmetry of the one knee angle
    np.testing.assert_allclose(
        analysis.scores.values[:, k], analysis.scores.measurements["knee_flexion_asymmetry_deg"]
    )
