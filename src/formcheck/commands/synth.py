"""``formcheck synth``: render a synthetic squat video with known kinematics and its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _opt(*flags: str, help: str) -> typer.models.OptionInfo:
    return typer.Option(*flags, help=help, show_default=False)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size: expected WIDTHxHEIGHT such as 640x360, got {text!r}") from None
    return w, h


def synth(
    output: Annotated[
        Path | None,
        typer.Argument(
            help="Video to write (.mp4); the ground truth goes beside it as .json.",
            show_default=False,
        ),
    ] = None,
    preset: Annotated[
        str, typer.Option("--preset", "-p", help="Named squat (see --list-presets).")
    ] = ("good-cyclist-squat"),
    movement: Annotated[
        str | None,
        _opt(
            "--movement",
            help="Render this movement instead of a squat (see --list-presets): truth 0 squat "
            "reps, the sit-to-stand's counted as squats.",
        ),
    ] = None,
    view: Annotated[
        str, typer.Option(help="Camera view: front, oblique (45 deg) or side.")
    ] = "front",
    yaw: Annotated[
        float | None,
        _opt(
            "--yaw",
            help="Camera yaw in degrees instead of --view: 0 = facing "
            "the subject, 90 = the subject's left side.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for rep-to-rep variation and sensor noise.")] = 0,
    size: Annotated[str, typer.Option(help="Image size WIDTHxHEIGHT in pixels.")] = "640x360",
    fps: Annotated[
        str,
        typer.Option(
            help="Frames per second; with --views one per camera, e.g. 30,25.",
            callback=lambda text: _rates(text),
        ),
    ] = "30",
    views: Annotated[
        str | None,
        _opt(
            "--views",
            help="Film the same motion from several cameras at once, e.g. front,side: writes "
            "OUT-front.mp4, OUT-side.mp4 and their truths.",
        ),
    ] = None,
    offsets: Annotated[
        str | None,
        _opt(
            "--offsets",
            help="With --views: seconds each camera starts after the first, e.g. 0,1.5 "
            "(default all 0).",
        ),
    ] = None,
    pitch: Annotated[
        float | None, _opt("--pitch", help="Camera pitch, degrees down (default 0).")
    ] = None,
    camera_height: Annotated[
        float | None,
        _opt(
            "--camera-height",
            help="Camera height above the floor, m (the aim point follows --pitch).",
        ),
    ] = None,
    distance: Annotated[
        float | None, _opt("--distance", help="Camera distance, m (default 3.4).")
    ] = None,
    vfov: Annotated[
        float | None, _opt("--vfov", help="Vertical field of view, deg (default 42).")
    ] = None,
    noise: Annotated[float, typer.Option(help="Sensor noise sigma in 8-bit grey levels.")] = 0.0,
    reps: Annotated[
        int | None,
        _opt("--reps", help="Repetitions, or a --movement's cycles (default: the preset's)."),
    ] = None,
    knee_flexion: Annotated[
        float | None, _opt("--knee-flexion", help="Peak knee flexion, deg.")
    ] = None,
    valgus: Annotated[
        float | None, _opt("--valgus", help="Knee valgus at depth, deg (+ = in).")
    ] = None,
    foot_angle: Annotated[
        float | None,
        _opt("--foot-angle", help="Foot progression angle of both feet, deg (+ = toes out)."),
    ] = None,
    stance: Annotated[float | None, _opt("--stance", help="Ankle-to-ankle distance, m.")] = None,
    heel_block: Annotated[
        float | None, _opt("--heel-block", help="Heel block, cm (0 = none).")
    ] = None,
    lean: Annotated[
        float | None, _opt("--lean", help="Trunk lean at depth, deg from vertical.")
    ] = None,
    lockout: Annotated[
        float | None, _opt("--lockout", help="Knee flexion left at the top, deg.")
    ] = None,
    asymmetry: Annotated[
        float | None, _opt("--asymmetry", help="Left minus right peak knee flexion, deg.")
    ] = None,
    jitter: Annotated[
        float | None,
        typer.Option(
            "--jitter", help="Rep-to-rep variation, 0-1 (seeded).", show_default=False, min=0, max=1
        ),
    ] = None,
    shirt: Annotated[str | None, _opt("--shirt", help="Shirt colour '#RRGGBB' or 'R,G,B'.")] = None,
    shorts: Annotated[str | None, _opt("--shorts", help="Shorts colour.")] = None,
    wall: Annotated[str | None, _opt("--wall", help="Wall colour.")] = None,
    floor: Annotated[str | None, _opt("--floor", help="Floor colour.")] = None,
    person: Annotated[
        list[str] | None,
        _opt(
            "--person",
            help="Someone else in the room: stand (beside), walk (across, behind) or mirror "
            "(a reflection of the squatter); repeat for more.",
        ),
    ] = None,
    list_presets: Annotated[
        bool, typer.Option("--list-presets", help="List presets and views, then exit.")
    ] = False,
) -> None:
    """Render a squat video of a 3-D figure with known joint angles, plus its ground truth (JSON)."""
    from dataclasses import replace

    from ..errors import InputError
    from ..synth import PRESETS, VIEWS, Camera, Look, Scene, write
    from ..synth.crowd import extra
    from ..synth.look import parse_rgb
    from ..synth.movements import MOVEMENTS
    from ..synth.movements import movement as get_movement
    from ..synth.presets import preset as get_preset

    if list_presets:
        for name, (_, text) in PRESETS.items():
            typer.echo(f"{name:20s} {text}")
        for name, move in MOVEMENTS.items():
            typer.echo(f"--movement {name:13s} {move.description}")
        typer.echo("views: " + ", ".join(f"{v} (yaw {y:g})" for v, y in VIEWS.items()))
        return
    if output is None:
        raise InputError("synth: expected an output path OUT.mp4 (or --list-presets)")
    try:
        fields = {
            "reps": reps,
            "knee_flexion_deg": knee_flexion,
            "knee_valgus_deg": valgus,
            "stance_width_m": stance,
            "heel_block_cm": heel_block,
            "trunk_lean_deg": lean,
            "lockout_deg": lockout,
            "asymmetry_deg": asymmetry,
            "rep_jitter": jitter,
            "foot_angle_left_deg": foot_angle,
            "foot_angle_right_deg": foot_angle,
        }
        squat = replace(get_preset(preset), **{k: v for k, v in fields.items() if v is not None})
        if yaw is None:
            if view not in VIEWS:
                raise ValueError(f"view: expected one of {', '.join(VIEWS)}, got {view!r}")
            yaw = VIEWS[view]
        w, h = _size(size)
        rates = _numbers(fps, "fps")
        optics = {
            k: v
            for k, v in (("pitch_deg", pitch), ("distance_m", distance), ("vfov_deg", vfov))
            if v is not None
        }
        if views is None and len(rates) != 1:
            raise ValueError(f"fps: expected one number without --views, got {fps!r}")

        def _camera(yaw_deg: float, rate: float) -> Camera:
            if camera_height is None:
                return Camera(yaw_deg=yaw_deg, width=w, height=h, fps=rate, **optics)
            return Camera.at_height(
                camera_height, yaw_deg=yaw_deg, width=w, height=h, fps=rate, **optics
            )

        camera = _camera(yaw, rates[0])
        colours = {
            k: parse_rgb(v)
            for k, v in (("shirt", shirt), ("shorts", shorts), ("wall", wall), ("floor", floor))
            if v is not None
        }
        move = None
        if movement is not None:
            move = get_movement(movement)
            if reps is not None:
                move = replace(move, cycles=reps)
        scene = Scene(
            squat=squat,
            camera=camera,
            look=Look(noise=noise, **colours),
            seed=seed,
            preset=preset if move is None else move.name,
            extras=tuple(extra(kind) for kind in person or ()),
            movement=move,
        )
        if views is not None:
            written = _write_views(output, scene, views, offsets, rates, _camera)
        else:
            written = [write(output, scene)]
    except ValueError as exc:
        raise InputError(f"{output}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror or exc})") from None
    for video, truth in written:
        typer.echo(f"video: {video}")
        typer.echo(f"truth: {truth}")


def _rates(text: str) -> str:
    """``--fps`` checked as typer checks a number: positive numbers separated by commas."""
    try:
        rates = _numbers(text, "fps")
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("fps: ")) from None
    if not all(r > 0 for r in rates):
        raise typer.BadParameter(f"expected positive frame rates, got {text!r}")
    return text


def _numbers(text: str, name: str) -> list[float]:
    """Comma-separated numbers of option ``name``; ValueError naming it otherwise."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{name}: expected numbers separated by commas, got {text!r}") from None


def _write_views(output, scene, views: str, offsets, rates, camera):  # noqa: ANN001, ANN202
    """Render ``scene`` from every view of ``views`` at once (`formcheck.synth.multicam`)."""
    from ..synth import VIEWS
    from ..synth.multicam import Rig, write_rig

    names = [v.strip() for v in views.split(",")]
    unknown = [v for v in names if v not in VIEWS]
    if unknown or len(names) < 2:
        raise ValueError(
            f"views: expected two or more of {', '.join(VIEWS)} separated by commas, got {views!r}"
        )
    starts = _numbers(offsets, "offsets") if offsets is not None else [0.0] * len(names)
    if len(rates) == 1:
        rates = rates * len(names)
    if len(starts) != len(names) or len(rates) != len(names):
        raise ValueError(
            f"--offsets and --fps: expected one value each per view ({len(names)}), got "
            f"{len(starts)} and {len(rates)}"
        )
    cams = tuple(camera(VIEWS[v], r) for v, r in zip(names, rates, strict=True))
    return write_rig(output, Rig(scene, cams, tuple(starts), tuple(names)))


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
