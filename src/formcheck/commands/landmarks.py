"""``formcheck landmarks``: run the pose model on a video and save the pose sequence (landmark cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def default_output(video: Path) -> Path:
    """``<stem>.landmarks.npz`` beside the video."""
    return video.with_name(f"{video.stem}.landmarks.npz")


def landmarks(
    video: Annotated[Path, typer.Argument(help="Video file (mp4, mov, ...).", show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Landmark cache to write (.npz). Default: <stem>.landmarks.npz "
                     "beside VIDEO.", show_default=False),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write a wide per-frame CSV: time_s, detected, "
                     "<landmark>_x/_y/_z/_vis (image, normalised), <landmark>_wx/_wy/_wz (world, metres).",
                     show_default=False),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Pose model .task bundle. Default: $FORMCHECK_MODEL, else the bundled "
                     "pose_landmarker_full.task.", show_default=False),
    ] = None,
) -> None:
    """Run the pose model on every frame of VIDEO and save the landmarks (frames with no person are NaN)."""
    from ..cache import save, save_csv
    from ..model import resolve_model
    from ..video import probe

    probe(video)  # bad video: fail before loading the model
    model_file = resolve_model(model)
    from ..pose import extract

    seq = extract(video, model=model_file)
    out = save(seq, output or default_output(video))
    written = [str(out)]
    if csv is not None:
        written.append(str(save_csv(seq, csv)))
    typer.echo(
        f"{video.name}: {len(seq)} frames, person on {100.0 * seq.detected.mean():.1f}%, "
        f"{seq.fps:.2f} fps, {seq.duration:.2f} s -> {', '.join(written)}"
    )


def register(app: typer.Typer) -> None:
    app.command("landmarks")(landmarks)
