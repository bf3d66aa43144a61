"""Rule sets as data: typed, validated dataclasses loaded from a TOML rule file.

A rule file (see the shipped ``rules/cyclist_squat.toml``) has a few top-level
keys (``name``, ``title``, ``source``, optional ``bottom_window_s``,
``top_window_s`` and ``min_coverage``) and one ``[[rule]]`` table per rule. A rule judges one
*check*: a per-frame metric (or a per-rep measurement, ``rep.descent_s``,
``rep.ascent_s``, ``rep.duration_s``), aggregated over a phase of the rep and
compared with a threshold. ``[[rule.fallback]]`` tables give further checks
(keys not given are inherited from the rule) used, in order, when the ones
before cannot be judged (wrong camera view or no valid frames).

Check keys
----------
- ``metric``: metric name; with ``bilateral = true`` the base name of a
  ``<metric>_left`` / ``<metric>_right`` pair, combined by ``sides``: ``worst``
  (the side that fares worse against the threshold; a side without data is
  ignored), ``abs_diff`` (``|left - right|``, for symmetry) or ``mean``.
- ``phase``: ``rep`` (start..end), ``descent`` (start..bottom), ``ascent``
  (bottom..end), ``bottom`` (within ``bottom_window_s`` of the bottom) or
  ``top`` (the standing before and after the rep: ``top_window_s`` up to the
  start and from the end; the aggregate is taken over each and the one that
  fares worse against the threshold is judged).
- ``aggregate``: ``max``, ``min``, ``mean`` or ``median`` over the valid
  frames of the phase.
- ``compare``: ``<=``, ``>=`` or ``within`` (``|value| <= threshold``);
  ``threshold`` in ``unit``.
- ``views``: camera views that can judge it, from ``front``, ``oblique``,
  ``side``, or ``["any"]``.

Rule keys
---------
Besides the check keys: ``name``, ``title``, ``cue`` (said to the person when it fails),
``guidance`` (the sentence of the guidance it comes from), ``severity`` (``low``, ``medium``,
``high``) or ``weight``, ``hint`` (what to do when the camera view cannot judge it) and
``measure`` (what the number is, in words: its sign, its reference and when in the rep it is
taken; the report shows it beside the values).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

PHASES = ("rep", "descent", "ascent", "bottom", "top")
AGGREGATES = ("max", "min", "mean", "median")
COMPARISONS = ("<=", ">=", "within")
SIDES = ("worst", "abs_diff", "mean")
VIEWS = ("front", "oblique", "side", "any")
SEVERITY_WEIGHTS = {"low": 1.0, "medium": 2.0, "high": 3.0}
#: Per-rep measurements a check can use instead of a per-frame metric (seconds).
REP_MEASURES = ("rep.descent_s", "rep.ascent_s", "rep.duration_s")

DEFAULT_RULES = "cyclist_squat"
#: Defaults of a rule file's top-level settings (see the shipped rule file for the reasons).
BOTTOM_WINDOW_S, TOP_WINDOW_S, MIN_COVERAGE = 0.15, 0.5, 0.5

_CHECK_KEYS = {
    "metric",
    "bilateral",
    "sides",
    "phase",
    "aggregate",
    "compare",
    "threshold",
    "unit",
    "views",
}
_RULE_KEYS = _CHECK_KEYS | {
    "name",
    "title",
    "cue",
    "guidance",
    "severity",
    "weight",
    "hint",
    "measure",
    "fallback",
}
_TOP_KEYS = {
    "name",
    "title",
    "source",
    "version",
    "bottom_window_s",
    "top_window_s",
    "min_coverage",
    "rule",
}


@dataclass(frozen=True)
class Check:
    """One way to measure a rule on a rep (see the module docstring)."""

    metric: str
    threshold: float
    compare: str
    unit: str
    views: tuple[str, ...]
    phase: str = "rep"
    aggregate: str = "max"
    bilateral: bool = False
    sides: str = "worst"

    @property
    def is_rep_measure(self) -> bool:
        return self.metric in REP_MEASURES

    def judgeable_from(self, view: Any) -> Any:
        """Whether a rep seen from ``view`` can be judged by this check: the one place a rule's
        views are checked.

        Parameters
        ----------
        view : str or np.ndarray
            ``front``, ``oblique``, ``side`` or ``unknown``; or an array of such names.

        Returns
        -------
        bool or np.ndarray
            For a name a bool; for an array a bool array of its shape.
        """
        if isinstance(view, str):
            return "any" in self.views or view in self.views
        names = np.asarray(view)
        if "any" in self.views:
            return np.ones(names.shape, dtype=bool)
        return np.isin(names, self.views)

    def margin(self, value: Any) -> Any:
        """Signed distance of ``value`` (in `unit`; number or array) from the limit: >= 0 on the
        passing side, < 0 on the failing side; its size is what borderline compares with the
        measurement error."""
        if self.compare == "<=":
            return self.threshold - value
        if self.compare == ">=":
            return value - self.threshold
        return self.threshold - abs(value)

    def passes(self, value: Any) -> Any:
        """``value`` (finite, in `unit`; a number or a numpy array, compared element-wise)
        satisfies the check (`margin` >= 0)."""
        return self.margin(value) >= 0


@dataclass(frozen=True)
class Rule:
    """A named rule: its checks (first judgeable one decides), weight and words."""

    name: str
    title: str
    cue: str
    guidance: str
    severity: str
    weight: float
    checks: tuple[Check, ...]
    hint: str = ""
    #: What the number is, in words a reader needs to read it (sign, reference, when measured).
    measure: str = ""

    @property
    def primary(self) -> Check:
        return self.checks[0]

    def to_dict(self) -> dict[str, Any]:
        c = self.primary
        return {
            "name": self.name,
            "title": self.title,
            "metric": c.metric,
            "unit": c.unit,
            "cue": self.cue,
            "views": list(c.views),
            "threshold": c.threshold,
            "compare": c.compare,
            "severity": self.severity,
            "weight": self.weight,
            "source": self.guidance,
            "hint": self.hint,
            "measure": self.measure,
            "checks": [asdict(k) | {"views": list(k.views)} for k in self.checks],
        }


@dataclass(frozen=True)
class RuleSet:
    """A loaded rule file."""

    name: str
    title: str
    rules: tuple[Rule, ...]
    source: str = ""
    version: str = ""
    bottom_window_s: float = BOTTOM_WINDOW_S
    top_window_s: float = TOP_WINDOW_S
    min_coverage: float = MIN_COVERAGE
    path: str = field(default="", compare=False)

    def __getitem__(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(
            f"rule set {self.name!r}: expected a rule name from {[r.name for r in self.rules]}, "
            f"got {name!r}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "version": self.version,
            "bottom_window_s": self.bottom_window_s,
            "top_window_s": self.top_window_s,
            "min_coverage": self.min_coverage,
            "rules": [r.to_dict() for r in self.rules],
        }


class _Where:
    """Builds error messages that name the file and the key."""

    def __init__(self, path: str, where: str = "") -> None:
        self.path, self.where = path, where

    def at(self, where: str) -> _Where:
        return _Where(self.path, where)

    def error(self, key: str, expected: str, got: Any) -> InputError:
        place = f"{self.where}, key {key!r}" if self.where else f"key {key!r}"
        return InputError(f"{self.path}: {place}: expected {expected}, got {got!r}")


_KIND_WORDS = {
    int: "a number",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "a list",
}


def _get(
    table: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: _Where,
    default: Any = ...,
) -> Any:
    if key not in table:
        if default is ...:
            raise where.error(key, "a value (missing key)", None) from None
        return default
    value = table[key]
    if kind in (int, float, (int, float)) and isinstance(value, bool):
        raise where.error(key, "a number", value)
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        words = dict.fromkeys(_KIND_WORDS[t] for t in kinds)
        raise where.error(key, " or ".join(words), value)
    return value


def _choice(
    table: dict[str, Any], key: str, options: tuple[str, ...], where: _Where, default: Any = ...
) -> str:
    value = _get(table, key, str, where, default)
    if value not in options:
        raise where.error(key, f"one of {list(options)}", value)
    return value


def _check(table: dict[str, Any], where: _Where) -> Check:
    metric = _get(table, "metric", str, where)
    bilateral = _get(table, "bilateral", bool, where, False)
    if metric.startswith("rep.") and metric not in REP_MEASURES:
        raise where.error("metric", f"a metric name or one of {list(REP_MEASURES)}", metric)
    known = known_metrics(bilateral)
    if not metric.startswith("rep.") and metric not in known:
        close = difflib.get_close_matches(metric, known, n=1)
        side = "two-sided " if bilateral else "single "
        hint = f" (did you mean {close[0]!r}?)" if close else f" ({', '.join(known)})"
        raise where.error("metric", f"a {side}metric formcheck computes{hint}", metric)
    threshold = float(_get(table, "threshold", (int, float), where))
    if threshold != threshold or threshold in (float("inf"), float("-inf")):
        raise where.error("threshold", "a finite number", threshold)
    views = _get(table, "views", list, where)
    if not views or not all(isinstance(v, str) and v in VIEWS for v in views):
        raise where.error("views", f"a non-empty list from {list(VIEWS)}", views)
    compare = _choice(table, "compare", COMPARISONS, where)
    if compare == "within" and threshold < 0:
        raise where.error("threshold", "a number >= 0 for compare = 'within'", threshold)
    return Check(
        metric=metric,
        threshold=threshold,
        compare=compare,
        unit=_get(table, "unit", str, where),
        views=tuple(views),
        phase=_choice(table, "phase", PHASES, where, "rep"),
        aggregate=_choice(table, "aggregate", AGGREGATES, where, "max"),
        bilateral=bilateral,
        sides=_choice(table, "sides", SIDES, where, "worst"),
    )


def known_metrics(bilateral: bool) -> list[str]:
    """Names a check's ``metric`` can take: per-frame metrics of `formcheck.core.metrics`
    (``knee_bend_left/right`` among them, see `formcheck.core.metrics.knee_bend`); for a
    bilateral check the base names of the ``_left``/``_right`` pairs."""
    from .metrics import UNITS

    names = list(UNITS)
    if bilateral:
        return sorted(
            {
                n[: -len("_left")]
                for n in names
                if n.endswith("_left") and n[:-5] + "_right" in names
            }
        )
    return sorted(names)


def _unknown_keys(table: dict[str, Any], allowed: set[str], where: _Where) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        close = difflib.get_close_matches(extra[0], sorted(allowed), n=1)
        expected = (
            f"a known key (did you mean {close[0]!r}?)"
            if close
            else f"one of the keys {sorted(allowed)}"
        )
        raise where.error(extra[0], expected, extra[0])


def _rule(table: Any, index: int, where: _Where) -> Rule:
    if not isinstance(table, dict):
        raise where.at(f"rule #{index + 1}").error("rule", "a table ([[rule]])", table)
    name = table.get("name")
    w = where.at(f"rule {name!r}" if isinstance(name, str) else f"rule #{index + 1}")
    _unknown_keys(table, _RULE_KEYS, w)
    name = _get(table, "name", str, w)
    severity = _choice(table, "severity", tuple(SEVERITY_WEIGHTS), w, "medium")
    weight = float(_get(table, "weight", (int, float), w, SEVERITY_WEIGHTS[severity]))
    if not weight > 0:
        raise w.error("weight", "a number > 0", weight)
    base = {k: v for k, v in table.items() if k in _CHECK_KEYS}
    checks = [_check(base, w)]
    fallbacks = _get(table, "fallback", list, w, [])
    for j, fb in enumerate(fallbacks):
        wf = w.at(f"{w.where} fallback #{j + 1}")
        if not isinstance(fb, dict):
            raise wf.error("fallback", "a table ([[rule.fallback]])", fb)
        _unknown_keys(fb, _CHECK_KEYS, wf)
        checks.append(_check(base | fb, wf))
    return Rule(
        name=name,
        title=_get(table, "title", str, w, name.replace("_", " ").capitalize()),
        cue=_get(table, "cue", str, w),
        guidance=_get(table, "guidance", str, w),
        severity=severity,
        weight=weight,
        checks=tuple(checks),
        hint=_get(table, "hint", str, w, ""),
        measure=_get(table, "measure", str, w, ""),
    )


def parse_rules(data: dict[str, Any], path: str = "<rules>") -> RuleSet:
    """A validated `RuleSet` from a parsed rule file (format: the module docstring).

    Parameters
    ----------
    data : dict[str, Any]
        The rule file's TOML, parsed.
    path : str
        Names the file in error messages.

    Returns
    -------
    RuleSet
        The typed rules. A wrong key or value raises `InputError` naming ``path`` and the key.
    """
    where = _Where(path)
    _unknown_keys(data, _TOP_KEYS, where)
    tables = _get(data, "rule", list, where)
    if not tables:
        raise where.error("rule", "at least one [[rule]] table", tables)
    rules = tuple(_rule(t, i, where) for i, t in enumerate(tables))
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise where.at(f"rule {dupes[0]!r}").error("name", "a name used by one rule only", dupes[0])
    bottom_window_s = float(_get(data, "bottom_window_s", (int, float), where, BOTTOM_WINDOW_S))
    top_window_s = float(_get(data, "top_window_s", (int, float), where, TOP_WINDOW_S))
    if not 0 <= top_window_s <= 5:
        raise where.error("top_window_s", "a number of seconds in [0, 5]", top_window_s)
    min_coverage = float(_get(data, "min_coverage", (int, float), where, MIN_COVERAGE))
    if not 0 <= bottom_window_s <= 5:
        raise where.error("bottom_window_s", "a number of seconds in [0, 5]", bottom_window_s)
    if not 0 < min_coverage <= 1:
        raise where.error("min_coverage", "a fraction in (0, 1]", min_coverage)
    name = _get(data, "name", str, where)
    return RuleSet(
        name=name,
        title=_get(data, "title", str, where, name),
        rules=rules,
        source=_get(data, "source", str, where, ""),
        version=str(_get(data, "version", (str, int), where, "")),
        bottom_window_s=bottom_window_s,
        top_window_s=top_window_s,
        min_coverage=min_coverage,
        path=path,
    )


@dataclass(frozen=True)
class RulesSource:
    """Where a rule set comes from: ``label`` names it in messages (the path as given, or
    ``<name>.toml`` for a shipped set), ``spec`` is what to hand on to another process (the
    file's absolute path, or the shipped set's name), ``resource`` the file to read."""

    label: str
    spec: str
    resource: Any  # Path, or an importlib.resources Traversable for a shipped set
    shipped: bool

    def read_bytes(self) -> bytes:
        return self.resource.read_bytes()


def resolve_rules(rules: str | Path | None) -> RulesSource:
    """Resolve "a rule file or a shipped rule set's name": the one place that decides it.

    Parameters
    ----------
    rules : str, Path or None
        A ``.toml`` rule file; or a shipped rule set's name (`shipped_rule_sets`, as a string or
        a path) unless a file of that name exists; None for the default set (`DEFAULT_RULES`).

    Returns
    -------
    RulesSource
        Where to read the rules from. A missing file raises `InputError` naming it.
    """
    if rules is None or (str(rules) in shipped_rule_sets() and not Path(rules).is_file()):
        name = DEFAULT_RULES if rules is None else str(rules)
        resource = files("formcheck").joinpath("rules", f"{name}.toml")
        return RulesSource(f"{name}.toml", name, resource, shipped=True)
    p = Path(rules)
    if not p.is_file():
        import difflib

        problem = "is a directory" if p.is_dir() else "no such file"
        names = shipped_rule_sets()
        close = difflib.get_close_matches(str(rules), names, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise InputError(
            f"{p}: {problem}, expected a rule file (.toml) or a shipped rule set "
            f"({', '.join(names)}){hint}"
        )
    return RulesSource(str(p), str(p.resolve()), p, shipped=False)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load a rule set: ``path`` as for `resolve_rules` (a rule file, a shipped set's name, or
    None for the default). Problems raise `InputError` naming the file and the key."""
    source = resolve_rules(path)
    try:
        data = tomllib.loads(source.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source.label}: expected a UTF-8 TOML rule file, got undecodable bytes ({exc.reason})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{source.label}: expected a TOML rule file, got a syntax error ({exc})"
        ) from None
    return parse_rules(data, source.label)


def shipped_rule_sets() -> list[str]:
    """Names of the rule sets shipped in the package (the measurement error table beside them
    is not one)."""
    from .measurement_error import MEASUREMENT_ERROR_FILE

    folder = files("formcheck").joinpath("rules")
    return sorted(
        f.name[: -len(".toml")]
        for f in folder.iterdir()
        if f.name.endswith(".toml") and f.name != MEASUREMENT_ERROR_FILE
    )
