"""formcheck.media.cache: exact .npz round trip, clean load errors, atomic writes, the wide CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.landmarks import INDEX, NUM_LANDMARKS
from formcheck.core.sequence import PoseSequence
from formcheck.errors import InputError
from formcheck.media import cache


def _sequence(n: int = 40) -> PoseSequence:
    rng = np.random.default_rng(11)
    landmarks = rng.random((n, NUM_LANDMARKS, 3))
    world = rng.normal(0, 0.4, (n, NUM_LANDMARKS, 3))
    visibility = rng.random((n, NUM_LANDMARKS))
    for a in (landmarks, world, visibility):
        a[[i for i in (3, 4, 17) if i < n]] = np.nan  # frames with no person
    return PoseSequence(
        landmarks=landmarks,
        world=world,
        visibility=visibility,
        timestamps=np.arange(n) * 1001 / 30000,
        fps=30000 / 1001,
        image_size=(1080, 1920),
        source="/videos/squat é.mp4",
        model_sha256="43392b982bd01bcd563e85ebaada497796f458b8653038121ec3bea385bf5821",
        meta={"model": "pose_landmarker_full.task", "rotation": "90"},
    )


def test_round_trip_is_exact_including_nan_rows(tmp_path: Path) -> None:
    seq = _sequence()
    back = cache.load(cache.save(seq, tmp_path / "s.npz"))
    for name in ("landmarks", "world", "visibility", "timestamps"):
        assert np.array_equal(getattr(back, name), getattr(seq, name), equal_nan=True), name
    assert np.array_equal(back.detected, seq.detected)
    assert back.detected.sum() == len(seq) - 3
    assert back.fps == seq.fps
    assert back.image_size == seq.image_size
    assert back.source == "squat é.mp4"  # the file name only: folders name patients
    assert back.model_sha256 == seq.model_sha256
    assert back.meta == seq.meta


def test_round_trip_of_an_empty_sequence(tmp_path: Path) -> None:
    back = cache.load(cache.save(PoseSequence.empty(25.0, (640, 480), "x.mp4"), tmp_path / "e.npz"))
    assert len(back) == 0 and back.fps == 25.0 and back.image_size == (640, 480)


def test_save_creates_the_folder_and_leaves_no_temp_file(tmp_path: Path) -> None:
    out = cache.save(_sequence(), tmp_path / "new" / "dir" / "s.npz")
    assert out.is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.npz"]


def test_failed_write_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cache.save(_sequence(5), tmp_path / "s.npz")
    before = out.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        cache.save(_sequence(), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]


def _write_npz(path: Path, **arrays: np.ndarray) -> Path:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _rewritten(tmp_path: Path, drop: str = "", **override: np.ndarray) -> Path:
    with np.load(cache.save(_sequence(5), tmp_path / "ok.npz")) as data:
        arrays = {k: data[k] for k in data.files if k != drop}
    arrays.update(override)
    return _write_npz(tmp_path / "bad.npz", **arrays)


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda d: d / "absent.npz", "no such file"),
        (lambda d: d, "is a directory"),
        (
            lambda d: (d / "t.npz").write_text("hello") and d / "t.npz",
            "not a readable landmark cache",
        ),
        (lambda d: np.save(d / "a.npy", np.zeros(3)) or d / "a.npy", "single .npy array"),
        (lambda d: _write_npz(d / "o.npz", x=np.zeros(3)), "not a formcheck landmark cache"),
        (lambda d: _rewritten(d, format_version=np.array(99)), "format version 99, expected 1"),
        (lambda d: _rewritten(d, drop="world"), "missing world"),
        (lambda d: _rewritten(d, timestamps=np.zeros(5)), "inconsistent landmark cache"),
    ],
    ids=[
        "missing",
        "directory",
        "text",
        "npy",
        "foreign-npz",
        "version",
        "missing-key",
        "bad-timestamps",
    ],
)
def test_load_errors_are_one_line_input_errors(
    tmp_path: Path, make: Callable[[Path], Path], phrase: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as err:
        cache.load(path)
    assert str(path) in str(err.value)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def test_csv_has_named_columns_and_exact_values(tmp_path: Path) -> None:
    seq = _sequence()
    path = cache.save_csv(seq, tmp_path / "s.csv")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert len(header) == 3 + NUM_LANDMARKS * 7 and len(body) == len(seq)
    assert header[:10] == [
        "frame",
        "time_s",
        "detected",
        "nose_x",
        "nose_y",
        "nose_z",
        "nose_vis",
        "nose_wx",
        "nose_wy",
        "nose_wz",
    ]
    col = {name: i for i, name in enumerate(header)}
    knee = INDEX["left_knee"]
    row = body[10]
    assert row[col["frame"]] == "10" and row[col["detected"]] == "1"
    assert float(row[col["time_s"]]) == pytest.approx(10 * 1001 / 30000, abs=1e-6)
    assert float(row[col["left_knee_y"]]) == pytest.approx(seq.landmarks[10, knee, 1], rel=1e-8)
    assert float(row[col["left_knee_vis"]]) == pytest.approx(seq.visibility[10, knee], rel=1e-8)
    assert float(row[col["left_knee_wz"]]) == pytest.approx(seq.world[10, knee, 2], rel=1e-8)
    missing = body[17]
    assert missing[col["detected"]] == "0"
    assert missing[3:] == [""] * (NUM_LANDMARKS * 7)


def test_csv_table_reads_back_as_the_sequence(tmp_path: Path) -> None:
    seq = _sequence()
    table = np.genfromtxt(cache.save_csv(seq, tmp_path / "s.csv"), delimiter=",", skip_header=1)
    per_landmark = table[:, 3:].reshape(len(seq), NUM_LANDMARKS, 7)
    np.testing.assert_allclose(per_landmark[..., :3], seq.landmarks, rtol=1e-8)
    np.testing.assert_allclose(per_landmark[..., 3], seq.visibility, rtol=1e-8)
    np.testing.assert_allclose(per_landmark[..., 4:], seq.world, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(table[:, 2], seq.detected)


def test_extract_cached_extracts_once_and_again_for_another_video(
    noise_video: Path, tmp_path: Path
) -> None:
    """Real MediaPipe on 12 frames of noise: NaN rows, saved; then read back without the model."""
    from formcheck.media.cache import extract_cached

    path = tmp_path / "cache" / "noise.npz"
    first = extract_cached(noise_video, path)
    assert path.is_file() and len(first) == 12 and not first.detected.any()
    stamp = path.stat().st_mtime_ns
    again = extract_cached(noise_video, path)
    assert path.stat().st_mtime_ns == stamp  # read from the cache, not re-extracted
    np.testing.assert_array_equal(again.timestamps, first.timestamps)
    other = tmp_path / "other.mp4"
    other.write_bytes(noise_video.read_bytes())
    assert (
        Path(extract_cached(other, path).source).name == "other.mp4"
    )  # the cache held another video's


def test_sequence_from_image_landmarks_of_other_tools() -> None:
    points = np.random.default_rng(1).random((5, 33, 4))
    points[2] = np.nan  # no person on frame 2
    seq = PoseSequence.from_image_landmarks(points, 25.0, (640, 480), source="other.csv")
    np.testing.assert_array_equal(seq.landmarks, points[..., :3])
    np.testing.assert_array_equal(seq.visibility[[0, 1, 3, 4]], points[[0, 1, 3, 4], :, 3])
    assert (seq.visibility[2] == 0).all() and np.isnan(seq.world).all()
    np.testing.assert_allclose(seq.timestamps, np.arange(5) / 25.0)
    assert seq.detected.tolist() == [True, True, False, True, True] and seq.source == "other.csv"
    with pytest.raises(ValueError, match=r"points: expected shape \(T, 33, 4\), got \(5, 33, 3\)"):
        PoseSequence.from_image_landmarks(points[..., :3], 25.0, (640, 480))


def _two_videos(folder: Path) -> tuple[Path, Path]:
    """Two files of the same size that differ only in their last byte (as two recordings would
    differ somewhere): the fingerprint must tell them apart."""
    a, b = folder / "front.mp4", folder / "side.mp4"
    body = bytes(range(256)) * 20_000  # 5 MB: more than both hashed ends together
    a.write_bytes(body + b"a")
    b.write_bytes(body + b"b")
    return a, b


def test_cache_is_bound_to_its_video(tmp_path: Path) -> None:
    front, side = _two_videos(tmp_path)
    path = cache.save(_sequence(), tmp_path / "front.npz", video=front)
    seq = cache.load(path)
    assert seq.meta["video_name"] == "front.mp4"
    assert seq.meta["video_size"] == str(front.stat().st_size)
    cache.check_video(seq, path, front)  # its own video: accepted
    with pytest.raises(InputError) as err:
        cache.check_video(seq, path, side)
    message = str(err.value)
    assert str(path) in message and str(side) in message and "front.mp4" in message
    assert "\n" not in message


def test_fingerprint_reads_only_the_ends_of_the_file(tmp_path: Path) -> None:
    front, _ = _two_videos(tmp_path)
    before = cache.video_fingerprint(front)
    data = bytearray(front.read_bytes())
    data[len(data) // 2] ^= (
        0xFF  # the middle is not hashed: the fingerprint is cheap, not a checksum
    )
    front.write_bytes(bytes(data))
    assert cache.video_fingerprint(front) == before
    data[0] ^= 0xFF
    front.write_bytes(bytes(data))
    assert cache.video_fingerprint(front) != before


def test_cache_without_fingerprint_is_refused_only_for_another_named_video(tmp_path: Path) -> None:
    front, side = _two_videos(tmp_path)
    seq = cache.load(cache.save(_sequence(), tmp_path / "old.npz"))  # source "squat é.mp4"
    with pytest.raises(InputError, match="landmarks of squat é.mp4, not of"):
        cache.check_video(seq, tmp_path / "old.npz", front)
    renamed = tmp_path / "squat é.mp4"
    front.rename(renamed)
    cache.check_video(seq, tmp_path / "old.npz", renamed)  # the same name: nothing else to check


def test_pickled_npz_is_refused_without_numpy_advice(tmp_path: Path) -> None:
    path = _rewritten(tmp_path, meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError) as err:
        cache.load(path)
    assert "holds Python objects" in str(err.value)
    assert "allow_pickle" not in str(err.value)
