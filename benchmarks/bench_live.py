"""Processed frames per second and capture-to-feedback latency of ``formcheck live``.

A 640x480, 30 fps squat clip (rendered once with ``formcheck.synth`` into
``benchmarks/.cache/``, or ``--video``) is played with ``--source`` pacing, i.e. as a camera
would deliver it, through the real live path: capture thread -> PoseEstimator (the bundled
model) -> LiveSession (trailing-window metrics, incremental reps, scoring) -> the window's
drawing (`formcheck.live.display.render`, everything but ``cv2.imshow``, since this machine
has no display). Per run it reports processed fps (processed frames / wall time), latency
from the frame's capture to its drawn feedback (median, p95), dropped frames and CPU time per
processed frame (robust to other load on a shared machine).

Targets on a 2-core machine: >= 20 processed fps, p95 latency <= 100 ms.

    python benchmarks/bench_live.py                  # 3 runs on the cached clip
    python benchmarks/bench_live.py --runs 5 --write # also append the figures to benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

from results_md import write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLIP = HERE / ".cache" / "live_good-cyclist-squat_front_640x480.mp4"
SECTION = "## Live mode (`bench_live.py`)"


def clip(path: Path = CLIP) -> Path:
    """The benchmark clip: 4 reps of the good-cyclist-squat preset, front view, 640x480 at 30 fps."""
    if path.is_file():
        return path
    from dataclasses import replace

    from formcheck.synth.camera import Camera
    from formcheck.synth.clip import Scene, write
    from formcheck.synth.look import Look
    from formcheck.synth.presets import preset

    print(f"rendering {path} ...", file=sys.stderr)
    scene = Scene(
        replace(preset("good-cyclist-squat"), reps=4),
        Camera(width=640, height=480, fps=30.0),
        Look(noise=1.0),
        seed=11,
        preset="good-cyclist-squat",
    )
    return write(path, scene)[0]


class RenderDisplay:
    """Draws each feedback exactly as the window does, without showing it."""

    def __init__(self) -> None:
        from formcheck.live.display import render

        self.render = render

    def show(self, feedback, paused: bool = False) -> None:  # noqa: ANN001
        self.render(feedback, paused)

    def idle(self) -> None:
        return None

    def events(self, events) -> None:  # noqa: ANN001
        pass


def one_run(video: Path, seconds: float | None) -> dict[str, float]:
    from formcheck.live.capture import Capture, FileSource
    from formcheck.live.estimator import PoseEstimator
    from formcheck.live.session import LiveSession, run
    from formcheck.media.model import resolve_model

    source = FileSource(video)
    with PoseEstimator(resolve_model(None)) as estimator:
        session = LiveSession(estimator, fps=source.fps, image_size=source.size)
        capture = Capture(source, realtime=True).start()
        cpu0 = time.process_time()
        summary = run(capture, session, RenderDisplay(), threading.Event(), max_seconds=seconds)
        cpu = time.process_time() - cpu0
    return {
        "fps": summary.fps,
        "p50_ms": 1000 * summary.latency_p50_s,
        "p95_ms": 1000 * summary.latency_p95_s,
        "processed": summary.frames_processed,
        "dropped": summary.frames_dropped,
        "cpu_ms_per_frame": 1000 * cpu / max(summary.frames_processed, 1),
        "reps": len(summary.reps),
    }


def conditions() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), load average "
        f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at the start, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--video", type=Path, default=None, help="clip to play (default: the 640x480 one)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=None, help="stop each run after this many seconds"
    )
    parser.add_argument(
        "--write", action="store_true", help="write its section of benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    video = args.video or clip()
    from formcheck.media.video import probe

    info = probe(video)
    load_at_start = os.getloadavg()[0]
    cond = conditions()
    print(
        f"{video.name}: {info.width}x{info.height} at {info.fps:g} fps, {info.frame_count} frames; {cond}"
    )
    runs = []
    for k in range(args.runs):
        r = one_run(video, args.seconds)
        runs.append(r)
        print(
            f"run {k + 1}: {r['fps']:.1f} fps processed, latency median {r['p50_ms']:.0f} ms, "
            f"p95 {r['p95_ms']:.0f} ms, {r['dropped']} of {r['processed'] + r['dropped']} frames dropped, "
            f"{r['cpu_ms_per_frame']:.1f} ms CPU per frame, {r['reps']} reps"
        )
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    ok_fps, ok_lat = med["fps"] >= 20.0, med["p95_ms"] <= 100.0
    print(
        f"median of {len(runs)} runs: {med['fps']:.1f} fps "
        f"(target >= 20: {'met' if ok_fps else 'NOT met'}), p50 {med['p50_ms']:.0f} ms, "
        f"p95 {med['p95_ms']:.0f} ms (target <= 100: {'met' if ok_lat else 'NOT met'})"
    )
    if args.write:
        write_results(
            video, info, runs, med, cond, argv if argv is not None else sys.argv[1:], load_at_start
        )
    return 0


def write_results(
    video: Path,
    info,
    runs: list[dict],
    med: dict,
    cond: str,
    argv: list[str],  # noqa: ANN001
    load_at_start: float,
) -> None:
    path = HERE / "RESULTS.md"
    rows = "\n".join(
        f"| {k + 1} | {r['fps']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
        f"{r['dropped']}/{r['processed'] + r['dropped']} | {r['cpu_ms_per_frame']:.1f} |"
        for k, r in enumerate(runs)
    )
    stamp = time.strftime("%Y-%m-%d %H:%M")
    command = " ".join(["python benchmarks/bench_live.py", *argv])
    busy = ""
    if load_at_start > (os.cpu_count() or 1):
        busy = (
            " The machine was shared with other jobs (load above the core count), so these figures are "
            "pessimistic: the model's time per frame grows with the load."
        )
    block = (
        f"{SECTION} ({stamp})\n\n"
        f"`{command}` on {video.name} ({info.width}x{info.height}, {info.fps:g} fps, "
        f"{info.frame_count} frames) played in real time through capture -> model -> session -> "
        f"the window's drawing. {cond}.\n\n"
        "| run | processed fps | latency median (ms) | latency p95 (ms) | dropped | CPU ms/frame |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"{rows}\n\n"
        f"Median: {med['fps']:.1f} fps (target >= 20), p95 {med['p95_ms']:.0f} ms (target <= 100).{busy}\n"
    )
    write_section(SECTION, block, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
