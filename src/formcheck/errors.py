"""Exception types. The CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class for errors a user can act on (bad input, missing model, ...)."""

    exit_code = 1


class InputError(FormcheckError):
    """A file given by the user is missing, unreadable or not what was expected."""


class ModelError(FormcheckError):
    """The pose model file is missing or cannot be loaded."""


class NoPersonError(FormcheckError):
    """No person (or no squat) was found in the input."""

    exit_code = 2


class Interrupted(FormcheckError):
    """The run was stopped (Ctrl-C, SIGTERM, SIGHUP); the message says what was kept."""

    exit_code = 130


class DamagedVideoWarning(UserWarning):
    """Part of a video could not be read (damaged packets, a cut-off end); the rest was analysed.
    The CLI shows it as one ``formcheck: warning:`` line."""
