"""CPU cost of annotated.mp4: per frame and stage, and for the whole video phase of `analyze`.

Issue 13 item 2: with annotated.mp4 ``analyze`` may take at most 1.3x its ``--no-video`` time.
The machine is shared, so this measures CPU seconds (user + sys of every thread and waited-for
child process), not wall time; on 2 busy cores wall is about CPU / 2.

- ``stages``: one thread, frame by frame as the pipeline does it, CPU ms per frame of decoding
  (PyAV, one decoder thread), conversion to RGB (and scaling to the annotated size), drawing
  (`formcheck.media.annotate.Annotator`), RGB -> YUV 4:2:0 (`formcheck.media.videowriter.to_i420`)
  and x264 (``--preset``/``--crf``, default `formcheck.media.videowriter.PRESET`/`CRF`; one
  encoder thread), and the file's bitrate.
- ``phase``: ``formcheck analyze CLIP --landmarks CACHE`` with and without the video, the same
  landmarks (no pose model), as child processes: the difference of their CPU is what the video
  costs (decode, draw, encode, join and the spawned segment process).

    python benchmarks/bench_video.py [--clip CLIP] [--frames 300] [--preset P --crf N]
    python benchmarks/bench_video.py --no-stages --src ../main/src   # another tree's phase

Landmarks come from ``benchmarks/.cache/<clip stem>.npz`` (see ``bench_reps.py``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "footage" / "squats" / "front_side_front_demo_9.mp4"
CACHE = ROOT / "benchmarks" / ".cache"


def stages(clip: Path, cache: Path, frames: int, preset: str, crf: int) -> dict[str, float]:
    """CPU ms per frame of each stage over the first ``frames`` frames; and ``mbit_s``."""
    import av

    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.media.annotate import Annotator
    from formcheck.media.cache import load
    from formcheck.media.videowriter import X264_PARAMS, to_i420
    from formcheck.report.media import resize_longest
    from formcheck.report.pipeline import ANNOTATED_SIZE, video_overlay

    analysis = analyze(load(cache), load_rules(None))
    overlay, (w, h) = video_overlay(analysis)
    annotator = Annotator(overlay)
    spent = dict.fromkeys(("decode", "to_rgb", "draw", "to_yuv", "encode"), 0.0)
    cpu = time.process_time
    with tempfile.TemporaryDirectory() as tmp, av.open(str(clip)) as src:
        stream = src.streams.video[0]
        stream.codec_context.thread_count = 1
        out_path = Path(tmp) / "out.mp4"
        with av.open(str(out_path), "w", format="mp4") as out:
            enc = out.add_stream("libx264", rate=stream.average_rate)
            enc.width, enc.height, enc.pix_fmt = w, h, "yuv420p"
            enc.options = {"crf": str(crf), "preset": preset, "x264-params": X264_PARAMS}
            enc.codec_context.thread_count = 1
            decoded = src.decode(stream)
            n = 0
            for i in range(min(frames, len(overlay))):
                t = cpu()
                frame = next(decoded, None)
                spent["decode"] += cpu() - t
                if frame is None:
                    break
                t = cpu()
                rgb = resize_longest(frame.to_ndarray(format="rgb24"), ANNOTATED_SIZE)[0]
                spent["to_rgb"] += cpu() - t
                t = cpu()
                annotator.annotate(rgb, i)
                spent["draw"] += cpu() - t
                t = cpu()
                yuv = av.VideoFrame.from_ndarray(to_i420(rgb), format="yuv420p")
                spent["to_yuv"] += cpu() - t
                t = cpu()
                for packet in enc.encode(yuv):
                    out.mux(packet)
                spent["encode"] += cpu() - t
                n += 1
            t = cpu()
            for packet in enc.encode(None):
                out.mux(packet)
            spent["encode"] += cpu() - t
        mbit_s = out_path.stat().st_size * 8 / (n / float(stream.average_rate)) / 1e6
    result = {k: 1e3 * v / n for k, v in spent.items()}
    result["total"] = sum(result.values())
    result["mbit_s"] = mbit_s
    return result


def children_cpu(command: list[str], src: Path | None = None) -> float:
    """CPU seconds (user + sys) of ``command`` and every process it waited for; ``src`` a source
    tree whose ``formcheck`` it runs instead of the installed one."""
    env = {**os.environ, "PYTHONPATH": str(src.resolve())} if src else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    from formcheck.media.videowriter import CRF, PRESET

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", type=int, default=300, help="frames for the stage profile")
    parser.add_argument("--preset", default=PRESET)
    parser.add_argument("--crf", type=int, default=CRF)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each analyze command")
    parser.add_argument("--no-phase", action="store_true", help="only the stage profile")
    parser.add_argument("--no-stages", action="store_true", help="only the analyze phase")
    parser.add_argument("--src", type=Path, default=None, help="run analyze from this src tree")
    args = parser.parse_args()
    cache = CACHE / f"{args.clip.stem}.npz"
    if not args.clip.is_file() or not cache.is_file():
        sys.exit(f"bench_video: needs {args.clip} and its landmarks {cache}")
    if not args.no_stages:
        s = stages(args.clip, cache, args.frames, args.preset, args.crf)
        print(f"{args.clip.name}, first {args.frames} frames, x264 {args.preset} crf {args.crf}:")
        print(
            "CPU ms per frame: "
            + ", ".join(f"{k} {v:.2f}" for k, v in s.items() if k != "mbit_s")
            + f"; {s['mbit_s']:.2f} Mbit/s"
        )
    if args.no_phase:
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = [sys.executable, "-m", "formcheck", "analyze", str(args.clip), "--landmarks"]
        base += [str(cache), "-o", str(Path(tmp) / "out")]
        for _ in range(args.repeat):
            without = children_cpu([*base, "--no-video"], args.src)
            with_video = children_cpu(base, args.src)
            size = (Path(tmp) / "out" / "annotated.mp4").stat().st_size / 1e6
            print(
                f"analyze --landmarks: {without:.1f} CPU s without the video, {with_video:.1f} "
                f"with it: the video costs {with_video - without:.1f} CPU s "
                f"(annotated.mp4 {size:.1f} MB)"
            )


if __name__ == "__main__":
    main()
