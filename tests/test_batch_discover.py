"""Batch input and job identity: folder discovery, manifest validation, content hashes, folder names."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.batch.digest import SUMMARY_JSON, RuleDigest, VideoSummary, write_summary_json
from formcheck.batch.discover import discover_folder, read_manifest
from formcheck.batch.jobs import (
    HashCache,
    JobResult,
    Settings,
    existing_job_dirs,
    file_sha256,
    finished,
    job_dirname,
    plan_dir,
    write_marker,
)
from formcheck.errors import InputError


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_is_searched_recursively_case_insensitively_skipping_hidden_and_output(
    tmp_path: Path,
) -> None:
    for name in [
        "a/clip.mp4",
        "b/clip.MP4",
        "c/d/e.Mov",
        "top.mkv",
        "notes.txt",
        "a/.hidden.mp4",
        ".cache/x.mp4",
        "out/videos/clip-0123456789/annotated.mp4",
        "f.mp4.txt",
    ]:
        _touch(tmp_path / name)
    entries = discover_folder(tmp_path, exclude=[tmp_path / "out"])
    assert [e.name for e in entries] == ["a/clip.mp4", "b/clip.MP4", "c/d/e.Mov", "top.mkv"]
    assert entries[0].path == tmp_path / "a" / "clip.mp4"


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no-such: expected a folder"):
        discover_folder(tmp_path / "no-such")


def test_manifest_rows_resolve_relative_to_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,patient_id,session_date,view,notes\n"
        'v/a.mp4,P1,2024-01-05,Front,"first, knee pain"\n'
        "\n"
        "/abs/b.mp4,P2,,,\n"
    )
    a, b = read_manifest(manifest)
    assert (a.path, a.name, a.patient_id, a.session_date, a.view, a.notes) == (
        tmp_path / "v" / "a.mp4",
        "v/a.mp4",
        "P1",
        "2024-01-05",
        "front",
        "first, knee pain",
    )
    assert (b.path, b.session_date, b.view) == (Path("/abs/b.mp4"), "", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"m\.csv:1: expected a header row"),
        ("file,patient_id\nx.mp4,P1\n", r"m\.csv:1: expected a header .* got file, patient_id"),
        (
            "path,patient_id\n,P1\n",
            r"m\.csv:2: expected a video path in column path, got an empty cell",
        ),
        ("path,patient_id\na.mp4,P1,extra\n", r"m\.csv:2: expected 2 fields, got 3"),
        (
            "path,session_date\na.mp4,2024-01-05\nb.mp4,05/01/2024\n",
            r"m\.csv:3: expected session_date as YYYY-MM-DD, got '05/01/2024'",
        ),
        (
            "path,view\na.mp4,top\n",
            r"m\.csv:2: expected view front, side, oblique or empty, got 'top'",
        ),
        (
            "path\na.mp4\n./a.mp4\n",
            r"m\.csv:3: expected each video once, got ./a.mp4 again \(first on",
        ),
        ("path,notes\n", r"m\.csv: expected at least one video row, got none"),
    ],
)
def test_bad_manifest_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(text)
    with pytest.raises(InputError, match=message):
        read_manifest(manifest)


def test_sha256_is_streamed_and_exact(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # 2.2 MiB: more than one read chunk
    path = _touch(tmp_path / "v.mp4", data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_same_file_name_different_content_never_shares_a_folder(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a" / "clip.mp4", b"one")
    b = _touch(tmp_path / "b" / "clip.mp4", b"two")
    da, db = job_dirname(a, file_sha256(a)), job_dirname(b, file_sha256(b))
    assert da != db and da.startswith("clip-") and len(da) == len("clip-") + 10
    assert job_dirname("knee pain (P1) é.MOV", "ab" * 32) == "knee_pain_P1-ababababab"
    assert job_dirname("<script>alert(1)</script>.mp4", "ab" * 32) == "script-ababababab"
    assert job_dirname("....mp4", "ab" * 32) == "video-ababababab"


def _digest(*rules: str) -> VideoSummary:
    """A digest with the given rules (in that order), none of them judged."""
    return VideoSummary(
        status="analysed",
        message="3 squat repetitions analysed.",
        reps=3,
        score=81.25,
        detected_view="side",
        rules={name: RuleDigest(name.title(), "deg", 0, None, None) for name in rules},
    )


def test_finished_marker_is_keyed_by_content_and_settings(tmp_path: Path) -> None:
    rules = _touch(tmp_path / "r.toml", b"threshold = 1\n")
    key, other = Settings().key(), Settings(rules=str(rules)).key()
    assert key != other
    assert Settings(make_video=False).key() != key
    job_dir = tmp_path / "out" / "videos" / "clip-aaaaaaaaaa"
    assert finished(job_dir, "a" * 64, key) is None  # nothing there yet
    write_marker(job_dir, JobResult("a" * 64, key, "ok", summary=_digest()))
    assert finished(job_dir, "a" * 64, key) is None  # the marker, but no digest: redo
    write_summary_json(job_dir, _digest())
    assert finished(job_dir, "a" * 64, key).summary == _digest()
    assert finished(job_dir, "a" * 64, other) is None  # new rules: due again
    assert finished(job_dir, "b" * 64, key) is None
    write_summary_json(job_dir, _digest("z", "a"))
    assert list(finished(job_dir, "a" * 64, key).summary.rules) == ["z", "a"]  # order kept
    (job_dir / SUMMARY_JSON).write_text('{"status": "analysed"}')  # damaged digest: redo
    assert finished(job_dir, "a" * 64, key) is None
    write_summary_json(job_dir, _digest())
    (job_dir / "batch-done.json").write_text("{trunc")  # damaged marker = unfinished
    assert finished(job_dir, "a" * 64, key) is None
    failed = JobResult("a" * 64, key, "failed", error="clip.mp4: not a readable video")
    write_marker(job_dir, failed)
    assert finished(job_dir, "a" * 64, key) == failed  # a failure needs no digest


def test_digest_survives_json_and_pickle() -> None:
    """The worker returns the digest across processes (pickle) and stores it (summary.json)."""
    digest = _digest("depth", "knee_valgus")
    result = JobResult("a" * 64, "k", "ok", summary=digest)
    assert pickle.loads(pickle.dumps(result)) == result
    assert VideoSummary.from_dict(json.loads(digest.to_json())) == digest
    assert json.loads(result.to_json()).keys().isdisjoint({"summary"})  # marker: no second copy


def test_renamed_video_finds_its_earlier_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sha = "c" * 64
    old = out / "videos" / f"old-name-{sha[:10]}"
    write_marker(old, JobResult(sha, "k", "ok"))
    assert plan_dir(out, "new-name.mp4", sha, existing_job_dirs(out)) == old
    new = plan_dir(out, "other.mp4", "d" * 64, existing_job_dirs(out))
    assert new == out / "videos" / f"other-{'d' * 10}"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "formcheck", "batch", *args, "--no-progress"]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def test_cli_manifest_metadata_reaches_the_summary(tmp_path: Path) -> None:
    """Manifest rows pointing at unusable files: failed rows that keep patient, session and notes."""
    _touch(tmp_path / "v" / "empty.mp4", b"")
    _touch(tmp_path / "v" / "text.mp4", b"not a video\n")
    manifest = tmp_path / "clinic.csv"
    manifest.write_text(
        "path,patient_id,session_date,view,notes\n"
        "v/empty.mp4,P7,2024-02-01,side,copied from phone\n"
        "v/text.mp4,P7,2024-01-03,,\n"
        "v/missing.mp4,P8,2024-01-04,front,<b>lost</b>\n"
    )
    out = tmp_path / "out"
    done = _cli(str(manifest), "-o", str(out))
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("3 videos: 3 failed (2 run, 0 already done)")
    rows = {r["path"]: r for r in csv.DictReader((out / "summary.csv").open(newline=""))}
    empty = rows["v/empty.mp4"]
    assert (empty["patient_id"], empty["session_date"], empty["view"], empty["notes"]) == (
        "P7",
        "2024-02-01",
        "side",
        "copied from phone",
    )
    assert rows["v/missing.mp4"]["error"] == "no such file"
    page = (out / "index.html").read_text()
    patients = page[page.index("Patients: sessions over time") :]
    assert patients.index("2024-01-03") < patients.index("2024-02-01")  # sessions in date order
    assert "&lt;b&gt;lost&lt;/b&gt;" in page


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda d: (d / "m.csv").write_text("path,when\nx.mp4,today\n"),
            "m.csv:1: expected a header",
        ),
        (
            lambda d: (d / "m.csv").write_text("path,view\nx.mp4,top\n"),
            "m.csv:2: expected view front",
        ),
        (lambda d: (d / "v").mkdir(), "v: expected video files"),
        (
            lambda d: (d / "clip.mp4").write_bytes(b""),
            "clip.mp4: expected a folder of videos or a manifest",
        ),
    ],
)
def test_cli_bad_batch_input_is_one_line_and_no_output(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    target = next(p for p in tmp_path.iterdir())
    done = _cli(str(target), "-o", str(tmp_path / "out"))
    assert done.returncode == 1
    assert (
        done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_hash_cache_reads_a_file_again_only_when_it_changed(tmp_path: Path) -> None:
    video = _touch(tmp_path / "v.mp4", b"first version")
    first = HashCache(tmp_path / "hashes.json")
    assert first.sha256(video) == hashlib.sha256(b"first version").hexdigest() and first.hashed == 1
    first.save()
    again = HashCache(tmp_path / "hashes.json")
    assert again.sha256(video) == hashlib.sha256(b"first version").hexdigest() and again.hashed == 0
    video.write_bytes(b"second, longer version")
    assert (
        again.sha256(video) == hashlib.sha256(b"second, longer version").hexdigest()
        and again.hashed == 1
    )
    (tmp_path / "hashes.json").write_text("{not json")
    assert HashCache(tmp_path / "hashes.json").sha256(video) == file_sha256(
        video
    )  # damaged cache: re-read


def test_cli_missing_model_stops_before_anything_is_written(tmp_path: Path) -> None:
    _touch(tmp_path / "in" / "a.mp4", b"x" * 100)
    model = {"FORMCHECK_MODEL": str(tmp_path / "no.task")}
    done = _cli(str(tmp_path / "in"), "-o", str(tmp_path / "out"), env=model)
    assert (
        done.returncode == 1
        and "no.task: no such file" in done.stderr
        and done.stderr.count("\n") == 1
    )
    assert not (tmp_path / "out").exists()
