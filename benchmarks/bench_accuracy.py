"""How far are formcheck's measurements from the truth? Rendered squats with known kinematics.

For a grid of presets x views x seeds, renders a clip with `formcheck.synth` (H.264 MP4 through
formcheck's writer, each seed in another look of `synth.look.VARIANTS`, rep-to-rep jitter and
sensor noise on), runs the real pipeline on the file (`pose.extract` -> `metrics.compute_metrics`
-> `reps.find_reps` -> `scoring.score_reps`) and compares with the clip's ground truth:

- per metric and view: mean absolute error and bias (measured - true) over the frames the
  MetricSet marks valid; next to it the same metric computed from *perfect* landmarks (the
  truth's own joints, projected through the camera, in MediaPipe's axes), which isolates
  definition/convention differences from tracking error;
- per rep: peak knee flexion and lockout (scoring's rep measurements) against the truth;
- repetition count (exact on every clip is the target) and bottom-frame timing;
- fault detection: per rule, each judged rep counts as a true/false positive/negative against
  the preset's faults (`FAULT_RULE`; good presets have none).

Targets (issue 3): knee flexion MAE <= 5 deg in side view, FPPA MAE <= 4 deg in front view, foot
progression MAE <= 6 deg, repetition count exact on every clip.

    python benchmarks/bench_accuracy.py [--presets ...] [--views front oblique side] [--seeds 1 2]
                                        [--reps 3] [--size 640x360] [--append]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
from results_md import write_section

from formcheck.synth.presets import FAULT_RULE

ROOT = Path(__file__).resolve().parents[1]
#: Landmarks and truth of the default-size 3-rep clips, shared with bench_reps.py.
CACHE = ROOT / "benchmarks" / ".cache" / "synth"

#: (MetricSet metric without side, truth angle key without side or with {side}, unit)
PAIRS = (
    ("knee_bend", "knee_flexion_{side}", "deg"),
    ("knee_flexion", "knee_flexion_{side}", "deg"),
    ("knee_flexion_image", "knee_flexion_{side}", "deg"),
    ("knee_flexion_front", "knee_flexion_{side}", "deg"),
    ("knee_flexion_level", "knee_flexion_{side}", "deg"),
    ("fppa", "fppa_{side}", "deg"),
    ("knee_deviation", "knee_deviation_{side}", "deg"),
    ("foot_progression", "foot_progression_{side}", "deg"),
    ("trunk_lean", "trunk_lean", "deg"),
    ("heel_elevation", "heel_elevation_{side}_cm", "cm"),
    ("foot_pitch", "foot_pitch_{side}", "deg"),
    ("stance_width", "stance_width", "ratio"),
)
REP_ROWS = (
    ("peak_error", "rep peak knee flexion (deg)"),
    ("lockout_error", "rep lockout knee flexion (deg)"),
    ("fppa_bottom_error", "rep knee deviation at the bottom, `knee_deviation` (deg)"),
    ("start_frames", "rep start frame (frames)"),
    ("bottom_frames", "rep bottom frame (frames)"),
    ("end_frames", "rep end frame (frames)"),
    ("descent_error", "rep descent time (s)"),
    ("ascent_error", "rep ascent time (s)"),
)
SIDED = {
    "knee_bend",
    "knee_flexion",
    "knee_flexion_image",
    "knee_flexion_front",
    "knee_flexion_level",
    "fppa",
    "knee_deviation",
    "foot_progression",
    "heel_elevation",
    "foot_pitch",
}


SECTION = "## Accuracy against rendered ground truth (`bench_accuracy.py`)"


def compare(metrics, doc: dict) -> dict[str, np.ndarray]:
    """Per metric (sides pooled): measured - true over the valid frames."""
    out = {}
    ang = {k: np.array(v) for k, v in doc["angles"].items()}
    for name, key, _ in PAIRS:
        diffs = []
        for side in ("left", "right") if name in SIDED else (None,):
            m = metrics.get(f"{name}_{side}" if side else name)
            if m is None:
                continue
            truth = ang[key.format(side=side)]
            diffs.append((m.values - truth)[m.valid])
        out[name] = np.concatenate(diffs) if diffs else np.zeros(0)
    return out


def truth_metrics(perfect, doc: dict):
    """The metrics of perfect landmarks with every metric `PAIRS` pairs with a truth angle
    replaced by that truth (validity kept): what each rule would judge on the truth."""
    from formcheck.core.metricset import MetricSet

    ang = {k: np.asarray(v, dtype=np.float64) for k, v in doc["angles"].items()}
    out = dict(perfect.metrics)
    for name, key, _ in PAIRS:
        for side in ("left", "right") if name in SIDED else (None,):
            full = f"{name}_{side}" if side else name
            if full in out and key.format(side=side) in ang:
                out[full] = replace(out[full], values=ang[key.format(side=side)])
    return MetricSet(timestamps=perfect.timestamps, view=perfect.view, metrics=out)


def bench_scene(name: str, view: str, seed: int, reps: int = 3, size: tuple[int, int] = (640, 360)):
    """The rendered clip of a preset seen from a view: seed = another look of
    `synth.look.VARIANTS`, sensor noise on, rep-to-rep jitter 0.5 (also used by bench_reps)."""
    from formcheck.synth import VIEWS, Camera, Scene, preset
    from formcheck.synth.look import VARIANTS

    look = replace(VARIANTS[seed % len(VARIANTS)], noise=1.0)
    squat = replace(preset(name), reps=reps, rep_jitter=0.5)
    return Scene(
        squat, Camera(yaw_deg=VIEWS[view], width=size[0], height=size[1]), look, seed, name
    )


def run_clip(name: str, view: str, seed: int, reps: int, size: tuple[int, int], tmp: Path) -> dict:
    from formcheck.core.metrics import compute_metrics
    from formcheck.core.reps import Reps, find_reps
    from formcheck.core.scoring import score_reps
    from formcheck.media.cache import extract_cached
    from formcheck.media.cache import load as load_cache
    from formcheck.media.pose import extract
    from formcheck.synth import write
    from formcheck.synth.truth import knee_deviation, load, pose_sequence

    stem = f"{name}_{view}_{seed}"
    if reps == 3 and size == (640, 360):  # the clips bench_reps caches: landmarks + truth, no video
        cached, truth = CACHE / f"{stem}.npz", CACHE / f"{stem}.json"
        video = CACHE / f"{stem}.mp4"
        if not (cached.is_file() and truth.is_file()):
            CACHE.mkdir(parents=True, exist_ok=True)
            write(video, bench_scene(name, view, seed, reps, size))
        # cached before and its video deleted: the cache's own record of it is all there is
        fresh = video.is_file() or not cached.is_file()
        seq = extract_cached(video, cached) if fresh else load_cache(cached)
        video.unlink(missing_ok=True)
    else:
        video, truth = write(tmp / f"{stem}.mp4", bench_scene(name, view, seed, reps, size))
        seq = extract(video, progress=False)
        video.unlink()
    doc = load(truth)
    if "knee_deviation_left" not in doc["angles"]:  # truth written before it was recorded
        doc["angles"].update(knee_deviation(np.asarray(doc["joints_m"])))
    metrics = compute_metrics(seq)
    found = find_reps(metrics)
    score = score_reps(metrics, found)
    perfect = compute_metrics(pose_sequence(doc))
    both = np.array([doc["angles"]["knee_flexion_left"], doc["angles"]["knee_flexion_right"]])
    kf, kf_top = (
        both.min(axis=0),
        both.max(axis=0),
    )  # the shallower leg at depth, the more bent at the top
    true_reps = doc["reps"]
    result = {
        "detected": float(seq.detected.mean()),
        "errors": compare(metrics, doc),
        "perfect": compare(perfect, doc),
        "reps_found": len(found),
        "reps_true": len(true_reps),
        "rule_names": [r.name for r in score.rules.rules],
        "rule_units": [r.primary.unit for r in score.rules.rules],
        "status": score.status,
        "values": {
            rule: score.values[:, k] for k, rule in enumerate(r.name for r in score.rules.rules)
        },
    }
    if len(found) == len(true_reps):
        # each rule's judged value against the same rule judging the truth over the true reps
        frames = [[r[k] for r in true_reps] for k in ("start", "bottom", "end")]
        truth_score = score_reps(
            truth_metrics(perfect, doc), Reps.from_indices(*frames, perfect.timestamps)
        )
        both = (score.status != 0) & (truth_score.status != 0)
        result["rule_errors"] = {
            rule: (score.values[:, k] - truth_score.values[:, k])[both[:, k]]
            for k, rule in enumerate(result["rule_names"])
        }
        # knee deviation at the bottom: the worse knee's median over the bottom window (the rule's phase),
        # against the truth's over the true bottom's window of the same size
        half = int(round(score.rules.bottom_window_s * doc["fps"]))
        measured, true = [], []
        for r, t in zip(found, true_reps, strict=True):
            sides, truths = [], []
            for s in ("left", "right"):
                m = metrics[f"knee_deviation_{s}"]
                win = slice(max(r.bottom - half, 0), r.bottom + half + 1)
                ok = m.valid[win]
                sides.append(np.median(m.values[win][ok]) if ok.mean() >= 0.5 else np.nan)
                tw = slice(max(t["bottom"] - half, 0), t["bottom"] + half + 1)
                truths.append(np.median(np.asarray(doc["angles"][f"knee_deviation_{s}"])[tw]))
            measured.append(np.nanmax(sides) if np.isfinite(sides).any() else np.nan)
            true.append(max(truths))
        fppa_err = np.array(measured) - np.array(true)
        result["fppa_bottom_error"] = fppa_err[np.isfinite(fppa_err)]
        for key in ("start", "bottom", "end"):
            result[f"{key}_frames"] = np.array([getattr(r, key) for r in found]) - np.array(
                [r[key] for r in true_reps]
            )
        fps = doc["fps"]
        result["descent_error"] = score.measurements["descent_s"] - np.array(
            [(r["bottom"] - r["start"]) / fps for r in true_reps]
        )
        result["ascent_error"] = score.measurements["ascent_s"] - np.array(
            [(r["end"] - r["bottom"]) / fps for r in true_reps]
        )
        result["peak_error"] = score.measurements["peak_knee_flexion_deg"] - np.array(
            [kf[r["start"] : r["end"] + 1].max() for r in true_reps]
        )
        result["lockout_error"] = score.measurements["lockout_knee_flexion_deg"] - np.array(
            [max(kf_top[r["start"]], kf_top[r["end"]]) for r in true_reps]
        )
    return result


def _fmt(d: np.ndarray, digits: int = 1) -> str:
    """``MAE / bias`` of the errors ``d``; seconds get two decimals (``digits``): tempo limits
    are tenths of a second, so a rounded 0.15 would widen the borderline band by a third."""
    return f"{np.abs(d).mean():.{digits}f} / {d.mean():+.{digits}f}" if d.size else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=None, help="default: all")
    parser.add_argument("--views", nargs="+", default=["front", "oblique", "side"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--append", action="store_true", help="write its section of RESULTS.md")
    args = parser.parse_args()
    from formcheck.synth import PRESETS

    names = args.presets or list(PRESETS)
    size = tuple(int(v) for v in args.size.split("x"))
    t0 = time.perf_counter()
    errs: dict[tuple[str, str], list] = defaultdict(list)
    perfect: dict[tuple[str, str], list] = defaultdict(list)
    per_rep: dict[tuple[str, str], list] = defaultdict(list)
    judged: dict[tuple[str, str], list] = defaultdict(list)  # (rule, view) -> value - truth's
    units: dict[str, str] = {}
    counts = defaultdict(lambda: np.zeros(6, int))  # rule -> TP FP FN TN not_judged borderline
    false_alarms: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rep_lines, detected = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for view in args.views:
                for seed in args.seeds:
                    r = run_clip(name, view, seed, args.reps, size, Path(tmp))
                    detected.append(r["detected"])
                    for m, d in r["errors"].items():
                        errs[m, view].append(d)
                    for m, d in r["perfect"].items():
                        perfect[m, view].append(d)
                    for k in (
                        "peak_error",
                        "lockout_error",
                        "fppa_bottom_error",
                        "start_frames",
                        "bottom_frames",
                        "end_frames",
                        "descent_error",
                        "ascent_error",
                    ):
                        if k in r:
                            per_rep[k, view].append(np.asarray(r[k], float))
                    units.update(zip(r["rule_names"], r["rule_units"], strict=True))
                    for rule, d in r.get("rule_errors", {}).items():
                        judged[rule, view].append(np.asarray(d, float))
                    ok = r["reps_found"] == r["reps_true"]
                    rep_lines.append((name, view, seed, r["reps_found"], r["reps_true"], ok))
                    for k, rule in enumerate(r["rule_names"]):
                        fault = rule in FAULT_RULE.get(name, ())
                        for status in r["status"][
                            :, k
                        ]:  # SetScore codes: 0 not judged, 1 pass, 2 fail, 3 borderline
                            slot = (
                                4
                                if status == 0
                                else 5
                                if status == 3
                                else {(True, 2): 0, (False, 2): 1, (True, 1): 2, (False, 1): 3}[
                                    fault, int(status)
                                ]
                            )
                            counts[rule][slot] += 1
                            if slot == 1:
                                false_alarms[rule][f"{name} {view}"] += 1
                    errors = ", ".join(f"{m} {_fmt(d)}" for m, d in r["errors"].items() if d.size)
                    if r.get("fppa_bottom_error") is not None and r["fppa_bottom_error"].size:
                        errors += f", knee deviation at the bottom {_fmt(r['fppa_bottom_error'])}"
                    if "knees_over_feet" in r["values"]:
                        errors += ", knees_over_feet " + " ".join(
                            f"{x:.1f}" for x in r["values"]["knees_over_feet"]
                        )
                    print(
                        f"{name} {view} seed {seed}: detected {100 * r['detected']:.1f} %, reps "
                        f"{r['reps_found']}/{r['reps_true']}, {errors}",
                        flush=True,
                    )
    seconds = time.perf_counter() - t0

    views = args.views
    lines = [
        "| metric | unit | "
        + " | ".join(f"{v}: MAE / bias (perfect landmarks)" for v in views)
        + " |",
        "| --- | --- |" + " --- |" * len(views),
    ]
    for name, _, unit in PAIRS:
        cells = []
        for v in views:
            d = np.concatenate(errs[name, v]) if errs[name, v] else np.zeros(0)
            p = np.concatenate(perfect[name, v]) if perfect[name, v] else np.zeros(0)
            cells.append(f"{_fmt(d)} ({_fmt(p)}) n={d.size}" if d.size else f"- ({_fmt(p)})")
        lines.append(f"| `{name}` | {unit} | " + " | ".join(cells) + " |")
    for key, label in REP_ROWS:
        cells = []
        for v in views:
            d = np.concatenate(per_rep[key, v]) if per_rep[key, v] else np.zeros(0)
            digits = 2 if label.endswith("(s)") else 1
            cells.append(f"{_fmt(d, digits)} n={d.size}" if d.size else "-")
        lines.append(f"| {label} | | " + " | ".join(cells) + " |")
    metric_table = "\n".join(lines)
    judged_lines = [
        "| judged value | unit | " + " | ".join(f"{v}: MAE / bias" for v in views) + " |",
        "| --- | --- |" + " --- |" * len(views),
    ]
    for rule in dict.fromkeys(rule for rule, _ in judged):
        cells = []
        for v in views:
            d = np.concatenate(judged[rule, v]) if judged[rule, v] else np.zeros(0)
            d = d[np.isfinite(d)]
            digits = 2 if units[rule] == "s" else 1  # times to 0.01 s, as the rep rows
            cells.append(f"{_fmt(d, digits)} n={d.size}" if d.size else "-")
        judged_lines.append(f"| `rule.{rule}` | {units[rule]} | " + " | ".join(cells) + " |")
    judged_table = "\n".join(judged_lines)
    exact = sum(ok for *_, ok in rep_lines)
    wrong = [f"{n} {v} seed {s}: {f}/{t}" for n, v, s, f, t, ok in rep_lines if not ok]
    rep_text = f"repetition count exact on {exact} of {len(rep_lines)} clips" + (
        f" (wrong: {'; '.join(wrong)})" if wrong else ""
    )
    fault_lines = [
        "| rule | TP | FP | FN | TN | not judged | borderline | precision | recall |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule, (tp, fp, fn, tn, nj, bl) in counts.items():
        prec = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        rec = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        fault_lines.append(
            f"| `{rule}` | {tp} | {fp} | {fn} | {tn} | {nj} | {bl} | {prec} | {rec} |"
        )
    fault_table = "\n".join(fault_lines)
    if false_alarms:
        fault_table += "\n\nFalse positives by clip: " + "; ".join(
            f"`{rule}` " + ", ".join(f"{clip} x{n}" for clip, n in sorted(clips.items()))
            for rule, clips in false_alarms.items()
        )
    summary = (
        f"{len(rep_lines)} clips, person detected on {100 * np.mean(detected):.2f} % of frames "
        f"(worst clip {100 * np.min(detected):.1f} %); {rep_text}."
    )
    print(metric_table, judged_table, fault_table, summary, sep="\n\n")
    if args.append:
        cmd = "python benchmarks/bench_accuracy.py " + " ".join(sys.argv[1:])
        text = (
            f"\n{SECTION}\n\n`{cmd.strip()}`: presets "
            f"{', '.join(names)}; views {', '.join(views)}; seeds {args.seeds} (each seed another "
            f"look of `synth.look.VARIANTS`, rep jitter 0.5, noise 1.0); {args.reps} reps per "
            f"clip; {args.size} at 30 fps, H.264 crf 30; full pipeline on the file (pose landmarks "
            f"of the 3-rep 640x360 clips cached in benchmarks/.cache/synth, shared with "
            f"bench_reps.py). {platform.python_version()}, {platform.machine()}, "
            f"{seconds:.0f} s.\n\n{summary}\n\n"
            f"MAE / bias = mean |measured - true| / mean (measured - true) over the frames the "
            f"metric marks valid, both sides pooled; in brackets the same for metrics computed "
            f"from perfect landmarks (the truth's joints), which shows definition differences "
            f"apart from tracking error. Targets: knee flexion <= 5 deg side view, FPPA <= 4 deg "
            f"front view, foot progression <= 6 deg.\n\n{metric_table}\n\nThe value each rule "
            f"judges, per rep and view, against the same rule judging the truth (perfect "
            f"landmarks with the truth's angles in place of the metrics above, over the true "
            f"reps), where both judged it: the error of the number the report shows beside the "
            f"limit (`rule.<name>` in `rules/measurement_error.toml`).\n\n"
            f"{judged_table}\n\nFault detection per "
            f"judged rep (a rep of a faulty preset is a positive for that preset's rule only):\n\n"
            f"{fault_table}\n"
        )
        write_section(SECTION, text.lstrip("\n"), ROOT / "benchmarks" / "RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
