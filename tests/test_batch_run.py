"""The batch executor with a small real analysis (`batch_support.brightness_analysis`, no pose model):
bad files become rows, finished work is skipped by content, rules changes re-score from the cache,
a crashing worker does not stop the batch."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from batch_support import make_bad_files, make_videos

from formcheck.batch.digest import SUMMARY_JSON, RuleDigest, VideoSummary
from formcheck.batch.discover import discover_folder
from formcheck.batch.jobs import MARKER, Settings
from formcheck.batch.run import EXIT_OK, EXIT_SOME_FAILED, run_batch
from formcheck.batch.summary import write_summary
from formcheck.batch.worker import usable_cpus

ANALYZER = "batch_support:brightness_analysis"


def _log(out: Path) -> list[dict]:
    path = out / "batch-log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _bright(outcome) -> RuleDigest:
    return outcome.result.summary.rules["bright"]


def _by_name(report) -> dict:
    return {o.entry.name: o for o in report.outcomes}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    good = make_videos(root, ["a/clip.mp4", "b/clip.mp4", "c.MOV"])
    make_bad_files(root / "bad", good[0])
    return root


def test_bad_files_are_failed_rows_and_the_batch_goes_on(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = run_batch(discover_folder(folder), out, workers=2, analyzer=ANALYZER, progress=False)
    rows = _by_name(report)
    assert report.exit_code == EXIT_SOME_FAILED
    assert {n: o.result.status for n, o in rows.items()} == {
        "a/clip.mp4": "ok",
        "b/clip.mp4": "ok",
        "c.MOV": "ok",
        "bad/corrupt.mp4": "failed",
        "bad/empty.mp4": "failed",
        "bad/notes.mp4": "failed",
    }
    assert "empty file" in rows["bad/empty.mp4"].result.error
    assert "not a readable video" in rows["bad/notes.mp4"].result.error
    assert "not a readable video" in rows["bad/corrupt.mp4"].result.error
    # same file name, different content: two folders, two analyses
    assert rows["a/clip.mp4"].job_dir != rows["b/clip.mp4"].job_dir
    assert _bright(rows["a/clip.mp4"]).median != _bright(rows["b/clip.mp4"]).median
    for name in ("a/clip.mp4", "b/clip.mp4", "c.MOV"):
        assert (rows[name].job_dir / "report.json").is_file() and (
            rows[name].job_dir / MARKER
        ).is_file()
    assert (report.ran, report.skipped) == (6, 0)


def test_finished_videos_are_skipped_by_content_not_by_name(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copy(folder / "a" / "clip.mp4", folder / "copy-of-a.mp4")  # same content, other name
    first = run_batch(discover_folder(folder), out, workers=2, analyzer=ANALYZER, progress=False)
    assert first.ran == 6  # 7 files, 6 distinct contents
    rows = _by_name(first)
    assert rows["copy-of-a.mp4"].job_dir == rows["a/clip.mp4"].job_dir
    (folder / "c.MOV").rename(folder / "renamed.mov")
    second = run_batch(discover_folder(folder), out, workers=2, analyzer=ANALYZER, progress=False)
    assert (second.ran, second.skipped) == (0, 6)
    assert _by_name(second)["renamed.mov"].job_dir == rows["c.MOV"].job_dir
    analysed = Counter(r["sha256"] for r in _log(out))
    assert set(analysed.values()) == {1}  # nothing analysed twice


def test_new_rules_rescore_from_the_landmark_cache(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    entries = [e for e in discover_folder(folder) if not e.name.startswith("bad/")]
    rules = tmp_path / "strict.toml"
    rules.write_text("threshold = 250\n")
    strict = Settings(rules=str(rules), make_video=False)
    before = run_batch(
        entries, out, Settings(make_video=False), workers=1, analyzer=ANALYZER, progress=False
    )
    after = run_batch(entries, out, strict, workers=1, analyzer=ANALYZER, progress=False)
    assert after.ran == 3 and after.exit_code == EXIT_OK
    log = _log(out)
    assert [r["pose_source"] for r in log] == ["model"] * 3 + ["cache"] * 3  # no second decode
    for b, a in zip(before.outcomes, after.outcomes, strict=True):
        assert b.job_dir == a.job_dir
        assert _bright(a).pass_rate == 0.0  # nothing is that bright
        assert _bright(a).median == _bright(b).median
    assert _bright(before.outcomes[2]).pass_rate == 1.0
    again = run_batch(entries, out, strict, workers=1, analyzer=ANALYZER, progress=False)
    assert again.ran == 0 and again.skipped == 3
    # a skipped video's digest is the one its worker wrote (summary.json), not re-derived
    assert [o.result.summary for o in again.outcomes] == [o.result.summary for o in after.outcomes]
    for o in again.outcomes:
        stored = json.loads((o.job_dir / SUMMARY_JSON).read_text())
        assert VideoSummary.from_dict(stored) == o.result.summary


def test_a_crashing_worker_is_retried_then_reported_and_the_rest_finish(tmp_path: Path) -> None:
    root = tmp_path / "in"
    make_videos(root, ["a.mp4", "crash.mp4", "z.mp4"])
    out = tmp_path / "out"
    report = run_batch(
        discover_folder(root),
        out,
        workers=1,
        analyzer="batch_support:crash_analysis",
        progress=False,
    )
    rows = _by_name(report)
    assert rows["a.mp4"].result.status == "ok" and rows["z.mp4"].result.status == "ok"
    assert rows["crash.mp4"].result.status == "failed"
    assert rows["crash.mp4"].result.error == "worker process crashed twice on this video"
    assert not (rows["crash.mp4"].job_dir / MARKER).exists()  # not final: tried again next run
    assert report.exit_code == EXIT_SOME_FAILED


def test_summary_files_are_written_from_the_outcomes(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = run_batch(discover_folder(folder), out, workers=2, analyzer=ANALYZER, progress=False)
    csv_path, html_path = write_summary(out.resolve(), report.outcomes)
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("path,patient_id,session_date,view,notes,status,error,reps,score,")
    assert lines[0].endswith(",bright_pass_rate,bright_median")
    assert [line.split(",")[0] for line in lines[1:]] == [
        "a/clip.mp4",
        "b/clip.mp4",
        "bad/corrupt.mp4",
        "bad/empty.mp4",
        "bad/notes.mp4",
        "c.MOV",
    ]
    empty = next(line for line in lines if line.startswith("bad/empty.mp4"))
    assert ',failed,"empty file (0 bytes), expected a video",' in empty
    assert "videos/clip-" in html_path.read_text()


def test_an_analyzer_must_return_the_digest(tmp_path: Path) -> None:
    """A report dict instead of a `VideoSummary` is an internal error: retried next run, and
    no digest or marker is left that a resumed batch would trust."""
    make_videos(tmp_path / "in", ["a.mp4"])
    entries = discover_folder(tmp_path / "in")
    out = tmp_path / "out"
    legacy = run_batch(
        entries, out, workers=1, analyzer="batch_support:report_dict_analysis", progress=False
    )
    (outcome,) = legacy.outcomes
    assert outcome.result.outcome == "failed" and not outcome.result.final
    assert "returned dict, expected VideoSummary" in outcome.result.error
    assert not (outcome.job_dir / SUMMARY_JSON).exists()
    assert not (outcome.job_dir / MARKER).exists()
    fixed = run_batch(entries, out, workers=1, analyzer=ANALYZER, progress=False)
    assert fixed.ran == 1 and fixed.outcomes[0].result.summary.reps == 2


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or usable_cpus() < 2, reason="needs 2 CPUs"
)
def test_workers_get_cpus_of_their_own_and_capped_threads(tmp_path: Path) -> None:
    root = tmp_path / "in"
    make_videos(root, [f"v{i}.mp4" for i in range(4)], frames=5)
    report = run_batch(
        discover_folder(root),
        tmp_path / "out",
        workers=2,
        analyzer="batch_support:affinity_analysis",
        progress=False,
    )
    seen = [json.loads(o.result.summary.message) for o in report.outcomes]
    per = usable_cpus() // 2
    assert {s["omp"] for s in seen} == {str(per)} and {s["opencv"] for s in seen} == {str(per)}
    by_pid = {s["pid"]: frozenset(s["cpus"]) for s in seen}
    assert all(len(cpus) == per for cpus in by_pid.values())
    if len(by_pid) == 2:  # both workers got work: their CPU sets do not overlap
        a, b = by_pid.values()
        assert not a & b
    one = run_batch(
        discover_folder(root),
        tmp_path / "out1",
        workers=1,
        analyzer="batch_support:affinity_analysis",
        progress=False,
    )
    assert {len(json.loads(o.result.summary.message)["cpus"]) for o in one.outcomes} == {
        usable_cpus()
    }
