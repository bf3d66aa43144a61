"""Outputs name the video by its file name: a clinic's folder names are often patients' names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.media.cache import load, save
from formcheck.media.videowriter import VideoWriter
from formcheck.testing import squat_sequence_with_truth

SIZE = (240, 320)
PATIENT = "Jane Doe 1961-04-02"


@pytest.fixture(scope="module")
def patient_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A squat set in a folder named after a patient, and its landmark cache (elsewhere)."""
    folder = tmp_path_factory.mktemp("clinic") / PATIENT
    folder.mkdir()
    seq, _ = squat_sequence_with_truth(n_reps=2, image_size=SIZE, peak_knee_flexion=110.0)
    video = folder / "session 3.mp4"
    with VideoWriter(video, fps=30.0, size=SIZE) as writer:
        for _ in range(len(seq)):
            writer.write(np.full((SIZE[1], SIZE[0], 3), 180, np.uint8))
    return video, save(seq, tmp_path_factory.mktemp("cache") / "lm.npz")


def _analyze(video: Path, cache: Path, out: Path, *extra: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(video), "--landmarks", str(cache)]
        + ["-o", str(out), "--no-video", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_outputs_name_the_file_not_its_folder(patient_video, tmp_path: Path) -> None:
    video, cache = patient_video
    _analyze(video, cache, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["video"]["path"] == "session 3.mp4"
    for item in sorted((tmp_path / "out").iterdir()):
        data = item.read_bytes()
        assert PATIENT.encode() not in data, item.name
        assert str(video.parent).encode() not in data, item.name
    assert load(tmp_path / "out" / "landmarks.npz").meta["video_name"] == "session 3.mp4"


def test_full_paths_writes_the_absolute_path(patient_video, tmp_path: Path) -> None:
    video, cache = patient_video
    _analyze(video, cache, tmp_path / "out", "--full-paths")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["video"]["path"] == str(video.resolve())


def test_default_output_folders_of_the_samples_are_ignored_by_git(repo_root: Path) -> None:
    proc = subprocess.run(
        ["git", "check-ignore", "samples/good-cyclist-squat_front_formcheck/report.html"],
        cwd=repo_root,
        capture_output=True,
        text=True,
    )
    if proc.returncode == 128:
        pytest.skip("not a git checkout")
    assert proc.returncode == 0, "samples/*_formcheck/ is not ignored"
