"""Does the heel check (``heels_elevated``) tell a block from flat shoes? Its verdicts and the
measured foot pitch on every rep of every cached clip.

- Real footage (``../shared/footage``, landmark caches of ``bench_reps.py`` in
  ``benchmarks/.cache``): nobody stands on a block except in ``heel_raised_squats/`` (a plate),
  so every judged rep elsewhere must fail.
- Rendered squats (``benchmarks/.cache/synth``, seeds 1-4 of ``bench_reps.py``): every preset
  but ``no-heel-block`` stands on an 8 cm block and must pass from the side; ``no-heel-block``
  must fail; from 45 deg (oblique) and the front the check must not be judged.

Per group of reps: how many, judged, passed, failed, and the range of the judged value (deg:
the rule's foot pitch, the lower of the feet seen). Runs in seconds (no video is read).

    python benchmarks/bench_heel.py [--append]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from bench_reps import EXPECTED
from results_md import write_section

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
SECTION = "## Heel block (`bench_heel.py`)"


def outcomes(cached: Path) -> list[tuple[str, int, float]]:
    """Per counted rep of the cached clip: (view, heel status 0/1/2, judged value deg)."""
    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.media.cache import load

    a = analyze(load(cached), load_rules())
    k = [r.name for r in a.rules.rules].index("heels_elevated")
    s = a.scores
    return [
        (view, int(s.status[i, k]), float(s.values[i, k])) for i, view in enumerate(a.rep_views)
    ]


def table(groups: dict[tuple[str, str, str], list[tuple[int, float]]]) -> str:
    """Markdown table: one row per (data, heels, view) group."""
    lines = [
        "| clips | heels | view | reps | judged | passed | failed | judged value min / median / max (deg) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for (data, heels, view), rows in sorted(groups.items()):
        st = np.array([r[0] for r in rows])
        v = np.array([r[1] for r in rows if r[0] > 0])
        rng = f"{v.min():.1f} / {np.median(v):.1f} / {v.max():.1f}" if v.size else ""
        lines.append(
            f"| {data} | {heels} | {view} | {len(st)} | {(st > 0).sum()} | {(st == 1).sum()} "
            f"| {(st == 2).sum()} | {rng} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--append", action="store_true", help="write its section of RESULTS.md")
    args = ap.parse_args()
    t0 = time.perf_counter()
    groups: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    per_clip = ["| clip | heels | reps | judged | passed | failed | judged values (deg) |"]
    per_clip.append("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    wrong = 0
    for clip in EXPECTED:
        cached = CACHE / f"{Path(clip).stem}.npz"
        if not cached.is_file():
            continue
        raised = clip.startswith("heel_raised_squats/")
        heels = "raised (plate)" if raised else "flat"
        reps = outcomes(cached)
        for view, st, v in reps:
            groups[("real", heels, view)].append((st, v))
        st = [r[1] for r in reps]
        wrong += st.count(2) if raised else st.count(1)
        if not reps:
            continue
        vals = ", ".join(f"{v:.1f}" for _, s, v in reps if s > 0)
        per_clip.append(
            f"| {clip} | {heels} | {len(st)} | {sum(s > 0 for s in st)} | {st.count(1)} "
            f"| {st.count(2)} | {vals} |"
        )
    for cached in sorted((CACHE / "synth").glob("*.npz")):
        truth = json.loads(cached.with_suffix(".json").read_text())
        heels = "flat" if truth["preset"] == "no-heel-block" else "8 cm block"
        for view, st, v in outcomes(cached):
            groups[("rendered", heels, view)].append((st, v))
            wrong += st == (1 if heels == "flat" else 2)
            wrong += view != "side" and st > 0
    took = time.perf_counter() - t0
    text = (
        f"{SECTION}\n\n`python benchmarks/bench_heel.py --append`: rendered seeds 1-4 "
        f"(bench_reps caches); {platform.python_version()}, {platform.machine()}, {took:.0f} s "
        f"(landmarks cached).\n\nEvery counted rep, by data, heels and the rep's view: the "
        f"``heels_elevated`` verdicts and the judged foot pitch (the lower of the feet seen).\n\n"
        f"{table(groups)}\n\nReal clips with counted reps:\n\n" + "\n".join(per_clip) + "\n\n"
        f"Wrong verdicts (a flat foot passed, a block failed, a judgement from a view other than "
        f"the side): {wrong}.\n"
    )
    print(text)
    if args.append:
        write_section(SECTION, text, ROOT / "benchmarks" / "RESULTS.md")
        print("RESULTS.md updated", file=sys.stderr)


if __name__ == "__main__":
    main()
