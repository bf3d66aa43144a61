"""Regenerate the bundled sample clips: ``python -m formcheck.synth.samples [OUT_DIR]`` (default ``samples``).

Each sample is ``<preset>_<view>.mp4`` with its ground truth ``<preset>_<view>.json`` beside it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from .camera import Camera
from .clip import Scene, write
from .look import Look
from .presets import VIEWS, preset

#: (preset, view, seed): good form from both sides, each fault from the view that shows it.
SAMPLES: tuple[tuple[str, str, int], ...] = (
    ("good-cyclist-squat", "front", 1),
    ("good-cyclist-squat", "side", 2),
    ("knee-valgus", "front", 3),
    ("feet-turned-out", "front", 4),
    ("shallow", "side", 5),
    ("incomplete-lockout", "side", 6),
    ("chest-dropping", "side", 7),
)
REPS = 2
JITTER = 0.5
NOISE = 1.0


def sample_scene(name: str, view: str, seed: int) -> Scene:
    """The scene of one bundled sample."""
    squat = replace(preset(name), reps=REPS, rep_jitter=JITTER)
    return Scene(squat, Camera(yaw_deg=VIEWS[view]), Look(noise=NOISE), seed=seed, preset=name)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(
            f"usage: python -m formcheck.synth.samples [OUT_DIR]  (default: samples)\n\n{__doc__}"
        )
        return 0 if args[0] in ("-h", "--help") else 2
    out = Path(args[0]) if args else Path("samples")
    for name, view, seed in SAMPLES:
        video, truth = write(out / f"{name}_{view}.mp4", sample_scene(name, view, seed))
        mb = video.stat().st_size / 1e6, truth.stat().st_size / 1e6
        print(f"{video} ({mb[0]:.2f} MB) + {truth.name} ({mb[1]:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
