"""Two cameras, one verdict, end to end on rendered pairs: `formcheck synth --views`'s clips run
through MediaPipe (no mocks) and ``formcheck analyze A.mp4 B.mp4``. Clips are 320x240 with 2
quick reps; each pair is rendered and its landmarks found once per module."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import chromium_console

from formcheck.core.analysis import Analysis, analyze
from formcheck.core.fusion import SAME_SET, fuse
from formcheck.core.ruleset import load_rules
from formcheck.report.schema import SCHEMA_VERSION

RULES = load_rules()
#: The pair: a fault only the side camera judges, the side camera started 2.6 s before the
#: front one, at 30 fps against the front's 25.
PRESET, OFFSETS, FPS = "no-heel-block", (0.0, -2.6), (25.0, 30.0)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, Analysis]]:
    """By view: the rendered video, its landmark cache and its analysis."""
    from formcheck.media.cache import save
    from formcheck.media.pose import extract
    from formcheck.synth import Camera, Scene, preset
    from formcheck.synth.multicam import Rig, write_rig

    folder = tmp_path_factory.mktemp("pair")
    squat = replace(preset(PRESET), reps=2, stand_s=0.6, descent_s=1.0, pause_s=0.2, ascent_s=0.9)
    cams = tuple(
        Camera(yaw_deg=y, width=320, height=240, fps=f) for y, f in zip((0, 90), FPS, strict=True)
    )
    rig = Rig(Scene(squat, cams[0], seed=3, preset=PRESET), cams, OFFSETS)
    out = {}
    for view, (video, _) in zip(("front", "side"), write_rig(folder / "p.mp4", rig), strict=True):
        seq = extract(video, progress=False)
        out[view] = (video, save(seq, video.with_suffix(".npz"), video=video), analyze(seq, RULES))
    return out


def _formcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_rendered_pair_offset_reps_and_the_fault(pair) -> None:
    fused = fuse([(v.name, a) for v, _, a in pair.values()])
    assert fused.mode == SAME_SET
    front = next(s for s in fused.sources if s.view == "front")
    assert fused.sources[0].view == "side"
    # the front camera started 2.6 s after the side one: its t = 0 is at +2.6 s on the side's
    assert abs(front.offset_s - 2.6) <= 1 / min(FPS)
    assert front.sync.correlation >= 0.95
    assert fused.rep_index.tolist() == [[0, 0], [1, 1]]
    names = [r.name for r in RULES.rules]
    status = fused.scores.status
    assert (status > 0).all(), "every check judged by one of the cameras"
    assert (status[:, names.index("heels_elevated")] == 2).all()
    failed = {names[k] for k in np.flatnonzero((status == 2).any(axis=0))}
    assert failed == {"heels_elevated"}
    # each camera alone leaves checks not judged
    assert all((a.scores.status == 0).any() for _, _, a in pair.values())


def test_cli_pair_in_either_order_gives_the_same_report(pair, tmp_path: Path) -> None:
    (fv, fl, _), (sv, sl, _) = pair["front"], pair["side"]
    outs = []
    for k, args in enumerate(((fv, sv, fl, sl), (sv, fv, sl, fl))):
        out = tmp_path / f"out{k}"
        done = _formcheck(
            "analyze", args[0], args[1], "-o", out, "--no-video",
            "--landmarks-each", args[2], "--landmarks-each", args[3],
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Same set" in done.stdout
        outs.append(out)
    a, b = (json.loads((o / "report.json").read_text()) for o in outs)
    for r in (a, b):
        r.pop("generated_at")
    assert a == b
    assert a["schema_version"] == SCHEMA_VERSION and a["fusion"]["mode"] == "same_set"
    srcs = {s["view"]: s for s in a["fusion"]["sources"]}
    assert srcs["side"]["offset_s"] == 0 and abs(srcs["front"]["offset_s"] - 2.6) <= 0.04
    assert (srcs["front"]["fps"], srcs["side"]["fps"]) == (25.0, 30.0)
    judged = a["fusion"]["reps"][0]["judged_by"]
    assert judged["heels_elevated"] == sv.name and judged["knees_over_feet"] == fv.name
    page = (outs[0] / "report.html").read_text()
    assert "Same set, filmed by 2 cameras" in page and page.count("data:image/jpeg") == 4
    assert "Not checked by any camera" not in page
    assert chromium_console((outs[0] / "report.html").as_uri()) == []
    for name in (fv.stem, sv.stem):  # each video's own report beside
        assert (outs[0] / name / "report.html").is_file()


def test_cli_forced_separate_sets_and_an_offset_that_matches_nothing(pair, tmp_path: Path) -> None:
    (fv, fl, _), (sv, sl, _) = pair["front"], pair["side"]
    caches = ("--landmarks-each", fl, "--landmarks-each", sl)
    done = _formcheck(
        "analyze", fv, sv, "-o", tmp_path / "sep", "--no-video", "--separate-sets", *caches
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "sep" / "report.json").read_text())
    assert report["fusion"]["mode"] == "separate_sets" and report["summary"]["rep_count"] == 4
    bad = tmp_path / "bad"
    done = _formcheck("analyze", fv, sv, "-o", bad, "--no-video", "--offset", "40", *caches)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "no rep lines up" in done.stderr
    assert not bad.exists()


def test_batch_fuses_one_session_filmed_from_two_views_into_one_row(pair, tmp_path: Path) -> None:
    import shutil

    from formcheck.batch.digest import video_summary
    from formcheck.batch.discover import VideoEntry
    from formcheck.batch.jobs import LANDMARKS, JobResult, Settings
    from formcheck.batch.pairs import fuse_sessions
    from formcheck.batch.run import Outcome
    from formcheck.batch.summary import summary_rows

    outcomes = []
    rows = [("front", "p1", "2026-12-01"), ("side", "p1", "2026-12-01"), ("side", "p2", "")]
    for k, (view, patient, date) in enumerate(rows):
        video, cache, analysis = pair[view]
        job = tmp_path / "videos" / f"job{k}"
        job.mkdir(parents=True)
        shutil.copy(cache, job / LANDMARKS)
        entry = VideoEntry(video, f"{patient}/{video.name}", patient, date, view)
        result = JobResult(f"sha{k}", "key", "ok", summary=video_summary(analysis, "ok"))
        outcomes.append(Outcome(entry, result, job))
    merged, warnings = fuse_sessions(outcomes, tmp_path, Settings(make_video=False))
    assert warnings == []
    assert len(merged) == 2  # the session of p1 as one row, p2's video (no date) on its own
    _, table = summary_rows(merged, tmp_path)
    row = next(r for r in table if r["patient_id"] == "p1")
    assert row["path"] == "p1/p-front.mp4 + p1/p-side.mp4"
    assert row["view"] == "front+side" and row["detected_view"] == "side+front"
    assert row["sha256"] == "sha0+sha1" and row["reps"] == "2"
    assert row["report"] == "pairs/p1_2026-12-01/report.html"
    assert (tmp_path / row["report"]).is_file()
    assert row["heels_elevated_pass_rate"] == "0.000"
    # the knees judged by the front camera (passed or within its error of the limit)
    assert row["knees_over_feet_measured_view"] == "front" and row["knees_over_feet_median"] != ""
    # a change between sessions is judged by the error of the camera that measured each rule
    assert row["heels_elevated_measured_view"] == "side"
    assert row["knees_over_feet_measured_view"] == "front"
    # a resumed batch fuses the session again over the earlier pair folder
    again, warnings = fuse_sessions(outcomes, tmp_path, Settings(make_video=False))
    assert warnings == [] and len(again) == 2


def test_a_separate_rendered_set_is_recognised_as_separate(pair, tmp_path: Path) -> None:
    from formcheck.core.fusion import SEPARATE_SETS
    from formcheck.media.pose import extract
    from formcheck.synth import Camera, Scene, preset, write

    # filmed after the front video: 3 slower reps of good form from the side
    squat = replace(preset("good-cyclist-squat"), reps=3, stand_s=0.5, descent_s=1.6, ascent_s=1.3)
    video, _ = write(
        tmp_path / "later.mp4",
        Scene(squat, Camera(yaw_deg=90, width=320, height=240, fps=25.0), seed=5),
    )
    later = analyze(extract(video, progress=False), RULES)
    assert len(later.reps) == 3
    fused = fuse([("front.mp4", pair["front"][2]), ("later.mp4", later)])
    assert fused.mode == SEPARATE_SETS
    assert fused.scores.rep_count == 5
    summary = fused.to_dict()["summary_source"]
    assert summary["heels_elevated"] == "later.mp4" and summary["knees_over_feet"] == "front.mp4"
