"""Measurement error of each metric by camera view, as data: the shipped
``rules/measurement_error.toml`` (see its header for where the figures come from).

`load_measurement_errors` is the one reader of that file. `MeasurementErrors.lookup` gives the
error of a metric seen from a view (None when unknown); `MeasurementErrors.within` decides whether
a difference in that metric (a change between two sessions, or a value's distance from a rule's
threshold) is within the measurement error, so "real change" and "borderline" come from one rule:
a difference counts only when it exceeds the error.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

#: File name of the shipped table, in the package's ``rules`` folder (not a rule set).
MEASUREMENT_ERROR_FILE = "measurement_error.toml"
#: Camera views an entry can name.
ERROR_VIEWS = ("front", "oblique", "side")


@dataclass(frozen=True)
class MeasurementError:
    """How far ``metric`` seen from ``view`` may be from the truth: ``error`` (mean absolute error)
    and ``bias`` (mean signed error) in ``unit``, over ``n`` frames (or reps), from ``source``."""

    metric: str
    view: str
    error: float
    unit: str
    bias: float = 0.0
    n: int = 0
    source: str = ""


@dataclass(frozen=True)
class MeasurementErrors:
    """The errors of `MeasurementError` by ``(metric, view)``; ``statistic`` and ``source`` say
    what the figures are and where they come from."""

    entries: dict[tuple[str, str], MeasurementError] = field(default_factory=dict)
    statistic: str = ""
    source: str = ""

    def lookup(self, metric: str | None, view: str | None) -> MeasurementError | None:
        """The error of ``metric`` (base name, e.g. ``knee_flexion_image``; ``rep.descent_s`` for
        a per-rep measurement; ``rule.depth`` for the value a rule reads over a rep; a
        ``_left``/``_right`` suffix is ignored) seen from ``view``; None when unknown."""
        if not metric or not view:
            return None
        for side in ("_left", "_right"):
            metric = metric.removesuffix(side)
        return self.entries.get((metric, view))

    def within(self, metric: str | None, view: str | None, difference: float) -> bool | None:
        """True when ``|difference|`` (in the metric's unit) is at most the measurement error of
        ``metric`` from ``view``, False when it exceeds it, None when the error is unknown."""
        entry = self.lookup(metric, view)
        return None if entry is None else bool(within_error(difference, entry.error))

    def error_of(self, metric: str, views: np.ndarray, sides: str = "worst") -> np.ndarray:
        """The error of a rule check's ``metric`` seen from each of ``views``.

        Parameters
        ----------
        metric : str
            The check's metric (base name, or ``rep.*``), or ``rule.<name>``: the value that rule
            judges per rep, measured as such.
        views : np.ndarray
            ``(N,)`` view names (``front``, ``oblique``, ``side``, ``unknown``).
        sides : str
            How the check combines a bilateral metric (`formcheck.core.ruleset.SIDES`). A
            left-right difference (``abs_diff``) does not carry its metric's error (the part the
            two legs share cancels in it): only a ``rule.<name>`` entry, which measured the
            difference itself, gives it one.

        Returns
        -------
        np.ndarray
            ``(N,)`` errors in the metric's unit, NaN where unknown.
        """
        views = np.asarray(views, dtype=object)
        out = np.full(views.shape, np.nan)
        if sides == "abs_diff" and not metric.startswith("rule."):
            return out
        for view in ERROR_VIEWS:
            entry = self.lookup(metric, view)
            if entry is not None:
                out[views == view] = entry.error
        return out

    def rule_error(
        self, rule: str, metric: str | None, views: np.ndarray, sides: str = "worst"
    ) -> np.ndarray:
        """The error of the value rule ``rule`` judges by its check on ``metric`` from each of
        ``views``: the rule's own (``rule.<name>``, measured on the value it judges per rep) where
        the table lists it for that view, else its metric's per-frame error (`error_of`; none
        when ``metric`` is None). ``(N,)``, NaN where unknown."""
        own = self.error_of(f"rule.{rule}", views, sides)
        if not metric:
            return own
        return np.where(np.isnan(own), self.error_of(metric, views, sides), own)


def within_error(difference: Any, error: Any) -> Any:
    """Whether ``|difference|`` is at most ``error`` (same unit; numbers or arrays, element-wise):
    the one test of "within the measurement error", for a change between sessions and for a
    value's distance from a rule's threshold (borderline). An unknown (NaN) error is never within.
    """
    with np.errstate(invalid="ignore"):
        return np.abs(difference) <= error


def parse_measurement_errors(data: dict[str, Any], where: str) -> MeasurementErrors:
    """`MeasurementErrors` from the parsed TOML ``data`` of file ``where`` (for messages); raises
    `InputError` naming the file, the entry and the key on anything malformed."""
    entries: dict[tuple[str, str], MeasurementError] = {}
    table = data.get("error", [])
    if not isinstance(table, list):
        raise InputError(f"{where}: expected [[error]] tables, got {type(table).__name__}")
    for k, item in enumerate(table):
        at = f"{where}: [[error]] #{k + 1}"
        if not isinstance(item, dict):
            raise InputError(f"{at}: expected a table, got {type(item).__name__}")
        for key in ("metric", "view", "unit"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise InputError(f"{at}: expected a text {key!r}, got {item.get(key)!r}")
        if item["view"] not in ERROR_VIEWS:
            raise InputError(f"{at}: expected view one of {ERROR_VIEWS}, got {item['view']!r}")
        error = item.get("error")
        if isinstance(error, bool) or not isinstance(error, int | float) or not error > 0:
            raise InputError(f"{at}: expected a positive number 'error', got {error!r}")
        key = (item["metric"], item["view"])
        if key in entries:
            raise InputError(f"{at}: {key[0]} from the {key[1]} is listed twice")
        entries[key] = MeasurementError(
            metric=item["metric"],
            view=item["view"],
            error=float(error),
            unit=item["unit"],
            bias=float(item.get("bias", 0.0)),
            n=int(item.get("n", 0)),
            source=str(item.get("source", "")),
        )
    return MeasurementErrors(entries, str(data.get("statistic", "")), str(data.get("source", "")))


def load_measurement_errors(path: str | Path | None = None) -> MeasurementErrors:
    """The measurement errors of ``path`` (a TOML file), default the shipped table."""
    if path is None:
        resource = files("formcheck").joinpath("rules", MEASUREMENT_ERROR_FILE)
        text, where = resource.read_text(encoding="utf-8"), MEASUREMENT_ERROR_FILE
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such file, expected a measurement error table (.toml)")
        text, where = p.read_text(encoding="utf-8"), str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: expected TOML, got a syntax error ({exc})") from None
    return parse_measurement_errors(data, where)
