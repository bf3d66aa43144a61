"""Batch summary: ``summary.csv`` (one row per video) and ``index.html`` (sortable table,
per-patient sessions over time).

Per video, from its digest (`formcheck.batch.digest.VideoSummary`, computed from the
`Analysis` by the worker): repetitions, score (0-100), and per rule the *pass rate*
(passed / (passed + failed) repetitions, 0-1: a borderline one, within the measurement error
of the limit, counts neither way) and the *median* measured value over judged repetitions,
in the rule's unit.

``summary.csv`` columns: ``path`` (relative to the folder searched, or as in the manifest),
``patient_id``, ``session_date``, ``view``, ``notes`` (from the manifest), ``status``
(``analysed``, ``no_person``, ``no_squat`` or ``failed``), ``error`` (the reason, without the
path), ``reps``, ``score``, ``detected_view``, ``report`` (relative link), ``sha256``, then
``<rule>_pass_rate`` and ``<rule>_median`` for every rule. Every text that came
from outside (file names, manifest notes, error messages) is HTML-escaped, and the page's
Content-Security-Policy allows only its own inline script, so a file named
``<script>...</script>.mp4`` is shown, never run.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..core.measurement_error import within_error
from ..report.files import REPORT_HTML
from .jobs import write_atomic

#: Per-video statuses: the three of ``report.json`` plus ``failed`` (no report: bad input, crash).
STATUSES = ("analysed", "no_person", "no_squat", "failed")
BASE_COLUMNS = (
    "path",
    "patient_id",
    "session_date",
    "view",
    "notes",
    "status",
    "error",
    "reps",
    "score",
    "detected_view",
    "report",
    "sha256",
)


def _num(value: Any, digits: int) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def _reason(error: str, path: Path) -> str:
    """The error without the leading ``<video path>: `` (the row already names the video)."""
    for prefix in (f"{path}: ", f"{Path(path).resolve()}: "):
        if error.startswith(prefix):
            return error[len(prefix) :]
    return error


def rule_columns(outcomes: Sequence[Any]) -> list[tuple[str, str, str]]:
    """``(rule, title, unit)`` of every rule seen in any video, in first-seen order."""
    seen: dict[str, tuple[str, str, str]] = {}
    for o in outcomes:
        rules = o.result.summary.rules if o.result.summary is not None else {}
        for name, r in rules.items():
            seen.setdefault(name, (name, r.title, r.unit))
    return list(seen.values())


def summary_rows(outcomes: Sequence[Any], outdir: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Column names and one row of strings per video (sorted by video name).

    ``outcomes`` are `formcheck.batch.run.Outcome`; ``report`` is relative to ``outdir``.
    """
    rules = rule_columns(outcomes)
    columns = list(BASE_COLUMNS)
    for name, _, _ in rules:
        columns += [f"{name}_pass_rate", f"{name}_median"]
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.entry.name, str(o.entry.path))):
        s, e = o.result.summary, o.entry
        status = o.result.outcome
        report = ""
        if (
            o.job_dir is not None
            and (Path(o.job_dir) / REPORT_HTML).is_file()
            and status != "failed"
        ):
            report = Path(o.job_dir).relative_to(outdir).joinpath(REPORT_HTML).as_posix()
        error = _reason(o.result.error, e.path) or (
            "" if s is None or status == "analysed" else s.message
        )
        row = {
            "path": Path(e.name).name if Path(e.name).is_absolute() else e.name,  # no folders
            "patient_id": e.patient_id,
            "session_date": e.session_date,
            "view": e.view,
            "notes": e.notes,
            "status": status,
            "error": error,
            "reps": "" if s is None else str(s.reps),
            "score": _num(None if s is None else s.score, 1),
            "detected_view": "" if s is None else s.detected_view,
            "report": report,
            "sha256": o.result.sha256,
        }
        for name, _, _ in rules:
            r = None if s is None else s.rules.get(name)
            row[f"{name}_pass_rate"] = _num(None if r is None else r.pass_rate, 3)
            row[f"{name}_median"] = _num(None if r is None else r.median, 2)
            # what the median measured, for the per-patient view (not summary.csv columns)
            row[f"{name}_metric"] = (None if r is None else r.metric) or ""
            row[f"{name}_measured_view"] = (None if r is None else r.view) or ""
        rows.append(row)
    return columns, rows


def write_summary_csv(
    path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]
) -> None:
    """``summary.csv`` (UTF-8, header row, written atomically)."""
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buf.getvalue())


# ---- index.html ---------------------------------------------------------------------------------

_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('thead th').forEach(function (th, i) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      t.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      function key(r) {
        var c = r.cells[i], v = c.getAttribute('data-v'); v = v === null ? c.textContent : v;
        var n = parseFloat(v); return v === '' ? null : (isNaN(n) ? v.toLowerCase() : n);
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
        if (typeof x !== typeof y) { x = String(x); y = String(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

_CSS = """
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
 color:#1d1d1f;background:#f4f5f7}
main{max-width:1400px;margin:0 auto;padding:16px}
h1{font-size:1.4rem;margin:.2em 0}h2{font-size:1.15rem;margin:1.2em 0 .4em}
h3{font-size:1rem;margin:1em 0 .3em}
section{background:#fff;border-radius:10px;padding:14px;margin:12px 0;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
.wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;min-width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.d{white-space:nowrap}
table.trend{min-width:0}table.trend th{font-weight:400;color:#333}
thead th{background:#fafafa;white-space:nowrap;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
.analysed{color:#1e8449}.failed{color:#c0392b;font-weight:600}.no_person,.no_squat{color:#b9770e}
.err{color:#555;max-width:28rem;overflow-wrap:anywhere}
.sub{color:#555}
svg.spark{vertical-align:middle}
td small{display:block;font-size:.78rem;text-align:right;white-space:normal;min-width:9rem}
table.trend tr:has(+tr.change)>*{border-bottom:0;padding-bottom:0}
tr.change td{font-size:.85rem;padding-top:0}
.real{color:#1d1d1f;font-weight:600}.within,.unknown,.nc{color:#666}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _sparkline(
    values: Sequence[float | None], labels: Sequence[str], width: int = 140, height: int = 30
) -> str:
    """Inline SVG polyline through the known ``values`` (gaps skipped), one dot per session."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if not pts:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = (hi - lo) or 1.0
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return 4 + (width - 8) * i / n, height - 4 - (height - 8) * (v - lo) / span

    coords = [xy(i, v) for i, v in pts]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>' for x, y in coords)
    title = ", ".join(f"{labels[i]}: {v:g}" for i, v in pts)
    return (
        f'<svg class="spark" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
        f"<title>{_esc(title)}</title>"
        f'<polyline points="{line}" fill="none" stroke="#2c6fbb" stroke-width="1.5"/>'
        f'<g fill="#2c6fbb">{dots}</g></svg>'
    )


def _cell(value: str, numeric: bool = False, cls: str = "") -> str:
    cls = "n" if numeric else cls
    return f'<td class="{cls}">{_esc(value)}</td>' if cls else f"<td>{_esc(value)}</td>"


def _status_cell(row: Mapping[str, str]) -> str:
    return f'<td class="{_esc(row["status"])}">{_esc(row["status"])}</td>'


def _video_cell(row: Mapping[str, str]) -> str:
    if row["report"]:
        return f'<td><a href="{_esc(quote(row["report"]))}">{_esc(row["path"])}</a></td>'
    return _cell(row["path"])


def _main_table(
    rows: Sequence[Mapping[str, str]], rules: Sequence[tuple[str, str, str]], with_patients: bool
) -> str:
    head = (
        ["Video"]
        + (["Patient", "Session"] if with_patients else [])
        + ["Status", "Reps", "Score", "View"]
    )
    head += ["Notes / error"] + [f"{title} pass" for _, title, _ in rules]
    out = ['<div class="wrap"><table class="sortable" id="videos"><thead><tr>']
    out += [f'<th scope="col">{_esc(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells = [_video_cell(r)]
        if with_patients:
            cells += [_cell(r["patient_id"]), _cell(r["session_date"], cls="d")]
        cells.append(_status_cell(r))
        cells += [
            _cell(r["reps"], True),
            _cell(r["score"], True),
            _cell(r["detected_view"] or r["view"]),
        ]
        note = "; ".join(x for x in (r["notes"], r["error"]) if x)
        cells.append(f'<td class="err">{_esc(note)}</td>')
        for name, _, _ in rules:
            rate = r[f"{name}_pass_rate"]
            shown = f"{float(rate) * 100:.0f}%" if rate else ""
            cells.append(f'<td class="n" data-v="{_esc(rate)}">{_esc(shown)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _change(
    before: Mapping[str, str], after: Mapping[str, str], name: str, unit: str, errors: Any
) -> tuple[str, str]:
    """``(text, css class)`` for the change of rule ``name``'s median from session ``before`` to
    session ``after``: ``real`` only when it exceeds the measurement error of what was measured
    from that view (`formcheck.core.measurement_error`), else ``within``; ``nc`` when the two
    sessions measured differently (another view or metric), ``unknown`` when no error is known.
    The error is that of the value the rule judges from that view (``rule.<name>``), else its
    metric's (`MeasurementErrors.rule_error`)."""
    a, b = float(before[f"{name}_median"]), float(after[f"{name}_median"])
    delta = b - a
    what = [(r[f"{name}_metric"], r[f"{name}_measured_view"]) for r in (before, after)]
    u = f" {unit}" if unit else ""
    if what[0] != what[1] and all(view for _, view in what):
        views = " then ".join(dict.fromkeys(v or "unknown" for _, v in what))
        return f"{delta:+.1f}{u}: not comparable (measured differently: {views} view)", "nc"
    metric, view = what[0]
    # the rule's judged value's error, else its metric's; no metric recorded = a left-right
    # difference (`batch.digest`), which only its rule's entry describes
    sides = "worst" if metric else "abs_diff"
    error = errors.rule_error(name, metric, np.array([view], dtype=object), sides)[0]
    if what[0] != what[1] or not np.isfinite(error):
        return f"{delta:+.1f}{u}: no known measurement error", "unknown"
    margin = f"\u00b1{error:g}{u} from the {view}"
    if within_error(delta, error):
        return f"{delta:+.1f}{u}: within measurement error ({margin})", "within"
    return f"{delta:+.1f}{u}: real change (beyond {margin})", "real"


def _patient(
    patient: str,
    sessions: list[Mapping[str, str]],
    rules: Sequence[tuple[str, str, str]],
    errors: Any,
) -> str:
    """One patient: a trend table (sparkline, first and last value of the score and of each
    rule's median that was measured, and whether that change is beyond the measurement error)
    and the sessions in date order, each median with its change from the session before."""
    labels = [r["session_date"] or r["path"] for r in sessions]
    measured = [
        (name, f"{title} ({unit})" if unit else title, unit)
        for name, title, unit in rules
        if any(r[f"{name}_median"] for r in sessions)
    ]
    out = [f"<h3>{_esc(patient)}</h3>", '<div class="wrap"><table class="trend"><tbody>']
    for name, label, unit in [("", "Score (0-100)", ""), *measured]:
        col = f"{name}_median" if name else "score"
        values = [float(r[col]) if r[col] else None for r in sessions]
        known = [v for v in values if v is not None]
        if not known:
            continue
        change = f"{known[0]:g} \u2192 {known[-1]:g}" if len(known) > 1 else f"{known[0]:g}"
        verdict = ""
        if name and len(known) > 1:  # first to last session, on a line of its own (fits a phone)
            seen = [r for r in sessions if r[col]]
            text, cls = _change(seen[0], seen[-1], name, unit, errors)
            verdict = f'<tr class="change"><td colspan="3" class="{cls}">{_esc(text)}</td></tr>'
        out.append(
            f'<tr><th scope="row">{_esc(label)}</th><td>{_sparkline(values, labels)}</td>'
            f'<td class="n">{_esc(change)}</td></tr>{verdict}'
        )
    out.append("</tbody></table></div>")
    head = ["Session", "Video", "Status", "Reps", "Score", *(label for _, label, _ in measured)]
    out.append('<div class="wrap"><table class="sortable"><thead><tr>')
    out += [f'<th scope="col">{_esc(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    last: dict[str, Mapping[str, str]] = {}  # per rule, the latest earlier session measuring it
    for r in sessions:
        cells = [
            _cell(r["session_date"], cls="d"),
            _video_cell(r),
            _status_cell(r),
            _cell(r["reps"], True),
            _cell(r["score"], True),
        ]
        for name, _, unit in measured:
            value = r[f"{name}_median"]
            note = ""
            if value and name in last:
                text, cls = _change(last[name], r, name, unit, errors)
                note = f'<small class="{cls}">{_esc(text)}</small>'
            if value:
                last[name] = r
            cells.append(f'<td class="n" data-v="{_esc(value)}">{_esc(value)}{note}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _patients(rows: Sequence[Mapping[str, str]], rules: Sequence[tuple[str, str, str]]) -> str:
    by_patient: dict[str, list[Mapping[str, str]]] = {}
    for r in rows:
        if r["patient_id"]:
            by_patient.setdefault(r["patient_id"], []).append(r)
    if not by_patient:
        return ""
    from ..core.measurement_error import load_measurement_errors

    errors = load_measurement_errors()
    out = [
        "<section><h2>Patients: sessions over time</h2>",
        '<p class="sub">A change between sessions is called real only when it is larger than the '
        "measurement error of that measure from that camera view (mean error against known "
        "angles, see formcheck/rules/measurement_error.toml); smaller changes are within "
        "measurement error, and the two sessions may not differ at all.</p>",
    ]
    for patient in sorted(by_patient):
        sessions = sorted(by_patient[patient], key=lambda r: (r["session_date"], r["path"]))
        out.append(_patient(patient, sessions, rules, errors))
    out.append("</section>")
    return "\n".join(out)


def render_index(
    rows: Sequence[Mapping[str, str]],
    rules: Sequence[tuple[str, str, str]],
    title: str = "formcheck batch",
) -> str:
    """The whole ``index.html`` page: no network, one inline script allowed by its hash."""
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'"
    )
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    facts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    with_patients = any(r["patient_id"] for r in rows)
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en"><head><meta charset="utf-8">',
                f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>",
                f"<h1>{_esc(title)}</h1>",
                f'<p class="sub">{len(rows)} videos: {_esc(facts)}. '
                "Click a column heading to sort; pass = share of the repetitions that passed or "
                "failed the rule that passed it (borderline ones, within the measurement error "
                "of the limit, count neither way). Table also in "
                '<a href="summary.csv">summary.csv</a>.</p>',
                f"<section>{_main_table(rows, rules, with_patients)}</section>",
                _patients(rows, rules),
                f"</main><script>{_SCRIPT}</script></body></html>",
            ]
        )
        + "\n"
    )


def write_summary(outdir: Path, outcomes: Sequence[Any]) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``index.html`` into ``outdir``; returns both paths."""
    columns, rows = summary_rows(outcomes, outdir)
    csv_path, html_path = outdir / "summary.csv", outdir / "index.html"
    write_summary_csv(csv_path, columns, rows)
    write_atomic(html_path, render_index(rows, rule_columns(outcomes)))
    return csv_path, html_path
