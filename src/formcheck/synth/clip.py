"""Render a whole clip: squat + camera + look + seed -> frames, H.264 MP4 and ground-truth JSON."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .camera import Camera
from .crowd import Extra, figures
from .figure import Body, Skeleton, pose
from .look import Look
from .motion import Squat, Timeline, timeline
from .movements import Movement, frame_skeleton, solve_movement
from .render import Renderer
from .truth import document, truth_path, write_json

#: x264 constant rate factor of the written clips: small files, the figure's edges stay sharp.
CRF = 30


@dataclass(frozen=True)
class Scene:
    """Everything that decides a clip's pixels: same scene, same bytes of frames."""

    squat: Squat
    camera: Camera
    look: Look = Look()
    seed: int = 0
    preset: str = "custom"
    extras: tuple[Extra, ...] = ()  # other people in the room (`formcheck.synth.crowd`)
    movement: Movement | None = None  # another movement instead of ``squat`` (`.movements`)


@dataclass(frozen=True)
class Posed:
    """A scene's motion, solved: the timeline and the posed skeleton."""

    scene: Scene
    timeline: Timeline
    skeleton: Skeleton
    body: Body


def solve(scene: Scene) -> Posed:
    """Joint angles over time and the forward kinematics (no drawing)."""
    if scene.movement is not None:
        moving = solve_movement(scene.movement, scene.camera.fps)
        return Posed(scene, moving.timeline, moving.skeleton, Body(scene.movement.height_m))
    rng = np.random.default_rng([scene.seed, 0])
    tl = timeline(scene.squat, scene.camera.fps, rng)
    body = Body(scene.squat.height_m)
    return Posed(scene, tl, pose(body, scene.squat.stance, tl.state), body)


def frames(posed: Posed, supersample: int = 2) -> Iterator[np.ndarray]:
    """RGB uint8 frames of the clip, in order."""
    scene = posed.scene
    block = scene.squat.heel_block_cm / 100 if scene.movement is None else 0.0
    renderer = Renderer(scene.camera, scene.look, posed.body, block, supersample)
    noise = np.random.default_rng([scene.seed, 1])
    n = len(posed.timeline.times)
    others = figures(scene.extras, n)
    mirrors = [e for e in scene.extras if e.kind == "mirror"]
    for i in range(n):
        if scene.movement is None:
            yield renderer.frame(posed.skeleton, i, noise, others[i], mirrors)
        else:  # the feet move: each frame its own planted feet
            yield renderer.frame(frame_skeleton(posed.skeleton, i), 0, noise, others[i], mirrors)


def truth(posed: Posed, video_name: str, decimals: int = 4) -> dict:
    """The ground-truth document (see `formcheck.synth.truth`): for a movement its name and
    description replace the squat's parameters, and ``squat_reps`` says how many squat reps it
    holds (a squat's are its ``reps``)."""
    s = posed.scene
    doc = document(
        posed.skeleton,
        posed.timeline,
        s.squat,
        s.camera,
        video=video_name,
        preset=s.preset,
        seed=s.seed,
        look=asdict(s.look),
        decimals=decimals,
    )
    if s.movement is not None:
        doc["squat"] = None
        doc["movement"] = {
            "name": s.movement.name,
            "description": s.movement.description,
            "cycles": s.movement.cycles,
        }
        doc["squat_reps"] = len(posed.timeline.reps)
    return doc


def write(path: str | Path, scene: Scene, crf: int = CRF) -> tuple[Path, Path]:
    """Render ``scene`` to the MP4 ``path`` and its truth JSON beside it; returns both paths.

    Both files are written to temporary names first and renamed only when complete.
    """
    from ..media.videowriter import VideoWriter

    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise ValueError(f"expected an .mp4 output path, got suffix {path.suffix!r}")
    posed = solve(scene)
    cam = scene.camera
    with VideoWriter(path, cam.fps, (cam.width, cam.height), crf=crf, preset="medium") as out:
        for frame in frames(posed):
            out.write(frame)
    json_path = write_json(truth_path(path), truth(posed, path.name))
    _default_mode(path)
    return path, json_path


def _default_mode(path: Path) -> None:
    """Give a file written through a private temporary file the usual rw-r--r-- (minus umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)
