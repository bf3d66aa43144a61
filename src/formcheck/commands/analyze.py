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
        Path, typer.Argument(help="Video of a set of squats (mp4, mov, ...).", show_default=False)
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
    full_paths: Annotated[
        bool,
        typer.Option(
            "--full-paths",
            help="Write the video's absolute path into the report. Default: its file name "
            "only (folder names are often patients' names).",
        ),
    ] = False,
    export: ExportOption = None,
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

    from ..export import parse_exports
    from ..report.outputs import check_outdir
    from ..report.pipeline import AnalyzeOptions, run

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
    result = run(options, console=Console(highlight=False))
    if result.exit_code:
        typer.echo(
            f"formcheck: {result.report['message']} (report written to {result.outdir})", err=True
        )
        raise typer.Exit(code=result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
