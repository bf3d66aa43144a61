"""Batch throughput: videos per minute with 1 and 2 local workers, and the speed-up.

Runs ``formcheck batch``'s executor (`formcheck.batch.run.run_batch`, the real analysis) over
the same videos into a fresh output folder for each run, alternating 1 and 2 workers,
``--repeat`` times. Per run it prints wall time, videos/min, and the CPU time of the worker
processes divided by wall time ("cores busy"): a single worker using more than one core
would cap the speed-up below 2x. The machine's load average before each run is printed too,
since other processes distort the figures.

Target (issue 7): >= 1.7x with 2 workers on 2 cores. "Videos per busy-core-minute" divides the
rate by the cores the workers actually got: equal for 1 and 2 workers means no oversubscription
cost, so when other processes take CPU it tells what 2 free cores would give.

    python benchmarks/bench_batch.py [--videos V ...] [--copies K] [--no-video] [--no-pin] [--repeat R]
                                     [--append]

``--copies K`` re-encodes each video K times with a one-grey-level brightness change, so the
batch has K times as many *distinct* videos (the batch skips identical content) of the same
length, which keeps 2 workers evenly loaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def distinct_copies(videos: list[Path], copies: int, folder: Path) -> list[Path]:
    """``copies`` re-encodings of each video, each one grey level brighter than the last."""
    import numpy as np

    from formcheck.media.video import probe, read_frames
    from formcheck.media.videowriter import VideoWriter

    out = []
    for video in videos:
        info = probe(video)
        frames = [rgb for _, rgb in read_frames(video)]
        for k in range(copies):
            path = folder / f"{video.stem}-copy{k}.mp4"
            with VideoWriter(path, fps=info.fps, size=(info.width, info.height), crf=18) as writer:
                for rgb in frames:
                    writer.write(np.clip(rgb.astype(np.int16) + k, 0, 255).astype(np.uint8))
            out.append(path)
    return out


def one_run(
    videos: list[Path], workers: int, make_video: bool, outdir: Path, pin: bool
) -> dict[str, float]:
    """Wall seconds, videos/min and worker CPU seconds of one batch into an empty ``outdir``."""
    from formcheck.batch.discover import VideoEntry
    from formcheck.batch.jobs import Settings
    from formcheck.batch.run import run_batch

    entries = [VideoEntry(path=v, name=v.name) for v in videos]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    report = run_batch(
        entries, outdir, Settings(make_video=make_video), workers=workers, progress=False, pin=pin
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(
        resource.RUSAGE_CHILDREN
    )  # workers are reaped when the pool shuts down
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    bad = [o.entry.name for o in report.outcomes if o.result.outcome == "failed"]
    if bad:
        raise SystemExit(f"benchmark videos failed: {bad}")
    return {
        "workers": workers,
        "wall": wall,
        "per_min": 60.0 * len(videos) / wall,
        "busy": cpu / wall,
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--videos", type=Path, nargs="*", default=None, help="default: samples/*.mp4"
    )
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-video", action="store_true", help="skip annotated.mp4 (as --no-video)"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin workers to CPUs (for comparison)"
    )
    parser.add_argument(
        "--append", action="store_true", help="append the figures to benchmarks/RESULTS.md"
    )
    args = parser.parse_args()

    videos = args.videos or sorted((ROOT / "samples").glob("*.mp4"))
    if not videos:
        raise SystemExit("no videos: pass --videos or render samples/")
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.copies > 1:
            videos = distinct_copies(videos, args.copies, Path(tmp))
        for r in range(args.repeat):
            for workers in (1, 2) if r % 2 == 0 else (2, 1):
                out = Path(tmp) / f"out-{r}-{workers}"
                run = one_run(videos, workers, not args.no_video, out, pin=not args.no_pin)
                runs.append(run)
                print(
                    f"workers={workers} wall={run['wall']:.1f}s {run['per_min']:.1f} videos/min cores "
                    f"busy={run['busy']:.2f} load before={run['load']:.2f}",
                    file=sys.stderr,
                )

    def median(workers: int, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["workers"] == workers)

    pairs = [(a, b) for a, b in zip(runs[::2], runs[1::2], strict=True)]
    speedups = sorted(
        (b if b["workers"] == 2 else a)["per_min"] / (a if a["workers"] == 1 else b)["per_min"]
        for a, b in pairs
    )
    names = ", ".join(sorted({v.name for v in (args.videos or videos)}))[:200]
    cmd = (
        "python benchmarks/bench_batch.py"
        + (" --no-video" if args.no_video else "")
        + (" --no-pin" if args.no_pin else "")
        + (f" --copies {args.copies}" if args.copies > 1 else "")
        + f" --repeat {args.repeat}"
    )
    lines = [
        f"\n## batch: {len(videos)} videos, 1 vs 2 local workers, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Command: `{cmd}` ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, no GPU; "
        f"{'no annotated video' if args.no_video else 'with annotated.mp4'}; "
        f"{'workers not pinned' if args.no_pin else 'each of 2 workers pinned to 1 CPU'}; videos: {names})",
        "",
        "| workers | videos/min (median) | wall (s, median) | worker cores busy (median) "
        "| videos per busy-core-minute (median) | load avg before |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in runs:
        r["per_core_min"] = r["per_min"] / r["busy"] if r["busy"] else 0.0
    for w in (1, 2):
        loads = ", ".join(f"{r['load']:.1f}" for r in runs if r["workers"] == w)
        lines.append(
            f"| {w} | {median(w, 'per_min'):.1f} | {median(w, 'wall'):.1f} "
            f"| {median(w, 'busy'):.2f} | {median(w, 'per_core_min'):.1f} | {loads} |"
        )
    lines += [
        "",
        f"Speed-up 2 vs 1 workers: median {statistics.median(speedups):.2f}x "
        f"(runs: {', '.join(f'{s:.2f}' for s in speedups)}; target >= 1.7x).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        results = ROOT / "benchmarks" / "RESULTS.md"
        with open(results, "a", encoding="utf-8") as fh:
            if fh.tell() == 0:
                fh.write("# Benchmark results\n")
            fh.write(text)


if __name__ == "__main__":
    main()
