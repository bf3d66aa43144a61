"""The whole ``analyze`` run: video -> pose -> metrics -> reps -> scores -> report folder.

`run` is what ``formcheck analyze`` calls; it returns an `AnalyzeResult` with the exit code,
the report dict and how long each stage took (seconds), which the benchmark reads.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.sequence import PoseSequence
from ..errors import InputError

#: Names of the files written into OUTDIR.
REPORT_HTML, REPORT_JSON, FRAMES_CSV, REPS_CSV = (
    "report.html",
    "report.json",
    "frames.csv",
    "reps.csv",
)
ANNOTATED_MP4, LANDMARKS_NPZ = "annotated.mp4", "landmarks.npz"
#: Longest side of annotated.mp4 in pixels (phones and browsers play it smoothly, files stay small).
ANNOTATED_SIZE = 1280
#: How long a rep's cue stays on screen after the rep ends, seconds.
CUE_HOLD_S = 1.5


@dataclass(frozen=True)
class AnalyzeOptions:
    """What to analyse and where to write (see ``formcheck analyze --help``)."""

    video: Path
    outdir: Path
    rules: Path | None = None
    model: Path | None = None
    write_video: bool = True
    blur_faces: bool = False
    landmarks: Path | None = None
    progress: bool = True
    exports: tuple[str, ...] = ()  # formats of `formcheck.export.EXPORT_FILES`


@dataclass
class AnalyzeResult:
    """Outcome of `run`: exit code (0, or 2 for no person / no squat), report, per-stage seconds."""

    exit_code: int
    report: dict[str, Any]
    outdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


#: Modules the stages after the pose model import (slow to load: seconds on a busy 2-core machine).
PRELOAD = ("scipy.signal", "matplotlib.figure", "matplotlib.backends.backend_svg")


def _preload() -> threading.Thread:
    """Import `PRELOAD` in a background thread, overlapping the pose model (which releases the GIL),
    so the stages after it start warm."""

    def work() -> None:
        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)

    thread = threading.Thread(target=work, name="formcheck-preload", daemon=True)
    thread.start()
    return thread


def _check_cache_matches(
    seq: PoseSequence, cache: Path, width: int, height: int, frames: int
) -> None:
    if tuple(seq.image_size) != (width, height):
        raise InputError(
            f"{cache}: landmarks are for a {seq.image_size[0]}x{seq.image_size[1]} video, "
            f"expected {width}x{height} like the video given"
        )
    if abs(len(seq) - frames) > max(2, 0.02 * frames):
        raise InputError(
            f"{cache}: landmarks cover {len(seq)} frames, expected about {frames} like the video given"
        )


def _mark_label(res: dict[str, Any]) -> str:
    """The measured value as drawn on a still (ASCII for OpenCV's fonts)."""
    from .html import format_value

    return format_value(res["value"], res["unit"]).replace("°", " deg").replace("×", "x")


def _still_marks(
    rep: dict[str, Any], rules: list[dict[str, Any]], metrics: Any, view: str
) -> list[tuple[str, str, bool]]:
    """What to draw on a rep's bottom still: each failing rule's metric (the worse side of a
    pair), or the knee bend when everything passed; labels name the side and the measure."""
    from ..media.annotate import metric_label

    by_name = {r["name"]: r for r in rules}
    marks = []
    for name, res in rep["rules"].items():
        if res["status"] != "fail" or name not in by_name:
            continue
        metric = res.get("metric") or by_name[name]["metric"]
        checks = [c for c in by_name[name].get("checks", []) if c.get("metric") == metric]
        if checks and all(c.get("phase") == "top" or c.get("sides") == "abs_diff" for c in checks):
            continue  # judged at the standing points, or a left-right difference: no angle to draw
        if f"{metric}_left" in metrics and f"{metric}_right" in metrics:
            # the side whose value decided the rule
            sides = [res.get(s) for s in ("left", "right")]
            gaps = [abs(v - res["value"]) if v is not None else np.inf for v in sides]
            metric = f"{metric}_{'left' if gaps[0] <= gaps[1] else 'right'}"
        if all(m[0] != metric for m in marks):
            marks.append((metric, f"{metric_label(metric)} {_mark_label(res)}", True))
    if not marks:
        from .plots import knee_angle

        base = knee_angle(rules, view, metrics)
        knees = [f"{base}_{s}" for s in ("left", "right") if f"{base}_{s}" in metrics]
        values = {k: metrics[k].masked[rep["bottom_frame"]] for k in knees}
        values = {k: v for k, v in values.items() if np.isfinite(v)}
        if values:
            best = max(values, key=values.get)  # type: ignore[arg-type]
            marks.append((best, f"{metric_label(best)} {values[best]:.0f} deg", False))
    return marks[:2]


def _annotate_and_stills(
    options: AnalyzeOptions,
    seq: PoseSequence,
    metrics: Any,
    report: dict[str, Any],
    stage: Path,
    warnings: list[str],
) -> dict[int, bytes]:
    """Write annotated.mp4 (if asked) and return the JPEG still of each rep's bottom frame."""
    from ..media.annotate import Annotator, Overlay, face_ellipses, rep_tracks
    from ..media.video import frames_at
    from .media import rep_still, resize_longest, shown_knee_angle

    reps = report["reps"]
    pixels = seq.pixels
    faces = face_ellipses(pixels) if options.blur_faces else None
    if options.blur_faces and faces is None:
        warnings.append(
            "--blur-faces: no face landmarks were found on any frame, so nothing was blurred"
        )
    bottoms = {rep["bottom_frame"]: rep for rep in reps}
    stills: dict[int, bytes] = {}

    def still(i: int, frame: np.ndarray) -> None:
        rep = bottoms[i]
        marks = _still_marks(rep, report["rules"], metrics, report["view"])
        stills[rep["index"]] = rep_still(
            frame, pixels[i], marks, None if faces is None else faces[i]
        )

    if not options.write_video:
        times = {float(seq.timestamps[i]): i for i in bottoms}
        for t, frame in frames_at(options.video, list(times)).items():
            still(times[t], frame)
        return stills

    from ..media.video import read_frames
    from ..media.videowriter import VideoWriter

    cue_texts = [c for c in dict.fromkeys(r["cue"] for r in report["rules"])]
    rule_cue = {r["name"]: cue_texts.index(r["cue"]) for r in report["rules"]}
    weight = {r["name"]: float(r.get("weight", 1.0)) for r in report["rules"]}
    worst = [
        max(
            (n for n, res in rep["rules"].items() if res["status"] == "fail" and n in rule_cue),
            key=lambda n: weight[n],
            default=None,
        )
        for rep in reps
    ]
    rep_cue = np.array([rule_cue[n] if n else -1 for n in worst], dtype=np.int64)
    spans = np.array(
        [[rep["start_frame"], rep["end_frame"]] for rep in reps], dtype=np.int64
    ).reshape(-1, 2)
    rep_no, cue = rep_tracks(len(seq), spans, rep_cue, hold=round(CUE_HOLD_S * seq.fps))
    knee = shown_knee_angle(metrics, report["rules"], report["view"])
    w, h = seq.image_size
    scale = min(1.0, ANNOTATED_SIZE / max(w, h))
    out_size = (max(2, round(w * scale)), max(2, round(h * scale)))
    scaled_faces = None if faces is None else faces * np.array([scale, scale, scale, scale, 1.0])
    overlay = Overlay(
        pixels=pixels * scale,
        knee_angle=knee,
        rep=rep_no,
        n_reps=len(reps),
        cue=cue,
        cues=tuple(cue_texts),
        faces=scaled_faces,
    )
    annotator = Annotator(overlay)
    n = len(seq)
    with VideoWriter(stage / ANNOTATED_MP4, fps=seq.fps, size=out_size) as writer:
        for i, (_, rgb) in enumerate(read_frames(options.video, prefetch=8)):
            if i >= n:  # the landmark cache covers fewer frames than the video
                break
            if i in bottoms:
                still(i, rgb)
            frame, _ = resize_longest(rgb, ANNOTATED_SIZE)
            writer.write(annotator.annotate(frame, i))
    return stills


def run(options: AnalyzeOptions, console: Any = None) -> AnalyzeResult:
    """Analyse ``options.video`` and write the report folder; see the module docstring."""
    from ..core.metrics import compute_metrics
    from ..core.reps import find_reps
    from ..core.ruleset import load_rules
    from ..core.scoring import score_reps
    from ..media.cache import load, save
    from ..media.video import probe
    from . import csv as csv_tables
    from .build import build_report
    from .html import render_html
    from .outputs import staged_outputs
    from .plots import standard_plots
    from .schema import validate

    timings: dict[str, float] = {}
    warnings: list[str] = []
    t0 = time.perf_counter()
    info = probe(options.video)
    ruleset = load_rules(options.rules)
    if options.landmarks is not None:
        seq = load(options.landmarks)
        _check_cache_matches(seq, options.landmarks, info.width, info.height, info.frame_count)
        timings["pose"] = 0.0
    else:
        from ..media.model import resolve_model

        model_file = resolve_model(options.model)
        t = time.perf_counter()
        preload = _preload()
        from ..media.pose import extract  # mediapipe

        seq = extract(options.video, model=model_file, progress=options.progress)
        preload.join()
        timings["pose"] = time.perf_counter() - t
    timings["setup"] = time.perf_counter() - t0 - timings["pose"]
    t = time.perf_counter()
    metrics = compute_metrics(seq)
    reps = find_reps(metrics)
    scored = score_reps(metrics, reps, ruleset).to_dict()
    timings["core"] = time.perf_counter() - t

    t = time.perf_counter()
    name = options.video.name
    if not seq.detected.any():
        status = "no_person"
        message = (
            f"No person was found in {name}. Film the whole body, head to feet, in good light."
        )
    elif len(reps) == 0:
        status = "no_squat"
        message = (
            f"A person was found in {name}, but no squat repetition. Film a set of full squats "
            "with hips, knees and feet in the picture."
        )
    else:
        plural = "s" if len(reps) != 1 else ""
        status, message = "analysed", f"{len(reps)} squat repetition{plural} analysed."
    files = {
        "report_html": REPORT_HTML,
        "frames_csv": FRAMES_CSV,
        "reps_csv": REPS_CSV,
        "landmarks": LANDMARKS_NPZ,
        "annotated_video": ANNOTATED_MP4 if options.write_video else None,
    }
    from ..export import EXPORT_FILES, write_exports

    files.update({f"export_{f}": EXPORT_FILES[f] for f in options.exports})
    report = build_report(
        video_path=options.video,
        width=info.width,
        height=info.height,
        seq=seq,
        metrics=metrics,
        scored=scored,
        ruleset=ruleset,
        status=status,
        message=message,
        files=files,
    )
    validate(report)
    owned = (REPORT_HTML, REPORT_JSON, FRAMES_CSV, REPS_CSV, ANNOTATED_MP4, LANDMARKS_NPZ)
    owned += tuple(EXPORT_FILES.values())
    with staged_outputs(options.outdir, owned=owned) as stage:
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        (stage / REPORT_JSON).write_text(text, encoding="utf-8")
        spans = np.array(
            [[r["start_frame"], r["end_frame"]] for r in report["reps"]], dtype=np.int64
        )
        (stage / FRAMES_CSV).write_text(
            csv_tables.frames_csv(metrics, spans, seq.detected), encoding="utf-8"
        )
        (stage / REPS_CSV).write_text(csv_tables.reps_csv(report), encoding="utf-8")
        save(seq, stage / LANDMARKS_NPZ)
        write_exports(stage, options.exports, seq, metrics, report["rules"], report["view"])
        plots = standard_plots(metrics, report)
        timings["report"] = time.perf_counter() - t
        t = time.perf_counter()
        stills = _annotate_and_stills(options, seq, metrics, report, stage, warnings)
        timings["video" if options.write_video else "stills"] = time.perf_counter() - t
        t = time.perf_counter()
        page = render_html(
            report,
            plots=plots,
            stills=stills,
            video_href=ANNOTATED_MP4 if options.write_video else None,
        )
        (stage / REPORT_HTML).write_text(page, encoding="utf-8")
        timings["report"] += time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    if console is not None:
        print_summary(console, report, options.outdir, warnings)
    return AnalyzeResult(
        exit_code=0 if status == "analysed" else 2,
        report=report,
        outdir=options.outdir,
        timings=timings,
        warnings=warnings,
    )


def print_summary(console: Any, report: dict[str, Any], outdir: Path, warnings: list[str]) -> None:
    """A short rich table of the reps, the verdict and where the report is."""
    from rich.table import Table

    s = report["summary"]
    if report["reps"]:
        titles = {r["name"]: r["title"] for r in report["rules"]}
        table = Table(
            title=f"{report['video']['path']} ({report['view']} view)", title_justify="left"
        )
        table.add_column("rep", justify="right")
        table.add_column("time (s)", justify="right")
        table.add_column("score", justify="right")
        table.add_column("failed checks")
        for rep in report["reps"]:
            failed = ", ".join(
                titles.get(n, n) for n, r in rep["rules"].items() if r["status"] == "fail"
            )
            score = "-" if rep["score"] is None else f"{rep['score']:.0f}"
            table.add_row(
                str(rep["index"]),
                f"{rep['start_s']:.1f}-{rep['end_s']:.1f}",
                score,
                failed or "[green]none[/green]",
            )
        console.print(table)
        score = "-" if s["score"] is None else f"{s['score']:.0f}/100"
        console.print(f"[bold]{score}[/bold]  {s['verdict']}")
        for k, cue in enumerate(s["top_cues"], 1):
            console.print(f"  {k}. {cue}")
        if s["not_judged"]:
            names = ", ".join(item["title"] for item in s["not_judged"])
            console.print(
                f"[dim]Not judged from the {report['view']} view: {names} (see the report).[/dim]"
            )
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(f"report: {outdir / REPORT_HTML}")
