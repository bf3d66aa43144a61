"""``formcheck batch`` end to end with the real analysis (pose model) on rendered samples:
bad files become failed rows, a batch killed with SIGKILL resumes without redoing finished
videos, a Dask cluster gives the same summary, new rules re-score without the pose model."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from batch_support import make_bad_files

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVIL = "<script>alert(1)</script>.mp4"  # a folder "<script>alert(1)<" holding "script>.mp4"


def _samples() -> list[Path]:
    """Two rendered samples (8 s each), a side and a front view."""
    found = [SAMPLES / "good-cyclist-squat_side.mp4", SAMPLES / "knee-valgus_front.mp4"]
    assert all(p.is_file() for p in found), f"expected rendered samples in {SAMPLES}"
    return found


def _batch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "formcheck", "batch", *args, "--no-video", "--no-progress"]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def _log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "batch-log.jsonl").read_text().splitlines()]


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two good videos with the same file name in different folders, and four bad files."""
    root = tmp_path_factory.mktemp("clinic")
    a, b = _samples()
    (root / "p1").mkdir()
    (root / "p2").mkdir()
    shutil.copy(a, root / "p1" / "clip.mp4")
    shutil.copy(b, root / "p2" / "clip.mp4")
    make_bad_files(root / "broken", a)
    (root / EVIL).parent.mkdir()
    (root / EVIL).write_text("<script>alert(1)</script>\n")
    return root


@pytest.fixture(scope="module")
def uninterrupted(clinic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    done = _batch(str(clinic), "-o", str(out), "--workers", "2")
    assert done.returncode == 3, done.stderr  # 3: some videos failed
    assert "6 videos: 2 analysed, 4 failed (6 run, 0 already done)" in done.stdout
    return out


def test_every_good_video_analysed_every_bad_one_a_failed_row(uninterrupted: Path) -> None:
    rows = _rows(uninterrupted)
    assert sorted(rows) == sorted(
        [
            "p1/clip.mp4",
            "p2/clip.mp4",
            "broken/corrupt.mp4",
            "broken/empty.mp4",
            "broken/notes.mp4",
            EVIL,
        ]
    )
    for name in ("p1/clip.mp4", "p2/clip.mp4"):
        row = rows[name]
        assert row["status"] == "analysed" and int(row["reps"]) >= 1 and row["error"] == ""
        assert 0 <= float(row["score"]) <= 100 and row["controlled_descent_median"] != ""
        folder = uninterrupted / Path(row["report"]).parent
        assert {p.name for p in folder.iterdir()} == {
            "report.html",
            "report.json",
            "frames.csv",
            "reps.csv",
            "landmarks.npz",
            "summary.json",
            "batch-done.json",
        }
        digest = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert str(digest["reps"]) == row["reps"] and f"{digest['score']:.1f}" == row["score"]
    assert rows["p1/clip.mp4"]["report"] != rows["p2/clip.mp4"]["report"]  # same name, no collision
    assert rows["broken/empty.mp4"]["error"] == "empty file (0 bytes), expected a video"
    for name in ("broken/corrupt.mp4", "broken/notes.mp4", EVIL):
        assert rows[name]["status"] == "failed" and rows[name]["error"], name
        assert rows[name]["report"] == "" and rows[name]["reps"] == ""
    page = (uninterrupted / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in page and "<script>alert" not in page
    assert page.count("<script") == 1


def _children(pid: int) -> list[int]:
    kids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            kids.append(int(status.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:\t")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and PR_SET_PDEATHSIG")
def test_killed_batch_resumes_to_the_same_summary_without_redoing_work(
    clinic: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "formcheck",
        "batch",
        str(clinic),
        "-o",
        str(out),
        "--workers",
        "1",
        "--no-video",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    finished_good = []
    while not finished_good and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        markers = [json.loads(m.read_text()) for m in out.glob("videos/*/batch-done.json")]
        finished_good = [m for m in markers if m["status"] == "ok"]
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL, "the batch finished before it could be killed"
    assert len(finished_good) == 1 and not (out / "summary.csv").exists()
    time.sleep(1.0)
    assert workers and not [w for w in workers if _alive(w)]  # workers die with the batch
    done = _batch(str(clinic), "-o", str(out), "--workers", "1")
    assert done.returncode == 3, done.stderr
    assert (out / "summary.csv").read_text() == (uninterrupted / "summary.csv").read_text()
    runs = Counter(r["sha256"] for r in _log(out))
    assert len(runs) == 6 and set(runs.values()) == {1}  # none analysed twice
    assert not list(out.glob("videos/.*.tmp"))  # the killed job's staging folder was cleaned up


def test_dask_cluster_gives_the_same_summary(
    clinic: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    from dask.distributed import LocalCluster

    from formcheck.cli import app

    out = tmp_path / "out"
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        code = app(
            [
                "batch",
                str(clinic),
                "-o",
                str(out),
                "--scheduler",
                cluster.scheduler_address,
                "--no-video",
                "--no-progress",
            ],
            standalone_mode=False,
        )
    assert code == 3
    assert (out / "summary.csv").read_text() == (uninterrupted / "summary.csv").read_text()


def test_new_rules_rescore_every_video_without_the_pose_model(
    uninterrupted: Path, clinic: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    shipped = (ROOT / "src" / "formcheck" / "rules" / "cyclist_squat.toml").read_text()
    slow, n = re.subn(
        r'(name = "controlled_descent"[^[]*?\nthreshold = )0\.8\n', r"\g<1>60.0\n", shipped
    )
    assert n == 1  # descend over at least 60 s instead of 1 s: every rep fails
    rules = tmp_path / "slow.toml"
    rules.write_text(slow)
    before = _rows(out)
    lines_before = len(_log(out))
    # a model path that cannot load: any pose extraction would fail the video
    done = _batch(
        str(clinic),
        "-o",
        str(out),
        "--rules",
        str(rules),
        env={"FORMCHECK_MODEL": str(tmp_path / "no-model.task")},
    )
    assert done.returncode == 3, done.stderr
    after = _rows(out)
    rescored = [r for r in _log(out)[lines_before:] if r["status"] != "failed"]
    assert sorted(r["video"] for r in rescored) == ["p1/clip.mp4", "p2/clip.mp4"]
    assert {r["pose_source"] for r in rescored} == {"cache"}
    for name in ("p1/clip.mp4", "p2/clip.mp4"):
        assert after[name]["status"] == "analysed" and after[name]["reps"] == before[name]["reps"]
        # passed, or borderline on every rep (within the descent time's error: no pass rate)
        assert before[name]["controlled_descent_pass_rate"] in ("1.000", "")
        assert after[name]["controlled_descent_pass_rate"] == "0.000"
        assert after[name]["controlled_descent_median"] == before[name]["controlled_descent_median"]
        assert float(after[name]["score"]) < float(before[name]["score"])
        same = [
            c for c in before[name] if c.endswith(("_median", "_pass_rate")) and "descent" not in c
        ]
        assert [after[name][c] for c in same] == [before[name][c] for c in same]  # same landmarks
    again = _batch(str(clinic), "-o", str(out), "--rules", str(rules))
    assert "(0 run, 6 already done)" in again.stdout
