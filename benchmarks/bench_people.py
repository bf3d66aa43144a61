"""Several people in view: on which real clips does formcheck look for more than one person,
whom does it analyse then, and does the rep count stay right? And what does looking cost?

- Footage (``../shared/footage``, every clip): the scout of `formcheck.media.pose.extract` (a
  3-person landmarker every ``SCOUT_S`` seconds) is run alone to see on which clips it finds a
  second person on ``SCOUT_SIGHTINGS`` frames; only those clips are extracted again (several
  people, cached in ``benchmarks/.cache/people``): on the others `extract` gives the one-person
  landmarks exactly, so ``bench_reps.py``'s caches stand. For each re-extracted clip: the people
  tracked, the rep count before (one-person cache) and after, and the count expected.
- ``--cost VIDEO``: milliseconds per frame of one-person extraction, of the default (one person
  plus the scout) and of looking for 3 people on every frame, each run ``--repeat`` times in
  turn (the median is reported).

    python benchmarks/bench_people.py [--cost samples/good-cyclist-squat_front.mp4] [--append]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from bench_reps import CACHE, EXPECTED, FOOTAGE, count
from results_md import write_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Several people in view (`bench_people.py`)"
#: Clips of other movements: no squat in any of them (footage README).
NO_SQUAT = ("nonsquat_exercises",)


def scout_sightings(video: Path) -> tuple[int, int, float]:
    """(scout frames, frames with more than one distinct person, ms per scout frame) over the
    whole clip."""
    from formcheck.core.people import boxes, distinct
    from formcheck.media.model import MAX_POSES, open_landmarker, resolve_model
    from formcheck.media.pose import SCOUT_S, results_to_poses, to_mp_image
    from formcheck.media.video import probe, read_frames

    info = probe(video)
    every = max(1, round(SCOUT_S * info.fps))
    looked = several = 0
    spent = 0.0
    with open_landmarker(resolve_model(None), mode="video", num_poses=MAX_POSES) as scout:
        for i, (t, rgb) in enumerate(read_frames(video, threads=False)):
            if i % every:
                continue
            t0 = time.perf_counter()
            found = results_to_poses(scout.detect_for_video(to_mp_image(rgb), round(t * 1000)))
            spent += time.perf_counter() - t0
            looked += 1
            size = np.array([info.width, info.height], dtype=np.float64)
            several += int(distinct(boxes(found[0][:, :, :2] * size)).sum()) > 1
    return looked, several, 1000 * spent / max(looked, 1)


def expected(clip: str) -> int | None:
    if clip in EXPECTED:
        return EXPECTED[clip]
    return 0 if clip.split("/")[0] in NO_SQUAT else None


def footage_rows(only: list[str]) -> list[dict]:
    from formcheck.media.cache import extract_cached, load
    from formcheck.media.pose import SCOUT_SIGHTINGS

    rows = []
    for video in sorted(FOOTAGE.glob("*/*.mp4")):
        clip = str(video.relative_to(FOOTAGE))
        if only and not any(name in clip for name in only):
            continue
        looked, several, ms = scout_sightings(video)
        row = {
            "clip": clip,
            "scout": f"{several}/{looked}",
            "scout_ms": ms,
            "expected": expected(clip),
        }
        if several >= SCOUT_SIGHTINGS:
            old = CACHE / f"{video.stem}.npz"
            row["before"] = len(count(load(old))) if old.is_file() else None
            seq = extract_cached(video, CACHE / "people" / f"{video.stem}.npz")
            row["after"] = len(count(seq))
            row["people_seen"] = int(seq.meta.get("people_seen", "1"))
            row["people"] = json.loads(seq.meta.get("people", "[]"))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def cost(video: Path, repeat: int) -> dict[str, float]:
    """Median ms per frame of each way of extracting ``video``."""
    from formcheck.media import pose
    from formcheck.media.model import resolve_model

    model = resolve_model(None)
    ways = {
        "one person": lambda: pose.extract(video, model, progress=False, max_people=1),
        "one person + scout (default)": lambda: pose.extract(video, model, progress=False),
        "one person + 3 people, every frame (several in view)": lambda: pose._extract(  # noqa: SLF001
            video, pose.probe(video), model, 3, False, False, pose.PREFETCH_FRAMES, {}
        ),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(repeat):
        for name, run in ways.items():
            t0 = time.perf_counter()
            n = len(run())
            times[name].append(1000 * (time.perf_counter() - t0) / n)
    return {k: statistics.median(v) for k, v in times.items()}


def markdown(rows: list[dict], costs: dict[str, float] | None, cost_video: str, cmd: str) -> str:
    lines = [
        SECTION,
        "",
        f"`{cmd}` ({time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()},"
        " machine shared with other jobs: times are indicative).",
        "",
    ]
    if costs:
        base = costs["one person"]
        lines += [
            f"Cost per frame on `{cost_video}`:",
            "",
            "| extraction | ms/frame | vs one person |",
        ]
        lines += ["| --- | ---: | ---: |"]
        lines += [f"| {k} | {v:.1f} | {v / base:.2f}x |" for k, v in costs.items()]
        lines.append("")
    if rows:
        lines += [
            "Footage: scout frames with more than one person; where that triggers the several-people"
            " pass, who is analysed (first in the list) and the reps before / after / expected.",
            "",
            "| clip | scout: >1 person | ms per scout frame | people (position, coverage, hip"
            " motion in torso lengths) | reps before | after | expected |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        for r in rows:
            people = "; ".join(
                f"{p['position']} {p['coverage']:.2f} {p['hip_motion']:.2f}"
                for p in r.get("people", [])
            )
            lines.append(
                f"| {r['clip']} | {r['scout']} | {r['scout_ms']:.0f} | {people or '(not re-run)'} | "
                f"{r.get('before', '')} | {r.get('after', '')} | "
                f"{'' if r['expected'] is None else r['expected']} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", type=Path, help="measure the per-frame cost on this video")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-footage", action="store_true", help="skip the footage survey")
    parser.add_argument("--clips", nargs="*", default=[], help="only clips whose path has one")
    parser.add_argument("--append", action="store_true", help="write the section of RESULTS.md")
    args = parser.parse_args()
    rows = [] if args.no_footage or not FOOTAGE.is_dir() else footage_rows(args.clips)
    costs = cost(args.cost, args.repeat) if args.cost else None
    if costs:
        print(json.dumps(costs))
    cmd = "python benchmarks/bench_people.py" + (f" --cost {args.cost}" if args.cost else "")
    text = markdown(rows, costs, str(args.cost), cmd)
    print(text)
    if args.append:
        write_section(SECTION, text, ROOT / "benchmarks" / "RESULTS.md")


if __name__ == "__main__":
    main()
