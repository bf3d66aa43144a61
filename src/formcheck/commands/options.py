"""Options shared by several commands, declared once so their help and defaults agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: ``--model PATH``: the pose model bundle (resolved by `formcheck.media.model`).
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="Pose model .task bundle. Default: $FORMCHECK_MODEL, else the bundled "
        "pose_landmarker_full.task.",
        show_default=False,
    ),
]

#: ``--rules FILE|NAME``: the rules to judge by (resolved by `formcheck.core.ruleset.resolve_rules`).
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Rule file (TOML) to score with, or a shipped rule set's name. "
        "Default: the bundled cyclist_squat rules.",
        show_default=False,
    ),
]

#: ``--export trc,mot,c3d``: files for biomechanics tools (`formcheck.export`).
ExportOption = Annotated[
    str | None,
    typer.Option(
        "--export",
        help="Also write files for biomechanics tools, comma-separated: trc (markers.trc, world "
        "landmarks in m for OpenSim), mot (angles.mot, joint angles in degrees), c3d (markers.c3d, "
        'needs pip install "formcheck\\[biomech]").',
        show_default=False,
    ),
]
