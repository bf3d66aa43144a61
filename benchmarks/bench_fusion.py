"""Two cameras, one verdict: how well does `formcheck.core.fusion` pair a front and a side video?

Uses the MediaPipe landmarks of the rendered bench clips cached by ``bench_reps.py`` /
``bench_accuracy.py`` (``benchmarks/.cache/synth/<preset>_<view>_<seed>.npz``: 7 presets, 3
views, seeds 1-4 in 4 looks, 3 reps with jitter 0.5, 640x360, 30 fps): the front and the side
clip of one preset and seed film the same motion at the same moment, so they are a same-set pair
with offset 0. Each pair is also played as if the cameras had started at different moments (the
front clip lengthened by ``k`` frames of its first, standing pose at its start, or shortened, so
the true offset is ``k / fps``) and as if the front camera filmed at half the rate (every other
frame). No pose model runs; no video is decoded.

Figures: offset error (seconds, and in frames of the slower camera), reps paired exactly, checks
judged per rep (front alone, side alone, the pair), fault precision and recall per judged rep (a
rep of a faulty preset is a positive for that preset's rule only; `FAULT_RULE`) for front alone,
side alone and the pair; and separate sets (the front of one preset and seed with the side of
another seed: another jitter) told apart.

    python benchmarks/bench_fusion.py [--seeds 1 2 3 4] [--offsets -4 -1.5 0 2.3 5] [--append]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from results_md import write_section

from formcheck.core.analysis import Analysis, analyze
from formcheck.core.fusion import SAME_SET, fuse
from formcheck.core.ruleset import load_rules
from formcheck.core.sequence import PoseSequence
from formcheck.media.cache import load
from formcheck.synth.presets import FAULT_RULE, PRESETS

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache" / "synth"
SECTION = "## Two cameras, one verdict (bench_fusion.py)"


def shifted(seq: PoseSequence, frames: int) -> PoseSequence:
    """``seq`` as if its camera had started ``frames`` (>= 0) frames earlier: the first frame's
    standing pose repeated before it."""
    idx = np.concatenate([np.zeros(frames, dtype=int), np.arange(len(seq))])
    return replace(
        seq,
        landmarks=seq.landmarks[idx],
        world=seq.world[idx],
        visibility=seq.visibility[idx],
        timestamps=np.arange(len(idx)) / seq.fps,
    )


def halved(seq: PoseSequence) -> PoseSequence:
    """Every other frame: the camera at half the frame rate."""
    s = seq.slice(0, len(seq))
    keep = np.arange(0, len(s), 2)
    return replace(
        s,
        landmarks=s.landmarks[keep],
        world=s.world[keep],
        visibility=s.visibility[keep],
        timestamps=s.timestamps[keep],
        fps=s.fps / 2,
    )


def judged_share(a: np.ndarray) -> float:
    """Mean share of the rules judged per rep of a ``(R, K)`` status array."""
    return float((a > 0).mean()) if a.size else float("nan")


def faults(status: np.ndarray, names: list[str], preset: str, counts: dict) -> None:
    """Add each judged rep and rule of ``status`` to ``counts[rule] = [tp, fp, fn, tn, nj]`` (a
    borderline verdict is not a fail: a miss on a fault, a true negative elsewhere)."""
    want = FAULT_RULE.get(preset, ())
    for k, name in enumerate(names):
        c = counts.setdefault(name, [0, 0, 0, 0, 0])
        for s in status[:, k]:
            if s == 0:
                c[4] += 1
            elif name in want:
                c[0 if s == 2 else 2] += 1
            else:
                c[1 if s == 2 else 3] += 1


def pr_table(counts: dict[str, dict[str, list[int]]]) -> str:
    lines = [
        "| rule | front alone P / R (judged) | side alone P / R (judged) | pair P / R (judged) |",
        "| --- | ---: | ---: | ---: |",
    ]

    def cell(c: list[int]) -> str:
        tp, fp, fn, tn, nj = c
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        return f"{p} / {r} ({tp + fp + fn + tn})"

    for name in counts["pair"]:
        lines.append(
            f"| `{name}` | "
            + " | ".join(cell(counts[w][name]) for w in ("front", "side", "pair"))
            + " |"
        )
    total = {w: np.sum(list(counts[w].values()), axis=0).tolist() for w in counts}
    lines.append(
        "| all rules | " + " | ".join(cell(total[w]) for w in ("front", "side", "pair")) + " |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--offsets", type=float, nargs="+", default=[-4.0, -1.5, 0.0, 2.3, 5.0])
    parser.add_argument("--append", action="store_true", help="write the section of RESULTS.md")
    args = parser.parse_args()
    rules = load_rules()
    names = [r.name for r in rules.rules]
    t0 = time.perf_counter()
    cache: dict[tuple[str, str, int], Analysis] = {}

    def analysis(preset: str, view: str, seed: int) -> Analysis | None:
        key = (preset, view, seed)
        path = CACHE / f"{preset}_{view}_{seed}.npz"
        if key not in cache:
            if not path.is_file():
                return None
            cache[key] = analyze(load(path), rules)
        return cache[key]

    rows, offset_errors, frame_errors, corrs = [], [], [], []
    paired_ok = n_pairs = 0
    share = {"front": [], "side": [], "pair": []}
    counts: dict[str, dict[str, list[int]]] = {"front": {}, "side": {}, "pair": {}}
    same_missed = []
    for preset in PRESETS:
        for seed in args.seeds:
            front, side = analysis(preset, "front", seed), analysis(preset, "side", seed)
            if front is None or side is None:
                continue
            faults(front.scores.status, names, preset, counts["front"])
            faults(side.scores.status, names, preset, counts["side"])
            share["front"].append(judged_share(front.scores.status))
            share["side"].append(judged_share(side.scores.status))
            for off in args.offsets:
                for half in (False, True):
                    seq = halved(front.sequence) if half else front.sequence
                    if off >= 0:  # the front camera started ``off`` s before the side one
                        k = int(round(off * seq.fps))
                        one, two = analyze(shifted(seq, k), rules), side
                        true = -k / seq.fps  # the front's t = 0 on the side's clock
                    else:  # the side camera started first
                        k = int(round(-off * side.sequence.fps))
                        one = analyze(seq, rules) if half else front
                        two = analyze(shifted(side.sequence, k), rules)
                        true = k / side.sequence.fps
                    fused = fuse([("front.mp4", one), ("side.mp4", two)])
                    n_pairs += 1
                    src = next(s for s in fused.sources if s.path == "front.mp4")
                    err = src.offset_s - true
                    slower = min(seq.fps, side.sequence.fps)
                    offset_errors.append(err)
                    frame_errors.append(abs(err) * slower)
                    corrs.append(src.sync.correlation)
                    if fused.mode != SAME_SET:
                        same_missed.append(f"{preset} seed {seed} offset {off:+g}{' 15fps' * half}")
                        continue
                    full = (fused.rep_index >= 0).all(axis=1).sum()
                    if full == len(fused.rep_index) == len(side.reps):
                        paired_ok += 1
                    if not half:
                        faults(fused.scores.status, names, preset, counts["pair"])
                        share["pair"].append(judged_share(fused.scores.status))
            rows.append(preset)
    # separate sets: front of one seed with the side of the next (another jitter of the same tempo)
    separate = total_sep = 0
    sep_corrs: list[float] = []
    for preset in PRESETS:
        for seed in args.seeds:
            other = args.seeds[(args.seeds.index(seed) + 1) % len(args.seeds)]
            front, side = analysis(preset, "front", seed), analysis(preset, "side", other)
            if front is None or side is None or other == seed:
                continue
            total_sep += 1
            fused = fuse([("front.mp4", front), ("side.mp4", side)])
            separate += fused.mode != SAME_SET
            sep_corrs.append(fused.sources[1].sync.correlation)
    seconds = time.perf_counter() - t0
    errs = np.abs(np.array(offset_errors))
    fe = np.array(frame_errors)
    summary = (
        f"{n_pairs} same-set pairs ({len(rows)} preset x seed front/side pairs x "
        f"{len(args.offsets)} offsets x front at 30 and 15 fps): recognised as the same set "
        f"{n_pairs - len(same_missed)}/{n_pairs}; offset error median {1000 * np.median(errs):.1f} "
        f"ms, 95th percentile {1000 * np.percentile(errs, 95):.1f} ms, max "
        f"{1000 * errs.max():.1f} ms; within one frame of the slower camera "
        f"{(fe <= 1).sum()}/{fe.size}; peak correlation min {np.nanmin(corrs):.3f}, median "
        f"{np.nanmedian(corrs):.3f}; reps paired exactly (3 of 3, one to one) {paired_ok}/"
        f"{n_pairs - len(same_missed)}. Checks judged per rep: front alone "
        f"{100 * np.mean(share['front']):.0f} %, side alone {100 * np.mean(share['side']):.0f} %, "
        f"the pair {100 * np.mean(share['pair']):.0f} %. Separate sets (front of seed s with the "
        f"side of another seed: same tempo, other jitter) told apart: {separate}/{total_sep}"
        + (
            f" (their peak correlation min {np.nanmin(sep_corrs):.3f}, median "
            f"{np.nanmedian(sep_corrs):.3f}: the rendered sets of one preset differ only by the "
            "rep-to-rep jitter, +-5 % tempo, and move as alike as one set seen twice; sets that "
            "differ in rep count or tempo are told apart, tests/test_fusion.py)."
            if sep_corrs
            else "."
        )
    )
    table = pr_table(counts)
    missed = (
        ("\n\nNot recognised as the same set: " + "; ".join(same_missed)) if same_missed else ""
    )
    print(summary, table, missed, sep="\n\n")
    if args.append:
        cmd = "python benchmarks/bench_fusion.py " + " ".join(sys.argv[1:])
        text = (
            f"{SECTION}\n\n`{cmd.strip()}`: MediaPipe landmarks of the cached rendered bench clips "
            f"(seeds {args.seeds}; 640x360, 30 fps, 3 reps, jitter 0.5), front and side of one "
            "preset and seed as a pair; offsets made by repeating the first (standing) frame of "
            "the camera that started first before it; 15 fps by keeping every other "
            f"front frame. {platform.python_version()}, {platform.machine()}, {seconds:.0f} s.\n\n"
            f"{summary}{missed}\n\nFault detection per judged rep (P = precision, R = recall; in "
            "brackets the reps judged; the pair at every offset, 30 fps); a rep of a faulty preset is a "
            "positive for that preset's rule only:\n\n"
            f"{table}\n"
        )
        write_section(SECTION, text, ROOT / "benchmarks" / "RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
