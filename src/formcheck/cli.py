"""The ``formcheck`` command line. Each command group lives in ``formcheck.commands``.

Heavy libraries (mediapipe, cv2, av) are imported inside the commands, so
``formcheck --help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from . import __version__
from .commands import register
from .errors import FormcheckError

app = typer.Typer(
    name="formcheck",
    help="Squat form analysis from video: knee tracking, foot angle, depth, reps and cyclist-squat scores.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"formcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Squat form analysis from video."""


register(app)


def main() -> None:
    """Entry point: run the app, turning formcheck errors into one line on stderr."""
    try:
        code = app(
            standalone_mode=False
        )  # click returns (not raises) typer.Exit codes in this mode
    except FormcheckError as exc:
        typer.echo(f"formcheck: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("formcheck: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("formcheck: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
