"""``formcheck landmarks``: run the pose model on a video and save the pose sequence (landmark cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..report.outputs import check_writable
from .options import ModelOption


def _check_output(target: Path, video: Path) -> None:
    if target.is_dir():
        raise InputError(f"{target}: is a directory, expected an output file path")
    if target.exists() and video.exists() and target.resolve() == video.resolve():
        raise InputError(f"{target}: is the input video, expected another output path")


def default_output(video: Path) -> Path:
    """``<stem>.landmarks.npz`` beside the video."""
    return video.with_name(f"{video.stem}.landmarks.npz")


def landmarks(
    video: Annotated[Path, typer.Argument(help="Video file (mp4, mov, ...).", show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Landmark cache to write (.npz). Default: <stem>.landmarks.npz beside VIDEO.",
            show_default=False,
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Also write a wide per-frame CSV: time_s, detected, "
            "<landmark>_x/_y/_z/_vis (image, normalised), <landmark>_wx/_wy/_wz (world, metres).",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
) -> None:
    """Run the pose model on every frame of VIDEO and save the landmarks (frames with no person are NaN)."""
    from ..media.cache import save, save_csv
    from ..media.model import resolve_model
    from ..media.video import check_size, probe

    out = output or default_output(video)
    targets = [out] if csv is None else [out, csv]
    for target in targets:
        _check_output(target, video)
        check_writable(target.parent, target)  # refused before the pose model starts
    check_size(probe(video))  # bad video: fail before loading the model
    model_file = resolve_model(model)
    from ..media.parallel import extract  # on every core (`formcheck.media.parallel`)

    seq = extract(video, model=model_file)
    written = []
    try:  # the CSV first: if either write fails, no output of this run is left
        if csv is not None:
            written.append(save_csv(seq, csv))
        written.insert(0, save(seq, out, video=video))
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise InputError(f"{exc.filename or out}: cannot write ({exc.strerror or exc})") from None
    typer.echo(
        f"{video.name}: {len(seq)} frames, person on {100.0 * seq.detected.mean():.1f}%, "
        f"{seq.fps:.2f} fps, {seq.duration:.2f} s -> {', '.join(map(str, written))}"
    )


def register(app: typer.Typer) -> None:
    app.command("landmarks")(landmarks)
