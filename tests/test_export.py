"""``formcheck analyze --export trc,mot,c3d``: files read back with the real readers (OpenSim, ezc3d).

A synthetic squat set (`formcheck.testing`) is saved as a landmark cache beside a plain video and
analysed through the CLI with ``--landmarks`` (no pose model). The readers are the optional
``formcheck[biomech]`` extra: the tests that need them skip when it is absent.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.batch.jobs import Settings, file_sha256, job_dirname
from formcheck.core.landmarks import INDEX
from formcheck.errors import InputError
from formcheck.export import EXPORT_FILES, parse_exports
from formcheck.export.markers import MARKERS
from formcheck.media.cache import load, save
from formcheck.media.videowriter import VideoWriter
from formcheck.testing import squat_sequence_with_truth

SIZE = (320, 240)


def _formcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _set(folder: Path, yaw_deg: float) -> tuple[Path, Path]:
    """A 2-rep set seen from ``yaw_deg`` (0 front, 90 side) with one frame without a person:
    ``(plain video, landmark cache)``."""
    seq, _ = squat_sequence_with_truth(n_reps=2, image_size=SIZE, yaw_deg=yaw_deg, valgus_deg=8)
    lost = 40  # a frame where nobody was found: NaN in the markers, never 0
    for a in (seq.landmarks, seq.world, seq.visibility):
        a[lost] = np.nan
    folder.mkdir(parents=True, exist_ok=True)
    cache = save(seq, folder / "set.npz")
    video = folder / "set.mp4"
    with VideoWriter(video, fps=seq.fps, size=SIZE) as writer:
        for _ in range(len(seq)):
            writer.write(np.full((SIZE[1], SIZE[0], 3), 180, np.uint8))
    return video, cache


def _analyse(folder: Path, yaw_deg: float, exports: str) -> Path:
    """`formcheck analyze` of `_set` with ``--export exports``; returns the output folder."""
    video, cache = _set(folder, yaw_deg)
    out = folder / "out"
    proc = _formcheck(
        "analyze", video, "-o", out, "--landmarks", cache, "--no-video", "--export", exports
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module", params=[0.0, 90.0], ids=["front", "side"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip(
        "ezc3d", reason='needs formcheck[biomech] (pip install "formcheck[biomech]")'
    )
    return _analyse(tmp_path_factory.mktemp("export"), request.param, "trc,mot,c3d")


def _frames(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "frames.csv").read_text())))


def _expected_markers(out: Path) -> np.ndarray:
    """``(T, M, 3)`` marker positions in metres in the export frame, from the landmark cache."""
    seq = load(out / "landmarks.npz")
    world = seq.world[:, [INDEX[n] for n in MARKERS.values()], :]
    return world * np.array([1.0, -1.0, -1.0])  # x right, y up, z towards the camera


def test_trc_reads_in_opensim_with_the_landmarks(exported: Path) -> None:
    opensim = pytest.importorskip("opensim", reason="needs formcheck[biomech]")
    table = opensim.TimeSeriesTableVec3(str(exported / "markers.trc"))
    frames = _frames(exported)
    assert list(table.getColumnLabels()) == list(MARKERS)
    assert table.getTableMetaDataAsString("Units") == "m"
    assert float(table.getTableMetaDataAsString("DataRate")) == pytest.approx(30.0)
    assert table.getNumRows() == len(frames)
    times = np.array(table.getIndependentColumn())
    np.testing.assert_allclose(times, [float(r["time_s"]) for r in frames], atol=1e-4)
    rows = [table.getRowAtIndex(i) for i in range(table.getNumRows())]
    got = np.array([[list(row[j].to_numpy()) for j in range(len(MARKERS))] for row in rows])
    np.testing.assert_allclose(got, _expected_markers(exported), atol=1e-6)
    lost = [i for i, r in enumerate(frames) if r["person_found"] == "0"]
    assert lost == [40] and np.isnan(got[40]).all()
    # Y is up: the head is above the hips, the ankles below
    knee = got[:, list(MARKERS).index("LKnee"), 1]
    assert np.nanmean(got[:, 0, 1]) > 0.4 and np.nanmean(knee) < -0.2


def test_mot_reads_in_opensim_with_the_frames_csv_angles(exported: Path) -> None:
    opensim = pytest.importorskip("opensim", reason="needs formcheck[biomech]")
    path = str(exported / "angles.mot")
    frames = _frames(exported)
    view = frames[len(frames) // 2]["view"]
    storage = opensim.Storage(path)  # the legacy reader: header only (it stops at a NaN row)
    assert storage.isInDegrees()
    table = opensim.TimeSeriesTable(path)
    labels = list(table.getColumnLabels())
    names = storage.getColumnLabels()
    assert [names.get(i) for i in range(names.getSize())] == ["time", *labels]
    frontal = ["fppa_left", "fppa_right", "foot_progression_left", "foot_progression_right"]
    knees = ["knee_flexion_left", "knee_flexion_right"]
    # a frontal-plane angle is not measurable from the side: no column, never a guess
    assert labels == knees + (frontal if view == "front" else []) + ["trunk_lean"]
    assert table.getNumRows() == len(frames)
    knee = "knee_bend"  # formcheck's one knee angle (`formcheck.core.metrics.knee_bend`)
    header = (exported / "angles.mot").read_text().split("endheader")[0]
    assert f"knee_flexion_left = formcheck metric {knee}_left" in header
    for label in labels:
        column = label.replace("knee_flexion", knee) + "_deg"
        want = np.array([float(r[column]) if r[column] else np.nan for r in frames])
        got = table.getDependentColumn(label).to_numpy()
        np.testing.assert_allclose(got, want, atol=6e-4, err_msg=label)  # frames.csv: 3 decimals
    if view == "front":  # 8 deg of valgus at depth: measured, + = knee inward
        assert np.nanmax(table.getDependentColumn("fppa_left").to_numpy()) > 5
    else:
        assert "Not measurable from the side view: fppa_left" in header


def test_c3d_reads_in_ezc3d_with_the_landmarks_in_mm(exported: Path) -> None:
    ezc3d = pytest.importorskip("ezc3d")
    c3d = ezc3d.c3d(str(exported / "markers.c3d"))
    point = c3d["parameters"]["POINT"]
    assert point["LABELS"]["value"] == list(MARKERS)
    assert point["UNITS"]["value"] == ["mm"]
    assert point["RATE"]["value"][0] == pytest.approx(30.0)
    xyz = c3d["data"]["points"][:3].transpose(2, 1, 0)  # (T, M, 3)
    want = _expected_markers(exported) * 1000
    known = np.isfinite(want).all(axis=2)
    np.testing.assert_allclose(xyz[known], want[known], atol=0.01)  # float32 in the file
    residuals = c3d["data"]["meta_points"]["residuals"][0].T  # (T, M)
    assert (residuals[~known] < 0).all() and (residuals[known] >= 0).all()
    assert not known[40].any()


def test_only_the_asked_formats_are_written_and_a_rerun_removes_stale_ones(tmp_path: Path) -> None:
    out = _analyse(tmp_path, 0.0, "MOT, trc")
    assert {p.name for p in out.iterdir()} >= {"angles.mot", "markers.trc"}
    assert not (out / "markers.c3d").exists()


def test_batch_exports_beside_each_video(tmp_path: Path) -> None:
    """``formcheck batch --export``: each video's folder gets the files; the pose model is not run
    (its landmark cache is in place, as a finished earlier batch leaves it)."""
    video, cache = _set(tmp_path / "in", 0.0)
    cache = cache.rename(tmp_path / "set.npz")
    out = tmp_path / "out"
    job = out / "videos" / job_dirname("set.mp4", file_sha256(video))
    job.mkdir(parents=True)
    shutil.copy(cache, job / "landmarks.npz")
    env = {**os.environ, "FORMCHECK_MODEL": str(tmp_path / "no-model.task")}
    command = [sys.executable, "-m", "formcheck", "batch", tmp_path / "in", "-o", out]
    command += ["--no-video", "--no-progress", "--workers", "1", "--export", "trc,mot"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (job / "markers.trc").is_file() and (job / "angles.mot").is_file()
    assert not (job / "markers.c3d").exists()
    bad = subprocess.run([*command[:-1], "trc,bvh"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "unknown format bvh" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_batch_settings_key_changes_with_exports_only_when_asked() -> None:
    assert Settings().key() == Settings(exports=()).key()
    assert Settings(exports=("trc",)).key() != Settings().key()
    assert Settings(exports=("mot", "trc")).key() == Settings(exports=("trc", "mot")).key()


@pytest.mark.parametrize("text", ["trc,bvh", "csv"])
def test_unknown_format_is_one_line_on_stderr(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match="unknown format"):
        parse_exports(text)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    proc = _formcheck("analyze", video, "-o", tmp_path / "out", "--export", text)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "unknown format" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_export_names_and_parsing() -> None:
    assert parse_exports(None) == () and parse_exports("") == ()
    assert parse_exports(" trc , .mot,trc") == ("trc", "mot")
    assert set(EXPORT_FILES) == {"trc", "mot", "c3d"}
