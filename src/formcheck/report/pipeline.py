"""The whole ``analyze`` run: video -> pose -> metrics -> reps -> scores -> report folder.

`run` is what ``formcheck analyze`` calls; it returns an `AnalyzeResult` with the exit code,
the report dict and how long each stage took (seconds), which the benchmark reads.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.analysis import ANALYSED, NO_PERSON, Analysis
from ..core.metrics import KNEE_BEND
from ..core.ruleset import RuleSet
from ..core.scoring import RuleResult
from ..core.sequence import PoseSequence
from ..errors import InputError
from .files import ANNOTATED_MP4, FRAMES_CSV, LANDMARKS_NPZ, REPORT_HTML, REPORT_JSON, REPS_CSV

if TYPE_CHECKING:
    from ..media.annotate import Overlay

log = logging.getLogger(__name__)

#: Longest side of annotated.mp4 in pixels (phones and browsers play it smoothly, files stay small).
ANNOTATED_SIZE = 1280
#: How long a rep's cue stays on screen after the rep ends, seconds.
CUE_HOLD_S = 1.5


@dataclass(frozen=True)
class AnalyzeOptions:
    """What to analyse and where to write (see ``formcheck analyze --help``)."""

    video: Path
    outdir: Path
    rules: str | Path | None = None  # a rule file or a shipped set's name (`resolve_rules`)
    model: Path | None = None
    write_video: bool = True
    blur_faces: bool = False
    landmarks: Path | None = None
    progress: bool = True
    #: Write the video's absolute path into the report (default: its file name only).
    full_paths: bool = False
    exports: tuple[str, ...] = ()  # formats of `formcheck.export.EXPORT_FILES`
    #: Processes running the pose model on one video (None: every core this process may use;
    #: `formcheck.media.parallel`).
    jobs: int | None = None


@dataclass
class AnalyzeResult:
    """Outcome of `run`: exit code (0, or 2 for no person / no squat), the `Analysis`, the report
    dict serialised from it, per-stage seconds."""

    exit_code: int
    report: dict[str, Any]
    outdir: Path
    analysis: Analysis | None = None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: JPEG still of each rep's bottom frame by rep index (1-based), as embedded in the page.
    stills: dict[int, bytes] = field(default_factory=dict)


#: Modules the stages after the pose model import (slow to load: seconds on a busy 2-core machine),
#: after the one the model needs first: importing them while mediapipe is being imported (a
#: second, GIL-bound import) delayed the first frame into the model (benchmarks/RESULTS.md,
#: "annotated.mp4 and start-up").
PRELOAD = (
    "formcheck.media.pose",
    "scipy.signal",
    "matplotlib.figure",
    "matplotlib.backends.backend_svg",
)


def _preload() -> threading.Thread:
    """Import `PRELOAD` in a background thread, in order: the pose module (mediapipe) at once,
    which the model is about to import anyway (the main thread waits on its import lock for it
    meanwhile, while starting the workers), then the later stages' modules, overlapping the
    pose model (which releases the GIL), so those stages start warm. An import that fails here
    fails again, with its message, where it is needed."""

    def work() -> None:
        for name in PRELOAD:
            with contextlib.suppress(Exception):
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
            f"{cache}: landmarks cover {len(seq)} frames, "
            f"expected about {frames} like the video given"
        )


def _mark_label(res: RuleResult) -> str:
    """The measured value as drawn on a still (ASCII for OpenCV's fonts)."""
    from .html import format_value

    return format_value(res.value, res.unit).replace("°", " deg").replace("×", "x")


def _still_marks(analysis: Analysis, i: int) -> list[tuple[str, str, bool]]:
    """What to draw on rep ``i``'s (0-based) bottom still: each failing rule's metric (the worse
    side of a pair), or the knee bend when everything passed; labels name the side and measure."""
    from ..media.annotate import metric_label

    metrics, rep = analysis.metrics, analysis.scores.rep(i)
    marks = []
    for rule in analysis.rules.rules:
        res = rep.results[rule.name]
        if res.status != "fail":
            continue
        metric = res.metric
        checks = [c for c in rule.checks if c.metric == metric]
        if checks and all(c.phase == "top" or c.sides == "abs_diff" for c in checks):
            continue  # judged at the standing points, or a left-right difference: no angle to draw
        if f"{metric}_left" in metrics and f"{metric}_right" in metrics:
            # the side whose value decided the rule
            sides = [res.left, res.right]
            gaps = [abs(v - res.value) if v is not None else np.inf for v in sides]  # type: ignore[operator]
            metric = f"{metric}_{'left' if gaps[0] <= gaps[1] else 'right'}"
        if all(m[0] != metric for m in marks):
            marks.append((metric, f"{metric_label(metric)} {_mark_label(res)}", True))
    if not marks:
        knees = [f"{KNEE_BEND}_{s}" for s in ("left", "right") if f"{KNEE_BEND}_{s}" in metrics]
        values = {k: metrics[k].masked[rep.bottom] for k in knees}
        values = {k: v for k, v in values.items() if np.isfinite(v)}
        if values:
            best = max(values, key=values.get)  # type: ignore[arg-type]
            marks.append((best, f"{metric_label(best)} {values[best]:.0f} deg", False))
    return marks[:2]


def video_overlay(
    analysis: Analysis, faces: np.ndarray | None = None
) -> tuple[Overlay, tuple[int, int]]:
    """What annotated.mp4 shows on each frame (a `formcheck.media.annotate.Overlay`, pixels scaled
    to the video's size) and that size (width, height): the source's, its longest side at most
    `ANNOTATED_SIZE`. ``faces`` ``(T, 5)`` head ellipses at the source's size, to blur."""
    from ..core.metrics import shown_knee_bend
    from ..media.annotate import Overlay, rep_tracks

    seq, reps = analysis.sequence, analysis.reps
    rules = analysis.rules.rules
    cue_texts = list(dict.fromkeys(r.cue for r in rules))
    rule_cue = {r.name: cue_texts.index(r.cue) for r in rules}
    worst = analysis.worst_failed()
    rep_cue = np.array([rule_cue[n] if n else -1 for n in worst], dtype=np.int64)
    spans = np.column_stack([reps.start, reps.end]).astype(np.int64).reshape(-1, 2)
    rep_no, cue = rep_tracks(len(seq), spans, rep_cue, hold=round(CUE_HOLD_S * seq.fps))
    w, h = seq.image_size
    scale = min(1.0, ANNOTATED_SIZE / max(w, h))
    out_size = (max(2, round(w * scale)), max(2, round(h * scale)))
    scaled_faces = None if faces is None else faces * np.array([scale, scale, scale, scale, 1.0])
    overlay = Overlay(
        pixels=seq.pixels * scale,
        knee_angle=shown_knee_bend(analysis.metrics),
        rep=rep_no,
        n_reps=len(reps),
        cue=cue,
        cues=tuple(cue_texts),
        faces=scaled_faces,
    )
    return overlay, out_size


def _video_segments(seq: PoseSequence, jobs: int | None) -> list[Any]:
    """The time segments annotated.mp4 is written in (`formcheck.report.annotated`)."""
    from . import annotated

    duration = float(seq.timestamps[-1]) if len(seq) else 0.0
    return annotated.segments_for(duration, seq.fps, jobs)


def _annotate_and_stills(
    options: AnalyzeOptions,
    analysis: Analysis,
    stage: Path,
    warnings: list[str],
    segments: list[Any],
    pool: Any = None,
) -> dict[int, bytes]:
    """Write annotated.mp4 (if asked) and return the JPEG still of each rep's bottom frame.

    More than one of ``segments`` (`_video_segments`) writes the video in those time segments
    on as many cores (`formcheck.report.annotated`), which places frames by the sequence's
    timestamps: only for landmarks timed by this video's container; ``pool`` workers already
    started for them (`formcheck.report.annotated.started_workers`)."""
    from ..media.annotate import Annotator, face_ellipses
    from ..media.video import iter_frames_at
    from .media import rep_still, resize_longest

    seq, reps = analysis.sequence, analysis.reps
    pixels = seq.pixels
    faces = face_ellipses(pixels) if options.blur_faces else None
    if options.blur_faces and faces is None:
        warnings.append(
            "--blur-faces: no face landmarks were found on any frame, so nothing was blurred"
        )
    bottoms = {int(b): k for k, b in enumerate(reps.bottom)}
    stills: dict[int, bytes] = {}

    def still(i: int, frame: np.ndarray) -> None:
        k = bottoms[i]
        marks = _still_marks(analysis, k)
        stills[k + 1] = rep_still(frame, pixels[i], marks, None if faces is None else faces[i])

    if not options.write_video:
        times = {float(seq.timestamps[i]): i for i in bottoms}
        for t, frame in iter_frames_at(options.video, list(times)):  # one frame held at a time
            still(times[t], frame)
        return stills

    from ..media.video import read_frames
    from ..media.videowriter import VideoWriter

    overlay, out_size = video_overlay(analysis, faces)
    from . import annotated

    if len(segments) > 1:
        specs = {
            i: annotated.StillSpec(
                k + 1,
                tuple(_still_marks(analysis, k)),
                pixels[i],
                None if faces is None else faces[i],
            )
            for i, k in bottoms.items()
        }
        job = annotated.VideoJob(
            options.video, overlay, seq.timestamps, seq.fps, out_size, ANNOTATED_SIZE, specs
        )
        return annotated.write(job, stage / ANNOTATED_MP4, segments, pool)
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


#: Below this share of the frames with a person on which a knee angle is known
#: (`Analysis.legs_seen`), a video without a squat is said to show too little of the legs: on
#: more than half of the frames no rep could have been seen.
LEGS_SEEN_MIN = 0.5


def outcome_message(analysis: Analysis, name: str) -> str:
    """One sentence on the outcome for the video file ``name`` (``report.json``'s ``message``,
    and the batch digest's)."""
    if analysis.status == NO_PERSON:
        return f"No person was found in {name}. Film the whole body, head to feet, in good light."
    if analysis.status != ANALYSED:
        seen = analysis.rejected.summary()
        legs = analysis.legs_seen
        return (
            f"A person was found in {name}, but no squat repetition"
            + (f" (seen instead: {seen})" if seen else "")
            + (
                f"; their legs were not seen on {100 * (1 - legs):.0f}% of the frames (knees or "
                "ankles outside the picture or hidden)"
                if legs < LEGS_SEEN_MIN
                else ""
            )
            + ". Film a set of full squats with hips, knees and feet in the picture."
        )
    n = len(analysis.reps)
    return f"{n} squat repetition{'s' if n != 1 else ''} analysed."


def run(
    options: AnalyzeOptions,
    console: Any = None,
    *,
    sequence: PoseSequence | None = None,
    ruleset: RuleSet | None = None,
) -> AnalyzeResult:
    """Analyse ``options.video`` and write the report folder; see the module docstring.

    ``sequence`` (the video's poses, e.g. a live session's) is used instead of running the pose
    model or reading ``options.landmarks``; ``ruleset`` instead of loading ``options.rules``.
    """
    from ..core.analysis import analyze
    from ..core.ruleset import load_rules
    from ..media.cache import check_video, load, save
    from ..media.video import check_size, probe
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
    check_size(info)
    rules = ruleset if ruleset is not None else load_rules(options.rules)
    video_clock = True  # the landmarks' timestamps are this video's container times
    if sequence is not None:
        video_clock = False  # e.g. a live session's capture times
        seq = sequence
        _check_cache_matches(seq, options.video, info.width, info.height, info.frame_count)
        timings["pose"] = 0.0
    elif options.landmarks is not None:
        seq = load(options.landmarks)
        if not check_video(seq, options.landmarks, options.video):  # no fingerprint: compare
            video_clock = False
            _check_cache_matches(seq, options.landmarks, info.width, info.height, info.frame_count)
        timings["pose"] = 0.0
    else:
        from ..media.model import resolve_model

        model_file = resolve_model(options.model)
        t = time.perf_counter()
        preload = _preload()
        from ..media.parallel import extract

        seq = extract(options.video, model=model_file, progress=options.progress, jobs=options.jobs)
        log.debug("last frame out of the model (%.3f CPU s)", time.process_time())
        preload.join()
        timings["pose"] = time.perf_counter() - t
    timings["setup"] = time.perf_counter() - t0 - timings["pose"]
    t = time.perf_counter()
    analysis = analyze(seq, rules)
    timings["core"] = time.perf_counter() - t

    t = time.perf_counter()
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
        analysis,
        video_path=options.video.resolve() if options.full_paths else options.video.name,
        width=info.width,
        height=info.height,
        message=outcome_message(analysis, options.video.name),
        files=files,
    )
    validate(report)
    owned = (REPORT_HTML, REPORT_JSON, FRAMES_CSV, REPS_CSV, ANNOTATED_MP4, LANDMARKS_NPZ)
    owned += tuple(EXPORT_FILES.values())
    video_jobs = options.jobs if video_clock else 1
    with staged_outputs(options.outdir, owned=owned) as stage, contextlib.ExitStack() as workers:
        video_pool = None
        segments = _video_segments(seq, video_jobs) if options.write_video else []
        if len(segments) > 1:
            from .annotated import started_workers

            video_pool = workers.enter_context(started_workers(len(segments) - 1))
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        (stage / REPORT_JSON).write_text(text, encoding="utf-8")
        reps = analysis.reps
        spans = np.column_stack([reps.start, reps.end]).astype(np.int64).reshape(-1, 2)
        (stage / FRAMES_CSV).write_text(
            csv_tables.frames_csv(analysis.metrics, spans, seq.detected), encoding="utf-8"
        )
        (stage / REPS_CSV).write_text(csv_tables.reps_csv(analysis.scores), encoding="utf-8")
        save(seq, stage / LANDMARKS_NPZ, video=options.video)
        plots = standard_plots(analysis)
        write_exports(stage, options.exports, seq, analysis.metrics, analysis.view)
        timings["report"] = time.perf_counter() - t
        t = time.perf_counter()
        stills = _annotate_and_stills(options, analysis, stage, warnings, segments, video_pool)
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
    log.debug("report written (%.3f CPU s)", time.process_time())
    timings["total"] = time.perf_counter() - t0
    if console is not None:
        print_summary(console, report, options.outdir, warnings)
    return AnalyzeResult(
        exit_code=0 if analysis.status == ANALYSED else 2,
        report=report,
        outdir=options.outdir,
        analysis=analysis,
        timings=timings,
        warnings=warnings,
        stills=stills,
    )


def print_summary(console: Any, report: dict[str, Any], outdir: Path, warnings: list[str]) -> None:
    """A short rich table of the reps, the verdict and where the report is."""
    from rich.markup import escape
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
            near = ", ".join(
                titles.get(n, n) for n, r in rep["rules"].items() if r["status"] == "borderline"
            )
            score = "-" if rep["score"] is None else f"{rep['score']:.0f}"
            table.add_row(
                str(rep["index"]),
                f"{rep['start_s']:.1f}-{rep['end_s']:.1f}",
                score,
                (failed or "[green]none[/green]")
                + (f" [dim](borderline: {escape(near)})[/dim]" if near else ""),
            )
        console.print(table)
        score = "-" if s["score"] is None else f"{s['score']:.0f}/100"
        console.print(f"[bold]{score}[/bold]  {s['verdict']}")
        for k, cue in enumerate(s["top_cues"], 1):
            console.print(f"  {k}. {cue}")
        if s.get("too_close"):
            names = ", ".join(item["title"] for item in s["too_close"])
            console.print(
                f"[dim]Too close to call (every rep within the measurement error of the limit):"
                f" {names}.[/dim]"
            )
        if s["not_judged"]:
            names = ", ".join(item["title"] for item in s["not_judged"])
            console.print(
                f"[dim]Not judged from the {report['view']} view: {names} (see the report).[/dim]"
            )
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(f"report: {outdir / REPORT_HTML}")
