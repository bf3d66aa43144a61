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
from .errors import FormcheckError, Interrupted

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


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's exception base classes: typer >= 0.29 raises those of its own copy (``typer._click``),
    which are not the separately installed click's."""
    import click

    bases: list[type[Exception]] = [click.ClickException]
    vendored = getattr(getattr(typer, "_click", None), "exceptions", None)
    if vendored is not None:
        bases.append(vendored.ClickException)
    return tuple(bases)


def usage_line(exc: Exception, argv: list[str]) -> str:
    """One line for a usage error: click's message, a "Did you mean" hint for a mistyped option,
    and where to read the help."""
    possibilities = sorted(getattr(exc, "possibilities", None) or ())
    if possibilities and getattr(exc, "option_name", None):
        message = f"No such option: {exc.option_name}. Did you mean {' or '.join(possibilities)}?"
    else:
        message = exc.format_message()  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        path = ctx.command_path
    else:
        commands = {c.name for c in app.registered_commands}
        path = " ".join(["formcheck", *[a for a in argv[:1] if a in commands]])
    return f"formcheck: error: {' '.join(message.split())} (see {path} --help)"


def _show_warnings() -> None:
    """Show each `DamagedVideoWarning` once, as one ``formcheck: warning:`` line on stderr
    (a video is read twice: for the pose and for the annotated video)."""
    import warnings

    from .errors import DamagedVideoWarning

    shown: set[str] = set()
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if not issubclass(category, DamagedVideoWarning):
            return default(message, category, filename, lineno, file, line)
        if str(message) not in shown:
            shown.add(str(message))
            typer.echo(f"formcheck: warning: {message}", err=True)

    warnings.showwarning = show
    warnings.simplefilter("always", DamagedVideoWarning)


def _debug_log() -> None:
    """``FORMCHECK_LOG=debug``: formcheck's debug messages on stderr, each after its wall-clock
    time (seconds since the epoch), e.g. the phase marks ``bench_analyze.py --startup`` reads.
    They go to a copy of the stderr descriptor: MediaPipe's native noise is silenced on fd 2
    while a landmarker is open (`formcheck.media.model.native_stderr_silenced`)."""
    import os

    if os.environ.get("FORMCHECK_LOG", "").lower() == "debug":
        import logging

        handler = logging.StreamHandler(os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1))
        handler.setFormatter(logging.Formatter("%(created).6f %(name)s: %(message)s"))
        logger = logging.getLogger("formcheck")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM and SIGHUP end the run as Ctrl-C does: staging removed, "interrupted", exit 130."""
    raise KeyboardInterrupt


def main() -> None:
    """Entry point: run the app, turning formcheck errors and usage errors into one line on stderr.

    Exit codes: 0 done (bare ``formcheck`` prints the help), 1 bad input, 2 a usage error
    (mistyped option or command, missing argument, value out of range) or no person / no squat,
    130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
    """
    import signal

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _interrupt)
    _show_warnings()
    _debug_log()
    argv = sys.argv[1:]
    try:
        code = app(args=argv, prog_name="formcheck", standalone_mode=False)
    except Interrupted as exc:
        typer.echo(f"formcheck: {exc}", err=True)
        sys.exit(exc.exit_code)
    except FormcheckError as exc:
        typer.echo(f"formcheck: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("formcheck: interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("formcheck: interrupted", err=True)
        sys.exit(130)
    except _usage_errors() as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `formcheck`: the help, printed above
            message = exc.format_message()  # type: ignore[attr-defined]
            if message.strip():
                typer.echo(message)
            sys.exit(0)
        typer.echo(usage_line(exc, argv), err=True)
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    if code == 130:  # typer returns Ctrl-C (and our SIGTERM, SIGHUP) as exit code 130
        typer.echo("formcheck: interrupted", err=True)
    if isinstance(code, int) and code:
        sys.exit(code)
