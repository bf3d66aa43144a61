"""Does ``--jobs N`` change what formcheck finds? The pose model run in N time segments
(`formcheck.media.parallel`) against one process, on every sample and every clip of
``../shared/footage/``: rep count, every rule's verdict on every rep, the view, and the largest
landmark difference (image x/y, as a share of the frame) with where it falls.

The one-process landmarks come from ``benchmarks/.cache/<stem>.npz`` where they exist (made by
`formcheck.media.pose.extract`) or are extracted here; the N-process ones are extracted here.
Both are kept in ``OUT/`` so a second call only compares. Clips shorter than
`formcheck.media.parallel.MIN_PARALLEL_S` run in one process anyway and are listed as such, as
are clips where the segments' scouts saw several people (the several-people pass then runs over
the whole video in one process, exactly as without ``--jobs``).
This costs the whole machine for many minutes on all footage: run it once, on purpose.

    python benchmarks/compare_jobs.py /tmp/jobs [--jobs 2] [--only STEM ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
FOOTAGE = ROOT.parent / "shared" / "footage"


def clips() -> list[Path]:
    """Every sample and every footage clip."""
    return sorted((ROOT / "samples").glob("*.mp4")) + sorted(FOOTAGE.glob("*/*.mp4"))


def verdicts(seq, rules) -> tuple[int, str, list[dict[str, str]]]:  # noqa: ANN001
    """Rep count, view and each rep's rule statuses of the analysis of ``seq``."""
    return analysis_verdicts(analyze_seq(seq, rules))


def analyze_seq(seq, rules):  # noqa: ANN001, ANN201
    """`formcheck.core.analysis.analyze` of ``seq``."""
    from formcheck.core.analysis import analyze

    return analyze(seq, rules)


def analysis_verdicts(a) -> tuple[int, str, list[dict[str, str]]]:  # noqa: ANN001
    """Rep count, view and each rep's rule statuses of an analysis."""
    reps = [
        {name: r.status for name, r in a.scores.rep(i).results.items()} for i in range(len(a.reps))
    ]
    return len(a.reps), a.view, reps


def differences(name: str, a, b) -> list[str]:  # noqa: ANN001
    """One line per rule verdict that differs between two analyses of one clip (reps paired by
    index): the rep's frames start/bottom/end in each, the rule's value and status in each, its
    limit and measurement error (the borderline band is the limit +/- the error)."""
    out = []
    for i in range(min(len(a.reps), len(b.reps))):
        ra, rb = a.scores.rep(i).results, b.scores.rep(i).results
        for rule in ra:
            x, y = ra[rule], rb.get(rule)
            if y is None or x.status == y.status:
                continue
            frames = [f"{r.start}/{r.bottom}/{r.end}" for r in (a.reps[i], b.reps[i])]
            err = "no error" if x.error is None else f"+/- {x.error:g}"
            out.append(
                f"- {name} rep {i + 1} ({a.reps[i].t_bottom:.1f} s), frames {frames[0]} vs "
                f"{frames[1]}: `{rule}` {_num(x.value)} {x.status} vs {_num(y.value)} {y.status} "
                f"(limit {x.compare} {x.threshold:g} {err} {x.unit})"
            )
    return out


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()

    from formcheck.core.ruleset import load_rules
    from formcheck.media.cache import load, save
    from formcheck.media.parallel import extract, plan_segments
    from formcheck.media.video import probe

    rules = load_rules(None)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    details: list[str] = []
    same_all = True
    for video in clips():
        if args.only and video.stem not in args.only:
            continue
        info = probe(video)
        plan = plan_segments(info.duration_s, info.fps, args.jobs)
        if len(plan) < 2:
            rows.append(f"| {video.name} | {info.duration_s:.1f} | 1 (short) | | | | |")
            continue
        one_path = CACHE / f"{video.stem}.npz"
        if not one_path.is_file():
            one_path = args.out / f"{video.stem}.jobs1.npz"
            if not one_path.is_file():
                save(extract(video, progress=False, jobs=1), one_path, video=video)
        par_path = args.out / f"{video.stem}.jobs{args.jobs}.npz"
        if not par_path.is_file():
            save(extract(video, progress=False, jobs=args.jobs), par_path, video=video)
        one, par = load(one_path), load(par_path)
        if "people" in par.meta:  # the scouts saw several people: extract_several ran, as it
            # does without --jobs (and caches made before that pass hold one person's landmarks)
            rows.append(
                f"| {video.name} | {info.duration_s:.1f} | {len(plan)} | several people: the "
                "one-process several-people pass, as without --jobs | | | |"
            )
            continue
        if len(one) != len(par) or not np.array_equal(one.timestamps, par.timestamps):
            rows.append(f"| {video.name} | {info.duration_s:.1f} | {len(plan)} | frames differ |")
            same_all = False
            continue
        diff = np.abs(one.landmarks[..., :2] - par.landmarks[..., :2]).max(axis=(1, 2))
        lost = np.isfinite(one.landmarks[:, 0, 0]) != np.isfinite(par.landmarks[:, 0, 0])
        first = int(np.searchsorted(one.timestamps, plan[0].end_s - 0.5 / info.fps))
        seg0 = np.nanmax(diff[:first], initial=0.0)
        after = np.nanmax(diff[first:], initial=0.0)
        median = np.nanmedian(diff[first:])
        full_a, full_b = analyze_seq(one, rules), analyze_seq(par, rules)
        a, b = analysis_verdicts(full_a), analysis_verdicts(full_b)
        same = a == b
        if not same:
            details += differences(video.name, full_a, full_b)
        same_all &= same
        rows.append(
            f"| {video.name} | {info.duration_s:.1f} | {len(plan)} | {a[0]} / {b[0]} "
            f"| {'same' if same else 'DIFFERENT'} | {seg0:.4f} / {median:.4f} / {after:.4f} "
            f"| {int(lost.sum())} |"
        )
        print(rows[-1], file=sys.stderr)
    print(
        f"\n| clip | s | segments (--jobs {args.jobs}) | reps 1 / N | view and every verdict "
        "| landmark diff: first segment / median and max after it | frames found by one only |"
    )
    print("| --- | ---: | ---: | ---: | --- | --- | ---: |")
    print("\n".join(rows))
    if details:
        print("\nVerdicts that differ (value with --jobs 1 vs --jobs N):\n")
        print("\n".join(details))
    return 0 if same_all else 1


if __name__ == "__main__":
    sys.exit(main())
