"""``formcheck batch``: analyse a folder of videos (or a manifest) on this machine or a Dask cluster.

Exit codes: 0 every video analysed; 3 the batch finished but at least one video is not
(``failed``, ``no_person`` or ``no_squat`` rows in ``summary.csv``); 1 bad input to the
batch itself (no videos, malformed manifest, missing rules file); 130 interrupted
(run the same command again to finish: finished videos are skipped).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .options import ExportOption, RulesOption

if TYPE_CHECKING:
    from ..batch.discover import VideoEntry


def batch(
    input: Annotated[
        Path,
        typer.Argument(
            help="Folder searched recursively for videos (.mp4, .mov, .avi, .mkv, ... any case), "
            "or a manifest CSV with columns path, patient_id, session_date, view, notes.",
            show_default=False,
        ),
    ],
    outdir: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Output folder: summary.csv, index.html, batch-log.jsonl and "
            "videos/<name>-<sha256[:10]>/ with each video's analyze outputs.",
        ),
    ] = Path("formcheck-batch"),
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-j",
            min=1,
            help="Worker processes on this machine. Default: cores.",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on an existing Dask cluster, e.g. tcp://host:8786 (needs "
            "formcheck\\[cluster]; workers must see INPUT and OUTPUT at the same paths).",
            show_default=False,
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="Manifest CSV giving patient_id, session_date, view and notes of the "
            "videos in the INPUT folder (paths relative to INPUT).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    blur_faces: Annotated[
        bool, typer.Option("--blur-faces", help="Blur faces in annotated videos.")
    ] = False,
    no_video: Annotated[
        bool, typer.Option("--no-video", help="Skip annotated.mp4 (faster).")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")
    ] = True,
    export: ExportOption = None,
) -> None:
    """Analyse every video of a folder or manifest; write summary.csv and index.html. Resumable.

    Changing --rules re-scores every video from its landmark cache without running the pose model.
    """
    from ..batch.jobs import Settings
    from ..batch.run import run_batch
    from ..batch.summary import write_summary
    from ..core.ruleset import load_rules, resolve_rules
    from ..export import parse_exports
    from ..report.outputs import check_outdir

    exports = parse_exports(export)
    entries = _entries(input, outdir, manifest)
    check_outdir(outdir)
    if rules is not None:
        load_rules(str(rules))  # a bad rule file stops the batch before any video is touched
    rules_arg = None if rules is None else resolve_rules(rules).spec  # absolute path or set name
    settings = Settings(
        rules=rules_arg, blur_faces=blur_faces, make_video=not no_video, exports=exports
    )
    try:
        report = run_batch(
            entries, outdir, settings, workers=workers, scheduler=scheduler, progress=progress
        )
    except KeyboardInterrupt:
        from ..errors import Interrupted

        raise Interrupted(
            "interrupted; finished videos are kept: run the same command again to finish the rest"
        ) from None
    from ..batch.pairs import fuse_sessions

    outcomes, warnings = fuse_sessions(report.outcomes, outdir.resolve(), settings)
    for w in warnings:
        typer.echo(f"formcheck: warning: {w}", err=True)
    csv_path, html_path = write_summary(outdir.resolve(), outcomes)
    counts = ", ".join(
        f"{n} {status.replace('_', ' ')}" for status, n in sorted(report.counts.items())
    )
    n = len(report.outcomes)
    typer.echo(
        f"{n} video{'s' if n != 1 else ''}: {counts} ({report.ran} run, {report.skipped} already "
        f"done); see {html_path} and {csv_path}"
    )
    raise typer.Exit(report.exit_code)


def _entries(input: Path, outdir: Path, manifest: Path | None) -> list[VideoEntry]:
    from ..batch.discover import VIDEO_EXTENSIONS, discover_folder, read_manifest
    from ..errors import InputError

    if input.is_file():
        if manifest is not None:
            raise InputError(f"{input}: --manifest needs INPUT to be a folder, got a file")
        if input.suffix.lower() != ".csv":
            raise InputError(
                f"{input}: expected a folder of videos or a manifest .csv, got another file "
                "(use formcheck analyze for one video)"
            )
        return read_manifest(input)
    if not input.is_dir():
        raise InputError(
            f"{input}: expected a folder of videos or a manifest .csv, got nothing there"
        )
    entries = discover_folder(input, exclude=[outdir])
    if manifest is not None:
        listed = {e.path.resolve(): e for e in read_manifest(manifest, base=input)}
        found = {e.path.resolve() for e in entries}
        entries = [listed.get(e.path.resolve(), e) for e in entries]
        entries += [e for key, e in listed.items() if key not in found]
    if not entries:
        raise InputError(
            f"{input}: expected video files ({', '.join(sorted(VIDEO_EXTENSIONS))}), found none"
        )
    return entries


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
