"""Where `formcheck analyze` spends its time on a 30 s 1080p clip.

Makes the clip by upscaling a bundled sample to 1080p and looping it (PyAV in, formcheck's
H.264 writer out, a keyframe every second like phone cameras), then runs the analyze
pipeline once without the annotated video and once with it (from the first run's
landmarks.npz), and prints the time of each stage:

- ``setup``: probing the video, loading the rules, checking the model file;
- ``pose``: the pose model over every frame (mediapipe import, model load and decoding
  included; the modules the later stages need are imported meanwhile in the background);
- ``core``: metrics, repetitions and scoring;
- ``report``: report dict, JSON, CSV, landmark cache, plots and HTML;
- ``stills``: decoding the bottom frame of each rep again and drawing on it;
- ``video``: writing annotated.mp4 (second run only).

Targets (issue 5): pose >= 90 % of the run without the video; everything after the model
(core + report + stills) < 2 s.

    python benchmarks/bench_analyze.py [--sample samples/X.mp4] [--seconds 30] [--append]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_clip(sample: Path, out: Path, seconds: float, short_side: int = 1080) -> Path:
    """Loop ``sample`` upscaled so its short side is ``short_side`` pixels, for ``seconds``."""
    import cv2

    from formcheck.media.video import probe, read_frames
    from formcheck.media.videowriter import VideoWriter

    info = probe(sample)
    scale = short_side / min(info.width, info.height)
    size = (round(info.width * scale / 2) * 2, round(info.height * scale / 2) * 2)
    frames = [
        cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR) for _, rgb in read_frames(sample)
    ]
    n = round(seconds * info.fps)
    with VideoWriter(
        out, fps=info.fps, size=size, crf=20, keyframe_s=1.0
    ) as writer:  # phone-like 1 s GOP
        for i in range(n):
            k = i % (2 * len(frames) - 2)  # ping-pong: no jump at the loop point
            writer.write(frames[k if k < len(frames) else 2 * len(frames) - 2 - k])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sample", type=Path, default=None, help="clip to loop (default: good form, front)"
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--append", action="store_true", help="append the figures to benchmarks/RESULTS.md"
    )
    args = parser.parse_args()

    from formcheck.report.pipeline import AnalyzeOptions, run

    sample = args.sample or sorted((ROOT / "samples").glob("good*front*.mp4"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip_1080p.mp4"
        t = time.perf_counter()
        make_clip(sample, clip, args.seconds)
        print(
            f"made {clip.name} from {sample.name} in {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
        runs = {}
        cache = Path(tmp) / "out_False" / "landmarks.npz"
        for label, video in (
            ("without video", False),
            ("with annotated video, from landmarks.npz", True),
        ):
            opts = AnalyzeOptions(
                video=clip,
                outdir=Path(tmp) / f"out_{video}",
                write_video=video,
                progress=False,
                landmarks=cache if video else None,
            )
            result = run(opts)
            runs[label] = result.timings
            reps = result.report["summary"]["rep_count"]
            print(
                label,
                {k: round(v, 3) for k, v in result.timings.items()},
                f"reps={reps}",
                file=sys.stderr,
            )
        from formcheck.media.video import probe

        info = probe(clip)

    lines = [
        f"\n## analyze: {args.seconds:g} s {info.width}x{info.height} clip ({sample.name} looped), "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python benchmarks/bench_analyze.py --seconds {args.seconds:g}` "
        f"({platform.processor() or platform.machine()}, {_cores()} cores, no GPU)",
        "",
        "| run | setup (s) | pose model (s) | core (s) | report (s) | stills (s) | annotated video (s) "
        "| total (s) | pose share | after the model (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, tm in runs.items():
        after = tm.get("core", 0) + tm.get("report", 0) + tm.get("stills", 0)
        share = f"{100 * tm['pose'] / tm['total']:.1f} %" if tm["pose"] else "(cached)"
        lines.append(
            f"| {label} | {tm['setup']:.2f} | {tm['pose']:.1f} | {tm['core']:.2f} | {tm['report']:.2f} "
            f"| {tm.get('stills', 0):.2f} "
            f"| {tm.get('video', 0):.1f} | {tm['total']:.1f} | {share} "
            f"| {after:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(text)


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
