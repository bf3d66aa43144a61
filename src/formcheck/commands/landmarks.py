"""``formcheck landmarks``: video -> pose landmark cache (placeholder until extraction lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
