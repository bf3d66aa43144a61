"""A small, real per-video analysis for batch tests that must not wait for the pose model.

`brightness_analysis` has the signature of the real per-video analysis: it decodes the video
with `formcheck.media.video` (bad files raise the real `InputError`), saves a landmark cache with
`formcheck.media.cache` (all-NaN poses; the mean brightness of each frame goes in ``meta``), and
writes a ``report.json`` in the real schema: every 5 frames are one "repetition", judged by one
rule "bright" (mean grey level >= ``threshold`` from the rules TOML, default 100). Given a cached
``landmarks=`` file it does not decode the video at all. ``FORMCHECK_TEST_DELAY`` seconds of
sleep per video let a test kill a batch part-way.
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS

FRAMES_PER_REP = 5


def brightness_analysis(
    video: Path,
    outdir: Path,
    *,
    rules: Path | None = None,
    blur_faces: bool = False,
    make_video: bool = True,
    landmarks: Path | None = None,
) -> dict[str, Any]:
    from formcheck.core.sequence import PoseSequence
    from formcheck.media import cache
    from formcheck.media.video import read_frames

    threshold = 100.0
    if rules is not None:
        threshold = float(tomllib.loads(Path(rules).read_text())["threshold"])
    if landmarks is not None:
        seq = cache.load(landmarks)
        levels = np.array(json.loads(seq.meta["brightness"]))
    else:
        ts, lv = [], []
        for t, rgb in read_frames(video, threads=False):
            ts.append(t)
            lv.append(float(rgb.mean()))
        levels, n = np.array(lv), len(lv)
        nan = np.full((n, NUM_LANDMARKS, 3), np.nan)
        seq = PoseSequence(
            nan,
            nan.copy(),
            np.full((n, NUM_LANDMARKS), np.nan),
            np.array(ts),
            30.0,
            (64, 48),
            source=str(video),
            meta={"brightness": json.dumps(lv)},
        )
        cache.save(seq, Path(outdir) / "landmarks.npz")
    time.sleep(float(os.environ.get("FORMCHECK_TEST_DELAY", "0")))
    reps = []
    for i in range(len(levels) // FRAMES_PER_REP):
        value = float(levels[i * FRAMES_PER_REP : (i + 1) * FRAMES_PER_REP].mean())
        reps.append(
            {
                "index": i + 1,
                "start_s": i / 6,
                "bottom_s": i / 6,
                "end_s": (i + 1) / 6,
                "score": 100.0 if value >= threshold else 0.0,
                "rules": {
                    "bright": {
                        "status": "pass" if value >= threshold else "fail",
                        "value": round(value, 3),
                        "unit": "grey",
                    }
                },
            }
        )
    scores = [r["score"] for r in reps]
    report = {
        "schema_version": "1.0",
        "status": "analysed" if reps else "no_squat",
        "message": "test analysis",
        "video": {
            "path": str(video),
            "fps": 30.0,
            "frames": len(levels),
            "duration_s": len(levels) / 30,
            "width": 64,
            "height": 48,
        },
        "view": "front",
        "summary": {
            "rep_count": len(reps),
            "score": float(np.mean(scores)) if scores else None,
            "verdict": "",
            "top_cues": [],
            "not_judged": [],
        },
        "rules": [
            {
                "name": "bright",
                "title": "Bright",
                "metric": "grey",
                "unit": "grey",
                "cue": "",
                "views": ["front"],
            }
        ],
        "reps": reps,
        "versions": {
            "formcheck": "test",
            "mediapipe": "none",
            "model_sha256": "",
            "rule_set": "test",
        },
        "files": {},
    }
    text = json.dumps(report)
    cache.atomic_write(Path(outdir) / "report.json", lambda fh: fh.write(text.encode()))
    cache.atomic_write(Path(outdir) / "report.html", lambda fh: fh.write(b"<p>report</p>"))
    return report


def crash_analysis(video: Path, outdir: Path, **options: Any) -> dict[str, Any]:
    """`brightness_analysis`, except that the worker process dies (as on a segfault) on files
    whose name contains ``crash``."""
    if "crash" in Path(video).name:
        os._exit(70)
    return brightness_analysis(video, outdir, **options)


def make_videos(root: Path, names: list[str], frames: int = 10) -> list[Path]:
    """Small lossless H.264 clips, each a different grey level (so each has its own content)."""
    from conftest import write_video

    paths = []
    for i, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        level = 40 + 30 * i
        write_video(
            path, [np.full((48, 64, 3), min(level + 4 * k, 255), np.uint8) for k in range(frames)]
        )
        paths.append(path)
    return paths


def make_bad_files(root: Path, good: Path) -> dict[str, Path]:
    """A zero-byte file, a text file named .mp4 and a corrupt video (header of ``good`` then noise)."""
    root.mkdir(parents=True, exist_ok=True)
    bad = {"empty": root / "empty.mp4", "text": root / "notes.mp4", "corrupt": root / "corrupt.mp4"}
    bad["empty"].write_bytes(b"")
    bad["text"].write_text("this is a text file, not a video\n")
    noise = np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    bad["corrupt"].write_bytes(good.read_bytes()[:64] + noise)
    return bad


def affinity_analysis(video: Path, outdir: Path, **options: Any) -> dict[str, Any]:
    """`brightness_analysis` whose report message records the worker's CPUs and thread caps."""
    report = brightness_analysis(video, outdir, **options)
    report["message"] = json.dumps(
        {
            "cpus": sorted(os.sched_getaffinity(0)),
            "pid": os.getpid(),
            "omp": os.environ.get("OMP_NUM_THREADS"),
            "opencv": os.environ.get("OPENCV_FOR_THREADS_NUM"),
        }
    )
    return report
