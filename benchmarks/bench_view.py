"""Is the camera view measured right? Body yaw and the view of each rep, on rendered and real video.

- Rendered sweep (`formcheck.synth`): a one-rep good cyclist squat seen from camera yaw 0 to 180
  deg in 15 deg steps, at four camera placements (height above the floor, pitch: a level tripod at
  hip height, a phone on the floor tilted up, a shelf tilted down, a high corner tilted down).
  Per true yaw and placement, the mean absolute error of `formcheck.core.view.estimate_yaw`'s
  unsigned yaw (0 front, 90 side, 180 back) over the frames with a pose, and how often it gets
  the side the subject faces right. Clips are 320x240 at 10 fps, 2.2 s, so the sweep renders and
  extracts in a few minutes; landmarks are cached in ``benchmarks/.cache/view_sweep``.
- Real footage (``../shared/footage``): the view segments labelled by eye in
  ``benchmarks/view_labels.csv`` (clip, start s, end s, view, facing) against the per-frame view
  classes of `formcheck.core.metrics.compute_metrics` over the labelled frames, from the landmark
  caches of ``bench_reps.py`` in ``benchmarks/.cache`` (a clip without a cache is skipped and
  listed).
- Heel block: per clip (real footage and rendered side / 45 deg pairs) the reps whose
  ``heels_elevated`` check was judged, passed and failed.

    python benchmarks/bench_view.py [--append]
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from results_md import write_section

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
SWEEP = CACHE / "view_sweep"
FOOTAGE = ROOT.parent / "shared" / "footage"
LABELS = ROOT / "benchmarks" / "view_labels.csv"
SECTION = "## Camera view (`bench_view.py`)"

YAWS = np.arange(0, 181, 15)
GOOD, FLAT = "good-cyclist-squat", "no-heel-block"
#: Yaws of the flat-heel sweep (the heel check's view limits): 45 deg either side of a profile.
HEEL_YAWS = np.arange(45, 136, 15)
#: (name, camera height above the floor m, pitch deg + = looking down)
PLACEMENTS = (
    ("tripod 0.9 m, level", 0.9, 0.0),
    ("floor 0.3 m, up 10", 0.3, -10.0),
    ("shelf 1.6 m, down 12", 1.6, 12.0),
    ("corner 2.2 m, down 22", 2.2, 22.0),
)


def sweep_scene(yaw: float, height: float, pitch: float, seed: int, name: str = GOOD):
    """One quick rep of the preset ``name``, 320x240 at 10 fps, seen from ``yaw`` at a placement."""
    from formcheck.synth import Camera, Scene, preset
    from formcheck.synth.look import VARIANTS

    squat = replace(preset(name), reps=1, stand_s=0.2, descent_s=0.9, pause_s=0.1, ascent_s=0.8)
    cam = Camera.at_height(height, pitch, yaw_deg=float(yaw), width=320, height=240, fps=10.0)
    look = replace(VARIANTS[seed % len(VARIANTS)], noise=1.0)
    return Scene(squat, cam, look, seed, name)


def sweep_clip(yaw: float, p: int, name: str = GOOD):
    """The cached landmarks (`PoseSequence`) of one sweep clip, rendered and extracted if absent
    (the video is not kept: a cache is trusted as it is, as `bench_reps.py` does)."""
    from formcheck.media.cache import extract_cached, load
    from formcheck.synth import write

    _, height, pitch = PLACEMENTS[p]
    stem = f"yaw{int(yaw):03d}_p{p}" + ("" if name == GOOD else f"_{name}")
    cached = SWEEP / f"{stem}.npz"
    if cached.is_file():
        return load(cached)
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / f"{stem}.mp4"
        SWEEP.mkdir(parents=True, exist_ok=True)
        write(video, sweep_scene(yaw, height, pitch, p + int(yaw) // 15, name))
        return extract_cached(video, cached)


def yaw_errors(seq, true_camera_yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """Per frame with a yaw: the unsigned-yaw error (deg) of ``seq``'s `compute_metrics`
    ``body_yaw`` against the camera yaw, and whether it names the side the subject faces (a
    camera on the subject's left, yaw 0-180, sees them face the image's left: body yaw < 0;
    at 0 and 180 either side is right)."""
    from formcheck.core.metrics import compute_metrics

    yaw = compute_metrics(seq).metrics["body_yaw"].values
    yaw = yaw[np.isfinite(yaw)]
    side_ok = (yaw <= 0) | (true_camera_yaw % 180 == 0)
    return np.abs(np.abs(yaw) - true_camera_yaw), side_ok


def sweep_table() -> tuple[str, float]:
    """Markdown table of the yaw MAE per true yaw (rows) and placement (columns), and the MAE
    over every frame of the sweep."""
    head = "| true yaw | " + " | ".join(p[0] for p in PLACEMENTS) + " | all |"
    lines = [head, "| ---: |" + " ---: |" * (len(PLACEMENTS) + 1)]
    every, sides = [], []
    for yaw in YAWS:
        cells, row = [], []
        for p in range(len(PLACEMENTS)):
            err, side_ok = yaw_errors(sweep_clip(yaw, p), float(yaw))
            cells.append(f"{err.mean():.1f}")
            row.append(err)
            sides.append(side_ok)
        row_all = np.concatenate(row)
        every.append(row_all)
        lines.append(f"| {yaw} | " + " | ".join(cells) + f" | {row_all.mean():.1f} |")
    per_p = [
        np.concatenate([yaw_errors(sweep_clip(y, p), float(y))[0] for y in YAWS]).mean()
        for p in range(len(PLACEMENTS))
    ]
    total = float(np.concatenate(every).mean())
    lines.append("| **all** | " + " | ".join(f"{m:.1f}" for m in per_p) + f" | **{total:.1f}** |")
    side = float(np.concatenate(sides).mean())
    return "\n".join(lines) + f"\n\nFacing side right in {100 * side:.1f} % of frames.", total


def heel_outcomes(seq) -> tuple[int, int, int, int]:
    """Reps found in ``seq`` by the shipped rules and, of them, judged / passed / failed by the
    ``heels_elevated`` check."""
    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules

    rules = load_rules()
    k = [r.name for r in rules.rules].index("heels_elevated")
    st = analyze(seq, rules).scores.status[:, k]
    return len(st), int((st > 0).sum()), int((st == 1).sum()), int((st == 2).sum())


def heel_sweep_table() -> tuple[str, int]:
    """Markdown table of the heel check on the rendered sweep: per camera yaw (columns 45-135)
    and placement, the block (8 cm) and flat-heel clips' outcomes as P (pass), F (fail), - (not
    judged) or 0 (no rep found); and how many wrong verdicts (a block failed, flat heels passed)."""
    lines = [
        "| placement | heels | " + " | ".join(str(y) for y in HEEL_YAWS) + " |",
        "| --- | --- |" + " :-: |" * len(HEEL_YAWS),
    ]
    wrong = 0
    for p, (label, *_) in enumerate(PLACEMENTS):
        for name, good in ((GOOD, "P"), (FLAT, "F")):
            cells = []
            for yaw in HEEL_YAWS:
                n, judged, passed, failed = heel_outcomes(sweep_clip(yaw, p, name))
                cell = "0" if n == 0 else "P" * passed + "F" * failed + "-" * (n - judged)
                wrong += passed if good == "F" else failed
                cells.append(cell)
            heels = "8 cm block" if name == GOOD else "flat"
            lines.append(f"| {label} | {heels} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nWrong verdicts: {wrong}.", wrong


def read_labels() -> list[dict[str, str]]:
    """The eye labels of ``view_labels.csv`` (comment lines skipped)."""
    with LABELS.open(newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def facing_ok(label: dict[str, str], yaw: np.ndarray) -> np.ndarray:
    """Per frame: the measured full-circle ``yaw`` names the labelled facing (camera / away:
    the sign of cos; left / right: the sign of the yaw; both words of an oblique label)."""
    ok = np.ones(yaw.shape, dtype=bool)
    for word in label["facing"].split("-"):
        ok &= {
            "camera": np.abs(yaw) < 90,
            "away": np.abs(yaw) > 90,
            "left": yaw < 0,
            "right": yaw > 0,
        }[word]
    return ok


def footage_agreement() -> tuple[str, float]:
    """Markdown table of the per-frame view classes and facing against the eye labels, per
    labelled segment, and the frame-weighted agreement of the view over every segment."""
    from formcheck.core.metrics import compute_metrics
    from formcheck.core.metricset import VIEW_NAMES
    from formcheck.media.cache import load

    lines = [
        "| clip | s | label | frames | view agrees | facing agrees | measured views |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    agree = total = 0
    missing = []
    for label in read_labels():
        if label["view"] == "ambiguous":
            continue
        cached = CACHE / (Path(label["clip"]).stem + ".npz")
        if not cached.is_file():
            missing.append(label["clip"])
            continue
        seq = load(cached)
        m = compute_metrics(seq)
        t = seq.timestamps - seq.timestamps[0]
        sel = (t >= float(label["start_s"])) & (t <= float(label["end_s"])) & seq.detected
        views = np.asarray(m.view)[sel]
        want = "front" if label["view"] == "back" else label["view"]
        hit = np.array([VIEW_NAMES[int(v)] == want for v in views])
        yaw = m.metrics["body_yaw"].values[sel]
        face = facing_ok(label, yaw[np.isfinite(yaw)])
        names, counts = np.unique([VIEW_NAMES[int(v)] for v in views], return_counts=True)
        seen = ", ".join(
            f"{n} {100 * c / max(1, len(views)):.0f} %" for n, c in zip(names, counts, strict=True)
        )
        agree += int(hit.sum())
        total += len(hit)
        lines.append(
            f"| {label['clip']} | {float(label['start_s']):g}-{float(label['end_s']):g} "
            f"| {label['view']} {label['facing']} | {len(hit)} "
            f"| {100 * hit.mean():.0f} % | {100 * face.mean():.0f} % | {seen} |"
        )
    share = agree / max(1, total)
    note = f"\n\nView agrees on {100 * share:.1f} % of {total} labelled frames with a pose."
    if missing:
        note += " No landmark cache (not measured): " + ", ".join(missing) + "."
    return "\n".join(lines) + note, share


def footage_heels() -> tuple[str, int]:
    """Markdown table of the heel check per real clip with a landmark cache: reps found and,
    of them, judged / passed / failed; and the passes (wrong on every clip but the
    heel-raised one, where a fail is wrong)."""
    lines = [
        "| clip | heels | reps | judged | passed | failed |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    wrong = 0
    from formcheck.media.cache import load

    for clip in sorted({label["clip"] for label in read_labels()}):
        cached = CACHE / (Path(clip).stem + ".npz")
        if not cached.is_file():
            continue
        n, judged, passed, failed = heel_outcomes(load(cached))
        raised = clip.startswith("heel_raised_squats/")
        wrong += failed if raised else passed
        heels = "raised (plate)" if raised else "flat"
        lines.append(f"| {clip} | {heels} | {n} | {judged} | {passed} | {failed} |")
    return "\n".join(lines) + f"\n\nWrong verdicts: {wrong}.", wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-only", action="store_true", help="Only render and extract.")
    parser.add_argument("--append", action="store_true", help="write its section of RESULTS.md")
    args = parser.parse_args()
    for p in range(len(PLACEMENTS)):
        for yaw in YAWS:
            sweep_clip(yaw, p)
            print(f"cached yaw {yaw} placement {p}", file=sys.stderr, flush=True)
        for yaw in HEEL_YAWS:
            sweep_clip(yaw, p, FLAT)
            print(f"cached flat heels yaw {yaw} placement {p}", file=sys.stderr, flush=True)
    if args.cache_only:
        return
    t0 = time.time()
    yaw_table, total = sweep_table()
    heel_table, _ = heel_sweep_table()
    if FOOTAGE.is_dir():
        view_table, share = footage_agreement()
        heels_real, _ = footage_heels()
    else:
        view_table, heels_real, share = f"{FOOTAGE} absent.", f"{FOOTAGE} absent.", float("nan")
    text = (
        f"{SECTION}\n\n`python benchmarks/bench_view.py --append`: {platform.python_version()}, "
        f"{platform.machine()}, {time.time() - t0:.0f} s (landmarks cached).\n\n"
        f"Body yaw (`compute_metrics` ``body_yaw``), mean absolute error of the unsigned yaw in "
        f"degrees over every frame, rendered good cyclist squat (one rep, 320x240, 10 fps), camera "
        f"3.4 m away; MAE over the sweep **{total:.1f} deg**.\n\n{yaw_table}\n\n"
        f"View classes against the eye labels of ``benchmarks/view_labels.csv`` (back counts as "
        f"front; facing: camera/away from the sign of cos(yaw), left/right from its sign); "
        f"agreement {100 * share:.1f} %.\n\n{view_table}\n\n"
        f"Heel check (``heels_elevated``, judged from the side only) on the rendered sweep: "
        f"one rep per cell, P pass, F fail, - not judged, blank: the rep was not found (a 1.8 "
        f"s rep at 10 fps).\n\n{heel_table}\n\n"
        f"Heel check on the real footage (nobody on a block except heel_raised_squats/).\n\n"
        f"{heels_real}\n"
    )
    print(text)
    if args.append:
        write_section(SECTION, text, ROOT / "benchmarks" / "RESULTS.md")


if __name__ == "__main__":
    main()
