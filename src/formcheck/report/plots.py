"""Time-series plots for the HTML report, as inline SVG text (matplotlib's SVG backend).

matplotlib is imported inside the function (it takes a moment to load), and figures are
made with `matplotlib.figure.Figure` directly, never through pyplot, so no global state
is touched. Text stays text in the SVG (``svg.fonttype = none``): smaller and sharp at any
zoom. The root ``<svg>`` keeps its ``viewBox`` but loses its fixed width and height, so
the page's CSS scales it to the screen.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.analysis import Analysis
from ..core.metrics import KNEE_BEND
from ..core.metricset import MetricSet
from ..core.ruleset import Check, Rule, RuleSet
from .build import target_text

#: Line colours (colour-blind safe pair) for the subject's left and right side.
SIDE_COLOURS = {"left": "#0072B2", "right": "#E69F00"}
THRESHOLD_COLOURS = ("#C0392B", "#6C3483", "#117A65")


@dataclass(frozen=True)
class Series:
    """One line: ``values`` ``(T,)`` (NaN = not drawn) with a legend ``label``."""

    label: str
    values: np.ndarray
    colour: str


@dataclass(frozen=True)
class Threshold:
    """A horizontal line at ``value`` with a ``label`` such as "depth: bend to at least 100°"."""

    value: float
    label: str


def time_plot_svg(
    timestamps: np.ndarray,
    series: Sequence[Series],
    *,
    title: str,
    ylabel: str,
    reps: Sequence[tuple[float, float]] = (),
    thresholds: Sequence[Threshold] = (),
    empty_message: str = "",
) -> str:
    """An SVG line plot of ``series`` over ``timestamps`` (seconds) with repetitions shaded.

    ``reps`` are ``(start_s, end_s)`` spans; ``thresholds`` are drawn as dashed lines. When
    no series has a finite value, ``empty_message`` is written in the middle instead.
    """
    import matplotlib
    from matplotlib.figure import Figure

    labels = [
        textwrap.fill(s.label, 34) for s in series if np.isfinite(np.asarray(s.values, float)).any()
    ]
    if labels:  # threshold lines only beside data
        labels += list(dict.fromkeys(textwrap.fill(th.label, 34) for th in thresholds))
    ncol = 2 if all(len(lb) <= 16 for lb in labels) else 1
    rows = sum(
        max(lb.count("\n") + 1 for lb in labels[i : i + ncol]) for i in range(0, len(labels), ncol)
    )
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "formcheck", "font.size": 10}
    ):
        fig = Figure(figsize=(4.0, 2.5 + 0.19 * rows), layout="constrained")
        ax = fig.add_subplot()
        t = np.asarray(timestamps, dtype=float)
        for k, (start, end) in enumerate(reps):
            ax.axvspan(start, end, facecolor="#888888", alpha=0.15, edgecolor="#888888", lw=0.6)
            ax.text(
                (start + end) / 2,
                1.0,
                str(k + 1),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                color="#555555",
            )
        drawn = False
        for s in series:
            v = np.asarray(s.values, dtype=float)
            if np.isfinite(v).any():
                ax.plot(t, v, color=s.colour, lw=1.6, label=textwrap.fill(s.label, 34))
                drawn = True
        styles: dict[str, tuple[str, str]] = {}
        for th in thresholds if drawn else ():
            label = textwrap.fill(th.label, 34)
            first = label not in styles
            if first:
                k = len(styles) % len(THRESHOLD_COLOURS)
                styles[label] = (THRESHOLD_COLOURS[k], ("--", "-.", ":")[k])
            colour, dash = styles[label]
            ax.axhline(
                th.value, color=colour, lw=1.3, ls=dash, label=label if first else "_nolegend_"
            )
        if not drawn:
            message = textwrap.fill(empty_message or "no data", 38)
            ax.text(
                0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="#555555"
            )
            ax.set_yticks([])
        if len(t):
            ax.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
        ax.set_title(title, loc="left", fontsize=11, pad=14)
        ax.set_xlabel("time (s)")
        ax.set_ylabel(ylabel)
        ax.grid(True, color="#dddddd", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        if labels:
            fig.legend(loc="outside lower center", ncol=ncol, fontsize=9.5, frameon=False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _responsive(buf.getvalue())


def _responsive(svg: str) -> str:
    """Drop the XML prolog, the metadata and the fixed width/height of the root element (keep
    the viewBox)."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)  # RDF boilerplate
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return f'{head} role="img" preserveAspectRatio="xMidYMid meet">{rest}'


#: The knee angle measured four ways, and the one the report shows (`knee_bend`, which picks per
#: frame the one closest to the truth from its view): a rule on any of them draws its threshold.
KNEE_ANGLES = (
    "knee_bend",
    "knee_flexion_front",
    "knee_flexion_level",
    "knee_flexion_image",
    "knee_flexion",
)

#: The report's plots: (title, metric base name drawn, base names of the same quantity whose
#: rules draw thresholds, y label, message when nothing can be drawn).
STANDARD_PLOTS = (
    (
        "Knee bend (0° = straight leg)",
        KNEE_BEND,
        KNEE_ANGLES,
        "knee flexion (°)",
        "No knee angle could be measured.",
    ),
    (
        "Knees over feet (+ = knee inward of the foot)",
        "knee_deviation",
        ("knee_deviation", "fppa"),
        "knee deviation (°)",
        "Not measurable from this view: film from the front to check knee tracking.",
    ),
    (
        "Foot angle (+ = toes out)",
        "foot_progression",
        ("foot_progression",),
        "foot angle (°)",
        "Not measurable from this view: film from the front to check the foot angle.",
    ),
)


def _checks_on(rules: RuleSet, base: str) -> Iterator[tuple[Rule, Check]]:
    """Every check of ``rules`` on metric ``base`` or its ``_left``/``_right``."""
    names = (base, f"{base}_left", f"{base}_right")
    return ((rule, c) for rule in rules.rules for c in rule.checks if c.metric in names)


def rule_thresholds(rules: RuleSet, base: str, view: str = "any") -> list[Threshold]:
    """Threshold lines of the rule checks on metric ``base`` (or its ``_left``/``_right``) that can
    judge from ``view`` (``any``: every check); a ``within`` limit is drawn at plus and minus the
    threshold. Left-right differences (``sides = abs_diff``) are not levels: skipped."""
    out: dict[float, Threshold] = {}
    for rule, check in _checks_on(rules, base):
        if check.sides == "abs_diff" or (view != "any" and not check.judgeable_from(view)):
            continue
        value, compare = check.threshold, check.compare
        label = f"{rule.title}: {target_text(compare, value, check.unit)}"
        for v in (value, -value) if compare == "within" and value else (value,):
            out.setdefault(v, Threshold(v, label))
    return list(out.values())


def judged_from(rules: RuleSet, base: str, view: str) -> bool:
    """Some rule check on ``base`` (or its ``_left``/``_right``) judges from ``view``."""
    return any(check.judgeable_from(view) for _, check in _checks_on(rules, base))


def standard_plots(analysis: Analysis) -> list[tuple[str, str]]:
    """The report's time plots of ``analysis`` (`time_plots` in the set's view)."""
    reps = analysis.reps
    spans = list(zip(reps.t_start.tolist(), reps.t_end.tolist(), strict=True))
    return time_plots(analysis.metrics, analysis.rules, analysis.view, spans)


def time_plots(
    metrics: MetricSet, rules: RuleSet, view: str, spans: Sequence[tuple[float, float]]
) -> list[tuple[str, str]]:
    """The report's time plots as ``(title, svg)``: knee bend, FPPA and foot angle, left and
    right, with the reps (``spans``, start and end in seconds) shaded and the thresholds of the
    ``rules`` that judge from ``view`` drawn; a quantity no rule judges from it is not drawn."""
    out = []
    for title, shown, bases, ylabel, empty in STANDARD_PLOTS:
        series = [
            Series(f"{side} leg", metrics[f"{shown}_{side}"].masked, SIDE_COLOURS[side])
            for side in ("left", "right")
            if f"{shown}_{side}" in metrics
        ]
        if view != "unknown" and not any(judged_from(rules, b, view) for b in bases):
            series = []  # the rules do not trust this quantity from this view: say so, draw nothing
        limits = [t for b in bases for t in rule_thresholds(rules, b, view)]
        svg = time_plot_svg(
            metrics.timestamps,
            series,
            title=title,
            ylabel=ylabel,
            reps=spans,
            thresholds=limits,
            empty_message=empty,
        )
        out.append((title, svg))
    return out
