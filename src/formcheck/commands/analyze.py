"""``formcheck analyze``: video -> pose -> metrics -> reps -> scores -> report folder.

Writes ``report.html``, ``report.json``, ``frames.csv``, ``reps.csv``, ``landmarks.npz`` and
(unless ``--no-video``) ``annotated.mp4`` into OUTDIR, all at once: everything is made in a
temporary folder beside OUTDIR and moved in only when all of it succeeded. Exit codes: 0
analysed, 1 bad input, 2 no person or no squat found (a report saying so is still written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import ExportOption, ModelOption, RulesOption


def default_outdir(video: Path) -> Path:
    """``<stem>_formcheck/`` beside the video."""
    return video.with_name(f"{video.stem}_formcheck")


def analyze(
    video: Annotated[
        list[Path],
        typer.Argument(
            help="Video of a set of squats (mp4, mov, ...); two or more videos of one person "
            "(e.g. FRONT.mp4 SIDE.mp4, any order) make one report judged from every camera.",
            show_default=False,
        ),
    ],
    outdir: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder for the report. Default: <stem>_formcheck/ beside VIDEO.",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    model: ModelOption = None,
    no_video: Annotated[
        bool, typer.Option("--no-video", help="Do not write annotated.mp4.")
    ] = False,
    blur_faces: Annotated[
        bool,
        typer.Option(
            "--blur-faces", help="Blur faces in annotated.mp4 and in the report's stills."
        ),
    ] = False,
    landmarks: Annotated[
        Path | None,
        typer.Option(
            "--landmarks",
            help="Landmark cache (.npz, e.g. landmarks.npz of an earlier analyze) "
            "to score without running the pose model.",
            show_default=False,
        ),
    ] = None,
    landmarks_each: Annotated[
        list[Path] | None,
        typer.Option(
            "--landmarks-each",
            help="Several videos: a landmark cache per video, in the order of the videos "
            "(repeat the option).",
            show_default=False,
        ),
    ] = None,
    full_paths: Annotated[
        bool,
        typer.Option(
            "--full-paths",
            help="Write the video's absolute path into the report. Default: its file name "
            "only (folder names are often patients' names).",
        ),
    ] = False,
    export: ExportOption = None,
    same_set: Annotated[
        bool | None,
        typer.Option(
            "--same-set/--separate-sets",
            help="Several videos: they film the same set at the same time, or separate sets "
            "one after the other. Default: decided from their movement.",
            show_default=False,
        ),
    ] = None,
    offset: Annotated[
        float | None,
        typer.Option(
            "--offset",
            help="Two videos of the same set: seconds the second started after the first "
            "(negative: before), when automatic synchronisation is not confident.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes running the pose model and drawing annotated.mp4, each on a time "
            "segment of the video. Default: one per CPU core. Short videos run in one.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Analyse a squat video: per-rep checks, scores and cues as an HTML report, JSON, CSV and a video."""
    from rich.console import Console

    from ..errors import InputError
    from ..export import parse_exports
    from ..report.outputs import check_outdir
    from ..report.pipeline import AnalyzeOptions, run

    videos, video = video, video[0]
    if len(videos) == 1 and (same_set is not None or offset is not None):
        raise InputError("--same-set, --separate-sets and --offset: expected two or more videos")
    if offset is not None and same_set is False:
        raise InputError("--offset: expected videos of the same set, not --separate-sets")
    if landmarks is not None and len(videos) > 1:
        raise InputError("--landmarks: give one cache per video with --landmarks-each")
    exports = parse_exports(export)
    outdir = outdir or default_outdir(video)
    check_outdir(outdir)  # an unusable OUTDIR is refused before the pose model starts
    options = AnalyzeOptions(
        video=video,
        outdir=outdir,
        rules=rules,
        model=model,
        write_video=not no_video,
        blur_faces=blur_faces,
        landmarks=landmarks,
        full_paths=full_paths,
        exports=exports,
        jobs=jobs,
    )
    if len(videos) > 1:
        from ..core.fusion import SAME_SET, SEPARATE_SETS
        from ..report.fused import run_fused

        mode = None if same_set is None else SAME_SET if same_set else SEPARATE_SETS
        run_fused(
            videos,
            options,
            mode=mode,
            offset_s=offset,
            landmarks=landmarks_each,
            console=Console(highlight=False),
        )
        return
    result = run(options, console=Console(highlight=False))
    if result.exit_code:
        typer.echo(
            f"formcheck: {result.report['message']} (report written to {result.outdir})", err=True
        )
        raise typer.Exit(code=result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
