"""Synthetic squat videos with known kinematics: formcheck's ground truth.

A parametric 3-D figure (`figure`) is posed by forward kinematics from a squat
description (`motion.Squat`), dressed in shaded polygons (`dress`, `mesh`) and
drawn through a pinhole camera (`camera`) with OpenCV (`render`). `clip.write`
renders a clip to H.264 MP4 plus a ground-truth JSON (`truth`) beside it.
Named squats and views: `presets`. numpy + OpenCV only (PyAV to write the MP4).
"""

from __future__ import annotations

from .camera import Camera
from .clip import Scene, frames, solve, write
from .crowd import Extra
from .look import Look
from .motion import Squat
from .presets import PRESETS, VIEWS, preset

__all__ = [
    "PRESETS",
    "VIEWS",
    "Camera",
    "Extra",
    "Look",
    "Scene",
    "Squat",
    "frames",
    "preset",
    "solve",
    "write",
]
