"""Does the knee check (``knees_over_feet``) catch knees caving in without failing ordinary
squats? Its verdicts on every front-view rep of every cached clip, judged as the shipped rule
does and with the window moved (``--phase``, ``--aggregate``).

- Real footage (``../shared/footage``, landmark caches of ``bench_reps.py`` in
  ``benchmarks/.cache``): no clip shows clear knee valgus (footage README), so every judged rep
  should pass (borderline: the reading cannot tell).
- Rendered squats (``benchmarks/.cache/synth``, seeds 1-4 of ``bench_reps.py``): the presets
  ``knee-valgus`` (knees caving in 18 deg over parallel feet) and ``turned-out-valgus`` (18 deg
  over feet turned out 30 deg) must fail; every other preset must pass.

Per group: reps judged, failed, borderline, passed, and the judged values (deg, the worse
knee). Runs in seconds (no video is read).

    python benchmarks/bench_knees.py [--variant PHASE/AGGREGATE ...] [--append]
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

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
SECTION = "## Knees over the feet: real and rendered front views (`bench_knees.py`)"
#: Real clips filmed from the front (view segments in ``benchmarks/view_labels.csv``).
REAL_FRONT = (
    "front_air_squats_12_then_pushups",
    "front_side_front_demo_9",
    "front_barbell_portrait_1",
    "heel_elevated_goblet_squat_front_2",
)
FAULTY = ("knee-valgus", "turned-out-valgus")
RULE = "knees_over_feet"


def rules_with(phase: str | None, aggregate: str | None):  # noqa: ANN201
    """The shipped rules, ``knees_over_feet`` judged over ``phase`` by ``aggregate`` (None:
    as shipped)."""
    from formcheck.core.ruleset import load_rules

    rules = load_rules()
    if phase is None:
        return rules
    changed = [
        replace(r, checks=tuple(replace(c, phase=phase, aggregate=aggregate) for c in r.checks))
        if r.name == RULE
        else r
        for r in rules.rules
    ]
    return replace(rules, rules=tuple(changed))


def judged(cached: Path, rules) -> list[tuple[int, float]]:  # noqa: ANN001
    """(status code, value deg) of the knee check on each front-view rep of ``cached``."""
    from formcheck.core.analysis import analyze
    from formcheck.media.cache import load

    a = analyze(load(cached), rules)
    k = [r.name for r in a.rules.rules].index(RULE)
    s = a.scores
    return [
        (int(s.status[i, k]), float(s.values[i, k]))
        for i, view in enumerate(a.rep_views)
        if view == "front"
    ]


def groups(rules) -> dict[str, list[tuple[int, float]]]:  # noqa: ANN001
    out: dict[str, list[tuple[int, float]]] = {}
    for stem in REAL_FRONT:
        path = CACHE / f"{stem}.npz"
        if path.exists():
            out[f"real: {stem}"] = judged(path, rules)
    for path in sorted((CACHE / "synth").glob("*_front_*.npz")):
        preset = path.stem.rsplit("_front_", 1)[0]
        out.setdefault(f"rendered: {preset}", []).extend(judged(path, rules))
    return out


def table(found: dict[str, list[tuple[int, float]]]) -> tuple[list[str], int]:
    """Markdown rows and the number of wrong verdicts (a fault passed, or an ordinary squat
    failed)."""
    lines = [
        "| clips | should | judged | failed | borderline | passed | judged values (deg) |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    wrong = 0
    for name, rows in found.items():
        st = np.array([r[0] for r in rows], dtype=int)
        values = [round(r[1]) for r in rows if r[0] > 0]
        should = "fail" if name.split(": ")[1] in FAULTY else "pass"
        wrong += int((st == (1 if should == "fail" else 2)).sum())
        lines.append(
            f"| {name} | {should} | {int((st > 0).sum())} | {int((st == 2).sum())} "
            f"| {int((st == 3).sum())} | {int((st == 1).sum())} | {', '.join(map(str, values))} |"
        )
    return lines, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--variant",
        nargs="*",
        default=["rep/max"],
        help="other windows to compare with the shipped one, as PHASE/AGGREGATE",
    )
    parser.add_argument("--append", action="store_true", help="write the section of RESULTS.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    t0 = time.perf_counter()
    from formcheck.core.ruleset import load_rules

    shipped = load_rules()[RULE].primary
    out = [
        SECTION,
        "",
        f"`python benchmarks/bench_knees.py{' --variant ' + ' '.join(args.variant) if args.variant else ''}"
        f" --append`: front-view reps of the real front clips and of the rendered presets (seeds "
        f"of `bench_reps.py` cached); {platform.python_version()}, {platform.machine()}.",
        "",
        "Wrong verdict: a rendered fault passed, or an ordinary squat (every other rendered preset, "
        "every real clip: none shows clear valgus) failed. Borderline is neither.",
    ]
    variants = [(None, None, f"shipped: {shipped.phase}/{shipped.aggregate}")]
    variants += [(*v.split("/"), v) for v in args.variant]
    for phase, aggregate, label in variants:
        lines, wrong = table(groups(rules_with(phase, aggregate)))
        out += ["", f"**{label}**: {wrong} wrong verdicts", "", *lines]
    out += ["", f"({time.perf_counter() - t0:.0f} s)"]
    text = "\n".join(out) + "\n"
    print(text)
    if args.append:
        write_section(SECTION, text, ROOT / "benchmarks" / "RESULTS.md")


if __name__ == "__main__":
    main()
