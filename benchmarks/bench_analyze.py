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

``--vs-legacy`` (issue 13) times instead, end to end as a user runs them (process launch to
exit, wall clock), ``formcheck analyze CLIP --no-video`` and ``formcheck analyze CLIP`` (with
annotated.mp4) against the hand-written loop ``legacy_squat_loop.py`` (mediapipe 0.10.21
``solutions.pose`` in ``benchmarks/.legacy-venv``, see ``bench_extract.py --setup``) on a real
720p clip of at least 40 s, in alternating runs (legacy, no video, with video, legacy, ...),
and reports the median of the pairwise ratios and the peak resident memory of each command with
all its processes (sampled every 50 ms). Targets: the legacy loop's time / ``--no-video`` time
>= 1.5 (aim 1.8); with video / without <= 1.3.

    python benchmarks/bench_analyze.py --vs-legacy [--clip CLIP] [--repeat 5] [--jobs N]

``--startup`` (issue 13 item 3) runs ``formcheck analyze SAMPLE --no-video`` (default the 8 s
``samples/good-cyclist-squat_front.mp4``) with ``FORMCHECK_LOG=debug`` and reads the phase marks
it logs: from launch to the first frame into the model, and from the last frame out of the model
to the report written, in wall seconds and in the parent process's CPU seconds (the workers
start up at the same time on the other core). Target: each under 1 s (wall, quiet machine).

    python benchmarks/bench_analyze.py --startup [--sample SAMPLE] [--repeat 5] [--jobs N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The real 720p clip of issue 13's figures: 41 s, 1280x720, 9 squats.
LEGACY_CLIP = ROOT.parent / "shared" / "footage" / "squats" / "front_side_front_demo_9.mp4"


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
    parser.add_argument(
        "--vs-legacy", action="store_true", help="end-to-end runs against legacy_squat_loop.py"
    )
    parser.add_argument("--clip", type=Path, default=LEGACY_CLIP, help="clip for --vs-legacy")
    parser.add_argument("--repeat", type=int, default=5, help="rounds for --vs-legacy")
    parser.add_argument("--jobs", type=int, default=None, help="analyze --jobs (default: cores)")
    parser.add_argument("--legacy-python", type=Path, default=None)
    parser.add_argument("--startup", action="store_true", help="start-up and wind-down times")
    parser.add_argument(
        "--memory",
        type=float,
        metavar="MINUTES",
        default=None,
        help="peak memory and wall time of analyze on a 1080p video this long (issue 13 item 5)",
    )
    args = parser.parse_args()
    if args.memory:
        memory(args)
        return
    if args.startup:
        startup(args)
        return
    if args.vs_legacy:
        vs_legacy(args)
        return

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


#: The phase marks `startup` reads from ``FORMCHECK_LOG=debug`` stderr lines
#: (``<epoch s> <logger>: <message> (<CPU s> CPU s)``).
MARKS = {
    "first": "first frame into the model",
    "last": "last frame out of the model",
    "written": "report written",
}


def startup_run(sample: Path, jobs: int | None) -> dict[str, tuple[float, float]]:
    """One ``analyze --no-video`` run: each mark's (wall seconds since launch, parent CPU s)."""
    import re

    command = [sys.executable, "-m", "formcheck", "analyze", str(sample), "--no-video"]
    command += [] if jobs is None else ["--jobs", str(jobs)]
    env = {**os.environ, "FORMCHECK_LOG": "debug"}
    with tempfile.TemporaryDirectory() as tmp:
        launch = time.time()
        done = subprocess.run(
            [*command, "-o", str(Path(tmp) / "out")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    found: dict[str, tuple[float, float]] = {}
    for line in done.stderr.splitlines():
        for key, text in MARKS.items():
            m = re.match(rf"(\d+\.\d+) \S+: {text} \(([\d.]+) CPU s\)", line)
            if m and key not in found:
                found[key] = (float(m.group(1)) - launch, float(m.group(2)))
    missing = set(MARKS) - set(found)
    if missing:
        sys.exit(f"bench_analyze --startup: no {sorted(missing)} mark in the run's stderr")
    return found


#: `startup`'s CPU breakdown, run in a fresh interpreter: what the parent does before the first
#: frame, one step after the other (in a run some overlap: the workers start meanwhile).
STEPS = """
import contextlib, sys, time
c = time.process_time
marks = [("interpreter", c())]
import formcheck.cli
marks.append(("formcheck.cli (typer, rich)", c()))
import formcheck.commands.analyze, formcheck.export, formcheck.report.pipeline
import formcheck.report.outputs, formcheck.core.analysis, formcheck.core.ruleset
import formcheck.media.cache, formcheck.media.video
marks.append(("the pipeline's modules, numpy, av", c()))
from formcheck.media.mp_tasks import pose_api
pose_api()
marks.append(("mediapipe's pose landmarker modules (mp_tasks.pose_api)", c()))
import formcheck.media.parallel, formcheck.media.pose
from formcheck.media.model import open_landmarker, resolve_model
marks.append(("formcheck.media.pose, .parallel", c()))
model = resolve_model(None)
marks.append(("resolve_model (checks the .task)", c()))
with contextlib.ExitStack() as stack:
    stack.enter_context(open_landmarker(model, mode="video", num_poses=1))
    marks.append(("one-person landmarker", c()))
    stack.enter_context(open_landmarker(model, mode="video", num_poses=3))
    marks.append(("scout landmarker (3 people)", c()))
from formcheck.report.pipeline import PRELOAD
for name in PRELOAD[1:]:
    __import__(name)
marks.append(("later (during the model): " + ", ".join(PRELOAD[1:]), c()))
prev = 0.0
for name, t in marks:
    print(f"    {name}: {t - prev:.3f} CPU s (so far {t:.3f})")
    prev = t
"""


def startup(args: argparse.Namespace) -> None:
    """Print the median start-up (launch -> first frame) and wind-down (last frame -> report)."""
    sample = args.sample or ROOT / "samples" / "good-cyclist-squat_front.mp4"
    runs = [startup_run(sample, args.jobs) for _ in range(args.repeat)]
    up = [r["first"][0] for r in runs]
    up_cpu = [r["first"][1] for r in runs]
    down = [r["written"][0] - r["last"][0] for r in runs]
    down_cpu = [r["written"][1] - r["last"][1] for r in runs]
    print(f"{sample.name}, {args.repeat} runs, load average {os.getloadavg()[0]:.1f}:")
    for name, wall, cpu in (
        ("launch -> first frame into the model", up, up_cpu),
        ("last frame out of the model -> report written", down, down_cpu),
    ):
        print(
            f"  {name}: median {statistics.median(wall):.2f} s wall "
            f"({', '.join(f'{w:.2f}' for w in wall)}), "
            f"{statistics.median(cpu):.2f} CPU s of the parent"
        )
    print("  before the first frame, step by step in one process:")
    subprocess.run([sys.executable, "-c", STEPS], check=True)


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command``; its wall seconds (launch to exit) and the peak of the summed resident
    memory (MB) of it and all its child processes, sampled every 50 ms (psutil)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):  # a process that just ended
                        rss += p.memory_info().rss
                peak = max(peak, rss)
            except psutil.Error:
                pass
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err.decode()[-500:]}")
    return seconds, peak / 2**20


def vs_legacy(args: argparse.Namespace) -> None:
    """Alternating end-to-end runs of formcheck and the legacy loop; prints a RESULTS.md table."""
    from bench_extract import LEGACY_VENV, legacy_python

    from formcheck.media.video import probe

    clip = args.clip.resolve()
    info = probe(clip)
    if info.duration_s < 40 or min(info.width, info.height) < 720:
        print(
            f"note: {clip.name} is {info.duration_s:.0f} s {info.width}x{info.height}, "
            "issue 13 asks for >= 40 s 720p",
            file=sys.stderr,
        )
    legacy = [
        str(args.legacy_python or legacy_python(LEGACY_VENV)),
        str(ROOT / "benchmarks" / "legacy_squat_loop.py"),
        str(clip),
    ]
    legacy_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    load_before = os.getloadavg()[0]  # a busy machine makes every figure meaningless
    times: dict[str, list[float]] = {"legacy": [], "no video": [], "video": []}
    peaks: dict[str, float] = {k: 0.0 for k in times}
    with tempfile.TemporaryDirectory() as tmp:
        formcheck = [sys.executable, "-m", "formcheck", "analyze", str(clip), "-o"]
        commands = {
            "legacy": (legacy, legacy_env),
            "no video": ([*formcheck, f"{tmp}/nv", "--no-video", *jobs], None),
            "video": ([*formcheck, f"{tmp}/v", *jobs], None),
        }
        for r in range(args.repeat):
            for name, (command, env) in commands.items():
                seconds, peak = timed(command, env)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
                print(f"round {r + 1} {name}: {seconds:.1f} s, {peak:.0f} MB", file=sys.stderr)
    speed = [a / b for a, b in zip(times["legacy"], times["no video"], strict=True)]
    cost = [a / b for a, b in zip(times["video"], times["no video"], strict=True)]
    command = "python benchmarks/bench_analyze.py --vs-legacy"
    command += f" --clip {os.path.relpath(clip, ROOT)}" if clip != LEGACY_CLIP.resolve() else ""
    command += f" --repeat {args.repeat}" + (f" --jobs {args.jobs}" if args.jobs else "")
    med = statistics.median
    lines = [
        f"\n## analyze vs the hand-written loop: {clip.name} ({info.duration_s:.0f} s "
        f"{info.width}x{info.height}), {time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `{command}` ({platform.processor() or platform.machine()}, {_cores()} cores, "
        f"no GPU; launch to exit, {args.repeat} alternating rounds, load average before "
        f"{load_before:.1f})",
        "",
        "| run | median (s) | runs (s) | peak memory, all processes (MB) |",
        "| --- | ---: | --- | ---: |",
    ]
    for name, label in (
        ("legacy", "legacy loop (`legacy_squat_loop.py`)"),
        ("no video", "`formcheck analyze --no-video`"),
        ("video", "`formcheck analyze` (with annotated.mp4)"),
    ):
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        lines.append(f"| {label} | {med(times[name]):.1f} | {runs} | {peaks[name]:.0f} |")
    lines += [
        "",
        f"- speed of `--no-video` against the legacy loop, median of pairwise ratios: "
        f"**{med(speed):.2f}x** (target >= 1.5x, aim 1.8x)",
        f"- with video / without, median of pairwise ratios: **{med(cost):.2f}x** (target <= 1.3x)",
    ]
    print("\n".join(lines) + "\n")


def memory(args: argparse.Namespace) -> None:
    """Peak summed resident memory of `formcheck analyze` (with and without annotated.mp4) on a
    1080p video ``args.memory`` minutes long: the sample upscaled, 10 s encoded once and joined
    end to end without re-encoding (`formcheck.media.videowriter.concatenate`)."""
    from formcheck.media.video import probe
    from formcheck.media.videowriter import concatenate

    sample = args.sample or ROOT / "samples" / "good-cyclist-squat_front.mp4"
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        part = make_clip(sample, Path(tmp) / "part.mp4", 10.0)
        video = concatenate([part] * round(args.memory * 6), Path(tmp) / "long_1080p.mp4")
        info = probe(video)
        print(
            f"{video.name}: {info.frame_count} frames, {info.width}x{info.height}", file=sys.stderr
        )
        formcheck = [sys.executable, "-m", "formcheck", "analyze", str(video), *jobs, "-o"]
        for label, extra in (("`--no-video`", ["--no-video"]), ("with annotated.mp4", [])):
            out = Path(tmp) / f"out{len(rows)}"
            seconds, peak = timed([*formcheck, str(out), *extra])
            reps = json.loads((out / "report.json").read_text())["summary"]["rep_count"]
            rows.append((label, seconds, peak, reps))
            print(f"{label}: {seconds:.0f} s, {peak:.0f} MB, {reps} reps", file=sys.stderr)
    command = f"python benchmarks/bench_analyze.py --memory {args.memory:g}"
    command += f" --jobs {args.jobs}" if args.jobs else ""
    lines = [
        f"\n## analyze on a {args.memory:g}-minute {info.width}x{info.height} video: memory, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `{command}` ({platform.processor() or platform.machine()}, {_cores()} cores; "
        f"{info.frame_count} frames at {info.fps:g} fps, {sample.name} upscaled; peak of the "
        f"summed resident memory of every process, sampled every 50 ms; load average before "
        f"{load_before:.1f})",
        "",
        "| run | wall (s) | peak memory, all processes (MB) | reps |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {label} | {sec:.0f} | {peak:.0f} | {reps} |" for label, sec, peak, reps in rows),
    ]
    print("\n".join(lines) + "\n")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
