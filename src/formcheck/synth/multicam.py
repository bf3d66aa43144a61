"""One squat set filmed by several cameras started at different moments, at their own frame rates.

`Rig` places the cameras: camera ``i`` starts recording ``offsets_s[i]`` seconds after camera 0
(negative: before it) and films at its own ``fps``; all stop together when the set ends. The set
begins once the last camera is rolling, so every camera sees every rep. Each camera's clip is an
ordinary `Scene` clip (same figure, same motion, same seed) whose truth JSON records the rig:
``multicam.offset_s`` (where the clip's ``t = 0`` lies on camera 0's clock, the convention of
`formcheck.core.fusion.Sync.offset_s`), the views, frame rates and files of the whole rig.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .camera import Camera
from .clip import CRF, Posed, Scene, frames, truth
from .figure import Body, pose
from .motion import timeline
from .truth import truth_path, write_json


@dataclass(frozen=True)
class Rig:
    """Cameras filming one scene: ``cameras[i]`` starts ``offsets_s[i]`` seconds after camera 0.

    ``scene`` gives the squat, look and seed (its own camera is ignored); ``names`` labels each
    camera (its view name by default) for file names and the truth.
    """

    scene: Scene
    cameras: tuple[Camera, ...]
    offsets_s: tuple[float, ...]
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.cameras) < 2:
            raise ValueError(f"cameras: expected two or more, got {len(self.cameras)}")
        if len(self.offsets_s) != len(self.cameras):
            raise ValueError(
                f"offsets: expected one per camera ({len(self.cameras)}), got {len(self.offsets_s)}"
            )
        if self.offsets_s[0] != 0:
            raise ValueError(f"offsets: expected 0 for the first camera, got {self.offsets_s[0]}")
        if not all(np.isfinite(o) and abs(o) <= 60 for o in self.offsets_s):
            raise ValueError(f"offsets: expected finite seconds within +-60, got {self.offsets_s}")
        if self.names and len(self.names) != len(self.cameras):
            raise ValueError(f"names: expected one per camera, got {len(self.names)}")


def solve_rig(rig: Rig) -> list[Posed]:
    """Each camera's `Posed` clip of the rig: the same motion sampled on each camera's clock."""
    offsets = np.asarray(rig.offsets_s, dtype=float)
    set_begin = float(offsets.max())  # on camera 0's clock: every camera is rolling
    body = Body(rig.scene.squat.height_m)
    out = []
    for cam, offset in zip(rig.cameras, offsets, strict=True):
        rng = np.random.default_rng([rig.scene.seed, 0])  # the same jitter for every camera
        tl = timeline(rig.scene.squat, cam.fps, rng, start_s=float(offset) - set_begin)
        skel = pose(body, rig.scene.squat.stance, tl.state)
        out.append(Posed(replace(rig.scene, camera=cam), tl, skel, body))
    return out


def rig_names(rig: Rig) -> list[str]:
    """A label per camera: ``rig.names``, else the views (``front``, ``side``, ...; yaws not
    among the named views as ``yawNN``), numbered where two are the same."""
    from .presets import VIEWS

    if rig.names:
        names = list(rig.names)
    else:
        by_yaw = {y: v for v, y in VIEWS.items()}
        names = [by_yaw.get(c.yaw_deg, f"yaw{c.yaw_deg:g}") for c in rig.cameras]
    if len(set(names)) < len(names):
        names = [f"{i + 1}-{n}" for i, n in enumerate(names)]
    return names


def write_rig(output: str | Path, rig: Rig, crf: int = CRF) -> list[tuple[Path, Path]]:
    """Render every camera of ``rig``: ``OUT-<name>.mp4`` and its truth JSON beside it for an
    output ``OUT.mp4``; returns the (video, truth) paths in camera order. Files are written to
    temporary names and renamed when complete."""
    from ..media.videowriter import VideoWriter
    from .clip import _default_mode

    output = Path(output)
    if output.suffix.lower() != ".mp4":
        raise ValueError(f"expected an .mp4 output path, got suffix {output.suffix!r}")
    names = rig_names(rig)
    paths = [output.with_name(f"{output.stem}-{n}.mp4") for n in names]
    group = multicam_record(rig, [p.name for p in paths])
    written = []
    for i, (posed, path) in enumerate(zip(solve_rig(rig), paths, strict=True)):
        cam = posed.scene.camera
        with VideoWriter(path, cam.fps, (cam.width, cam.height), crf=crf, preset="medium") as out:
            for frame in frames(posed):
                out.write(frame)
        doc = truth(posed, path.name)
        doc["multicam"] = {**group, "camera": i, "offset_s": float(rig.offsets_s[i])}
        written.append((path, write_json(truth_path(path), doc)))
        _default_mode(path)
    return written


def multicam_record(rig: Rig, files: list[str]) -> dict[str, Any]:
    """The rig as the truth records it: per camera its file, view name, yaw, fps and offset."""
    return {
        "offset_convention": "seconds; where the clip's t = 0 lies on camera 0's clock",
        "cameras": [
            {
                "file": f,
                "name": n,
                "yaw_deg": c.yaw_deg,
                "fps": c.fps,
                "image_size": [c.width, c.height],
                "offset_s": float(o),
            }
            for f, n, c, o in zip(files, rig_names(rig), rig.cameras, rig.offsets_s, strict=True)
        ],
    }
