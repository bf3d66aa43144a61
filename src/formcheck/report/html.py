"""``report.html``: one self-contained page (inline CSS, inline SVG plots, images as data URIs).

The page needs no network and no script. It is laid out for a phone first (one column,
text that wraps, images and plots that shrink to the screen); only the per-rep table may
scroll sideways, inside its own wrapper. Everything shown comes from the report dict
(see ``schema.json``); the plots and bottom-frame stills are passed in ready-made.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1d1d1f;background:#f4f5f7}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:.2em 0 .1em;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0 0 .5em}
section{background:#fff;border-radius:12px;padding:16px;margin:14px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.sub{color:#555;font-size:.9rem;margin:0;overflow-wrap:anywhere}
.verdict{display:flex;flex-wrap:wrap;gap:16px;align-items:center}
.score{flex:0 0 auto;width:6.5rem;height:6.5rem;border-radius:50%;display:flex;flex-direction:column;
 align-items:center;justify-content:center;color:#fff;font-weight:700;font-size:2rem;line-height:1}
.score small{font-size:.8rem;font-weight:400;margin-top:4px}
.score small+small{margin-top:1px;font-weight:600}
.good{background:#1e8449}.fair{background:#b9770e}.poor{background:#c0392b}.none{background:#7f8c8d}
.verdict p{flex:1 1 14rem;margin:0;font-size:1.1rem}
.facts{display:flex;flex-wrap:wrap;gap:8px 20px;margin:12px 0 0;padding:0;list-style:none;color:#444;
 font-size:.95rem}
ol.cues{margin:0;padding-left:1.4em;font-size:1.1rem}
ol.cues li{margin:.3em 0}
ul.hints{margin:0;padding-left:1.2em}
video{display:block;width:100%;max-height:80vh;background:#000;border-radius:8px}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;
 background:linear-gradient(to right,#fff 30%,rgba(255,255,255,0)) left/32px 100% no-repeat local,
 linear-gradient(to left,#fff 30%,rgba(255,255,255,0)) right/32px 100% no-repeat local,
 radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.28),transparent) left/14px 100% no-repeat scroll,
 radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.28),transparent) right/14px 100% no-repeat scroll}
.scroll-hint{display:none;color:#555;font-size:.85rem;margin:.2em 0 .4em}
.scroll-hint.wide{display:block}@media (max-width:600px){.scroll-hint{display:block}}
table{border-collapse:collapse;font-size:.92rem;min-width:100%}
th,td{padding:6px 8px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
thead th{white-space:nowrap}thead tr{border-bottom:2px solid #ddd}
th[scope=row]{font-weight:600;min-width:9rem}
th[scope=row] span{display:block;font-weight:400;color:#666;font-size:.82rem}
th[scope=row] span.measure{font-size:.74rem;color:#767676;max-width:18em}
@media (max-width:600px){th[scope=row] span.measure{display:none}}
td{white-space:nowrap}
.pass{color:#1e8449}.fail{color:#c0392b;font-weight:600}.nj{color:#888}.bl{color:#9a6700}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(135px,1fr));gap:12px}
@media (min-width:700px){.grid{grid-template-columns:repeat(auto-fill,minmax(210px,1fr))}}
figure{margin:0}
figure img{display:block;width:100%;height:auto;border-radius:8px;background:#ddd}
figcaption{font-size:.88rem;color:#333;margin-top:4px}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:16px}
.plots svg{display:block;width:100%;height:auto}
details{margin-top:8px}
summary{cursor:pointer;font-weight:600}
.facts li.wide{flex-basis:100%}.facts details{margin:0}.facts summary{font-weight:400}
.seen{margin:4px 0 0;padding-left:20px;font-size:.9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0 0;font-size:.9rem}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.rule{margin:10px 0;font-size:.92rem}
.rule q{color:#555;display:block;margin-top:2px}
code{font-size:.85em;overflow-wrap:anywhere}
@media print{
@page{size:A4;margin:14mm 12mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;font-size:10.5pt;line-height:1.4}
main{max-width:none;padding:0}
section{box-shadow:none;border:1px solid #ddd;border-radius:6px;margin:0 0 10px;padding:10px 12px;
 break-inside:avoid-page}
section.video,.scroll-hint{display:none}
section.new-page{break-before:page;break-inside:auto}
h2{break-after:avoid-page}
.table-wrap{overflow:visible;background:none}
table{font-size:8.5pt;min-width:0;width:100%}
th,td{padding:3px 4px}th[scope=row]{min-width:0}
figure,.plots svg,tr{break-inside:avoid-page}
.grid{grid-template-columns:repeat(4,1fr);gap:8px}
.plots{grid-template-columns:1fr 1fr;gap:10px}
details::details-content{content-visibility:visible;display:block}
summary{list-style:none}
a{color:inherit;text-decoration:none}
}
"""

#: Rep columns of the rep table that fit beside the check names: 1 on a 390-pixel phone (2 fit
#: with "✗ 107°" cells, but not with "✓ 0.56 hip widths" ones: the bundled front sample's two reps
#: scroll sideways there), 10 in the page's widest layout (980 px), measured in headless Chromium.
#: The report allows no scripts (its Content-Security-Policy), so this cannot be measured live.
PHONE_REP_COLUMNS, WIDE_REP_COLUMNS = 1, 10

_STATUS = {
    "pass": ("pass", "\u2713"),
    "fail": ("fail", "\u2717"),
    "borderline": ("bl", "\u2248"),
    "not_judged": ("nj", "\u2013"),
}
_STATUS_WORDS = {
    "pass": "pass",
    "fail": "fail",
    "borderline": "borderline: within the measurement error of the limit",
    "not_judged": "not judged",
}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


#: What each grade (`formcheck.core.scoring.SetScore.grade`) is called under the score.
_GRADE_WORDS = {"good": "good", "fair": "needs work", "poor": "poor"}


def _grade(summary: Mapping[str, Any]) -> str:
    """The set's grade (``good``, ``fair``, ``poor``) or ``none``: as scoring decided it, which
    weighs the failed checks, not only the average."""
    return summary.get("grade") or "none"


def format_value(value: float | None, unit: str) -> str:
    """A measured value for people: ``112°``, ``4.1 cm``, ``1.3×``; empty when unknown."""
    if value is None:
        return ""
    u = unit.strip()
    if u.lower() in ("deg", "degree", "degrees", "°"):
        return f"{value:.0f}\u00b0"
    if u.lower() in ("ratio", "x", "\u00d7"):
        return f"{value:.2f}\u00d7"
    if u in ("%", "percent"):
        return f"{value:.0f}%"
    if u.lower() == "s":
        return f"{value:.1f} s"
    digits = 2 if abs(value) < 10 and u != "cm" else 1 if abs(value) < 100 else 0
    return f"{value:.{digits}f} {u}".strip()


def format_value_error(value: float | None, error: float | None, unit: str) -> str:
    """A measured value with its measurement error to the value's precision: ``11 ± 3°``,
    ``4.1 ± 2.1 cm``; the value alone (`format_value`) when the error is unknown."""
    text = format_value(value, unit)
    found = re.match(r"-?\d+(?:\.\d+)?", text)
    if error is None or found is None:
        return text
    number = found.group()
    digits = len(number.partition(".")[2])
    return text.replace(number, f"{number} \u00b1 {error:.{digits}f}", 1)


def verdict_section(summary: Mapping[str, Any], facts: list[str], after: str = "") -> str:
    """The score badge with its grade word, the verdict sentence and the list of facts (``<li>``
    items) under it; ``after`` is HTML for sections that follow inside the page's flow."""
    score, grade = summary["score"], _grade(summary)
    word = f"<small>{_GRADE_WORDS[grade]}</small>" if grade in _GRADE_WORDS else ""
    inner = f"{score:.0f}<small>of 100</small>{word}" if score is not None else "&ndash;"
    return (
        f'<section aria-label="verdict"><div class="verdict">'
        f'<div class="score {grade}">{inner}</div>'
        f"<p>{_e(summary['verdict'])}</p></div>"
        f'<ul class="facts">{"".join(facts)}</ul></section>{after}'
    )


def _verdict(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    video = report["video"]
    facts = [
        f"<li><b>{s['rep_count']}</b> rep{'s' if s['rep_count'] != 1 else ''}</li>",
        f"<li>Camera view: <b>{_e(report['view'])}</b></li>",
        f"<li>Video: {video['duration_s']:.1f} s, {video['fps']:.4g} fps, "
        f"{video['width']}&times;{video['height']}</li>",
    ]
    if report.get("people", {}).get("seen", 1) > 1:
        facts.append(f"<li>{_e(report['people']['note'])}</li>")
    if report.get("not_counted"):  # since schema 1.1
        counts: dict[str, int] = {}
        for item in report["not_counted"]:
            counts[item["movement"]] = counts.get(item["movement"], 0) + 1
        seen = ", ".join(f"{n} {m}{'s' if n != 1 else ''}" for m, n in counts.items())
        each = "".join(
            f"<li>{item['start_s']:.1f}-{item['end_s']:.1f} s: {_e(item['movement'])}, "
            f"{_e(item['reason'])}</li>"
            for item in report["not_counted"]
        )
        facts.append(
            f'<li class="wide"><details><summary>Also seen, not counted: <b>{_e(seen)}</b>'
            f'</summary><ul class="seen">{each}</ul></details></li>'
        )
    return verdict_section(s, facts)


def _cues(report: Mapping[str, Any]) -> str:
    cues = report["summary"]["top_cues"]
    if not cues:
        return ""
    items = "".join(f"<li>{_e(c)}</li>" for c in cues)
    return f'<section><h2>What to work on</h2><ol class="cues">{items}</ol></section>'


def _not_judged(report: Mapping[str, Any]) -> str:
    nj = report["summary"]["not_judged"]
    if not nj:
        return ""
    hints: dict[str, list[str]] = {}
    for item in nj:
        hints.setdefault(item["hint"], []).append(item["title"])
    items = "".join(
        f"<li>{_e(h)} <span class='sub'>({_e(', '.join(t))})</span></li>" for h, t in hints.items()
    )
    return (
        f"<section><h2>Not checked from this view</h2>"
        f"<p class='sub'>Seen from the {_e(report['view'])}, some things cannot be measured reliably.</p>"
        f'<ul class="hints">{items}</ul></section>'
    )


def too_close_section(report: Mapping[str, Any]) -> str:
    """The checks this camera could not call: every judged rep within the measurement error of
    the limit (``summary.too_close``); empty when there are none."""
    items = "".join(
        f"<li>{_e(item['title'])}: {_e(_too_close_text(item))}</li>"
        for item in report["summary"].get("too_close", [])
    )
    if not items:
        return ""
    return (
        "<section><h2>Too close to call</h2><p class='sub'>On every rep these checks measured a "
        "value within this camera view's measurement error of the limit: listed as borderline, "
        f'neither passed nor failed.</p><ul class="hints">{items}</ul></section>'
    )


def _too_close_text(item: Mapping[str, Any]) -> str:
    """``12 reps within ±5° of the limit (12°)``."""
    n, unit = item["n_borderline"], item["unit"]
    reps = f"{n} rep{'s' if n != 1 else ''}"
    limit = format_value(item["threshold"], unit)
    if item["error"] is None:
        return f"{reps} near the limit ({limit})"
    return f"{reps} within \u00b1{format_value(item['error'], unit)} of the limit ({limit})"


def _video(href: str | None) -> str:
    if not href:
        return ""
    h = _e(href)
    return (
        f'<section class="video"><h2>Annotated video</h2>'
        f'<video controls playsinline preload="metadata" src="{h}"></video>'
        f"<p class='sub'>If it does not play here, open <a href=\"{h}\">{h}</a>.</p></section>"
    )


def _rep_table(report: Mapping[str, Any]) -> str:
    reps = report["reps"]
    if not reps:
        return ""
    titles = {r["name"]: (r["title"], r.get("target", "")) for r in report["rules"]}
    measures = {r["name"]: r.get("measure", "") for r in report["rules"]}
    names = list(titles) + [n for rep in reps for n in rep["rules"] if n not in titles]
    names = list(dict.fromkeys(names))
    head = "".join(f'<th scope="col">Rep {rep["index"]}</th>' for rep in reps)
    scores = "".join(
        f"<td><b>{r['score']:.0f}</b></td>" if r["score"] is not None else "<td>&ndash;</td>"
        for r in reps
    )
    rows = [f'<tr><th scope="row">Score</th>{scores}</tr>']
    # say that the table scrolls where it will not fit: on a phone, or on any screen when long
    many = " wide" if len(reps) > WIDE_REP_COLUMNS else ""
    hint = (
        f'<p class="scroll-hint{many}">Scroll the table sideways to see all {len(reps)} reps '
        "\u2192</p>"
        if len(reps) > PHONE_REP_COLUMNS
        else ""
    )
    for name in names:
        title, target = titles.get(name, (name, ""))
        cells = []
        for rep in reps:
            res = rep["rules"].get(name)
            if res is None:
                cells.append("<td></td>")
                continue
            cls, mark = _STATUS[res["status"]]
            word = _STATUS_WORDS[res["status"]]
            value = (
                _e(format_value_error(res["value"], res.get("error"), res["unit"]))
                if res["status"] != "not_judged"
                else ""
            )
            cells.append(f'<td class="{cls}" title="{word}">{mark} {value}</td>')
        sub = f"<span>{_e(target)}</span>" if target else ""
        if measures.get(name):
            sub += f'<span class="measure">{_e(measures[name])}</span>'
        rows.append(f'<tr><th scope="row">{_e(title)}{sub}</th>{"".join(cells)}</tr>')
    return (
        '<section class="new-page"><h2>Rep by rep</h2>'
        '<p class="sub"><span class="pass">\u2713 pass</span> &nbsp; <span class="fail">\u2717 fail</span> '
        '&nbsp; <span class="bl">\u2248 borderline: within the measurement error of the limit, '
        "not counted as a fail</span> "
        '&nbsp; <span class="nj">\u2013 not judged from this view</span></p>'
        '<p class="sub">Values read \u00b1 their measurement error from this view, where known.</p>'
        f"{hint}"
        '<div class="table-wrap" tabindex="0" role="region" aria-label="rep by rep results">'
        f'<table><thead><tr><th scope="col">Check</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        "</div></section>"
    )


def _stills(report: Mapping[str, Any], stills: Mapping[int, bytes]) -> str:
    figs = []
    for rep in report["reps"]:
        jpeg = stills.get(rep["index"])
        if jpeg is None:
            continue
        titles = {r["name"]: r["title"] for r in report["rules"]}
        failing = [
            f"{titles.get(n, n)} ({format_value(r['value'], r['unit'])})"
            for n, r in rep["rules"].items()
            if r["status"] == "fail"
        ]
        what = "; ".join(failing) if failing else "every check that could be judged passed"
        uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        figs.append(
            f'<figure><img src="{uri}" alt="Rep {rep["index"]} at its lowest point" loading="lazy">'
            f"<figcaption><b>Rep {rep['index']}</b> at the bottom ({rep['bottom_s']:.1f} s): {_e(what)}"
            "</figcaption></figure>"
        )
    if not figs:
        return ""
    return (
        '<section class="new-page"><h2>Each rep at its lowest point</h2>'
        f'<div class="grid">{"".join(figs)}</div></section>'
    )


def _plots(plots: Sequence[tuple[str, str]]) -> str:
    if not plots:
        return ""
    figs = "".join(f'<figure aria-label="{_e(title)}">{svg}</figure>' for title, svg in plots)
    return (
        "<section class='new-page'><h2>Over time</h2><p class='sub'>Grey bands are the reps; "
        "dashed lines are the limits "
        f'the checks use.</p><div class="plots">{figs}</div></section>'
    )


def _about(report: Mapping[str, Any]) -> str:
    v = report["versions"]
    rules = "".join(
        f'<div class="rule"><b>{_e(r["title"])}</b>'
        + (f" &mdash; {_e(r['target'])}" if r.get("target") else "")
        + (f"<br>Measured: {_e(r['measure'])}" if r.get("measure") else "")
        + f"<br>Cue: {_e(r['cue'])}"
        + (f"<q>{_e(r['source'])}</q>" if r.get("source") else "")
        + "</div>"
        for r in report["rules"]
    )
    facts = [
        ("Rule set", v["rule_set"]),
        ("formcheck", v["formcheck"]),
        ("MediaPipe", v["mediapipe"]),
        ("Pose model SHA-256", v["model_sha256"] or "unknown"),
        ("Video", report["video"]["path"]),
        ("Analysed", report.get("generated_at", "")),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(val)}</code></dd>" for k, val in facts if val)
    return (
        "<section class='new-page'><h2>How this was measured</h2>"
        "<p class='sub'>Angles come from a pose model that estimates body landmarks in each frame; "
        "they are estimates from one camera, not lab measurements.</p>"
        f"<p class='sub'>Rule set <b>{_e(v['rule_set'])}</b> &middot; formcheck {_e(v['formcheck'])} "
        "&middot; "
        f"MediaPipe {_e(v['mediapipe'])} &middot; pose model {_e((v['model_sha256'] or 'unknown')[:12])}</p>"
        f"<details><summary>The checks and where they come from</summary>{rules}</details>"
        f"<details><summary>Versions</summary><dl>{dl}</dl></details></section>"
    )


def render_html(
    report: Mapping[str, Any],
    *,
    plots: Sequence[tuple[str, str]] = (),
    stills: Mapping[int, bytes] | None = None,
    video_href: str | None = None,
) -> str:
    """The whole page for ``report``: ``plots`` are ``(title, inline svg)``, ``stills`` JPEG
    bytes per rep index, ``video_href`` the annotated video's path relative to the page."""
    name = report["video"]["path"].replace("\\", "/").rsplit("/", 1)[-1]
    body = [
        f"<header><h1>Squat check</h1><p class='sub'>{_e(name)}</p></header>",
        _verdict(report),
        _cues(report),
        too_close_section(report),
        _not_judged(report),
    ]
    if report["reps"]:
        body += [
            _video(video_href),
            _rep_table(report),
            _stills(report, stills or {}),
            _plots(plots),
        ]
    elif report["status"] != "no_person":  # show what was seen: the knee bend over time
        body += [_video(video_href), _plots(plots)]
    body.append(_about(report))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:; media-src 'self' file:\">"
        f"<title>Squat check: {_e(name)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(b for b in body if b)}</main></body></html>\n"
    )
