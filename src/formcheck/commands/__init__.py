"""Command groups of the ``formcheck`` CLI, one module each."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add every command to ``app``."""
    from . import landmarks

    landmarks.register(app)
    from . import analyze

    analyze.register(app)
    from . import batch

    batch.register(app)
    from . import synth

    synth.register(app)
    from . import live

    live.register(app)
