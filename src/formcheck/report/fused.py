"""``formcheck analyze A.mp4 B.mp4``: one report for a set filmed by several cameras.

Each video is analysed as on its own (`formcheck.report.pipeline.run`: its full report, annotated
video and stills go into a subfolder named after it); `formcheck.core.fusion.fuse` then makes one
verdict, written as ``report.json`` (the single-video schema plus a ``fusion`` section: the
sources with path, view, offset and fps, and per rep and rule the source that judged it) and one
``report.html`` for the set: the verdict, the offset with its confidence, the rep table with the
camera of every check, both cameras' bottom-of-rep stills side by side and both annotated videos.
Everything is written into a staging folder and moved into OUTDIR only when all of it succeeded.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.fusion import SAME_SET, SAME_SET_MIN_CORRELATION, SEPARATE_SETS, FusedAnalysis, fuse
from ..errors import InputError, NoPersonError
from .build import _number, _rep_entry, package_version, rules_section
from .files import ANNOTATED_MP4, REPORT_HTML, REPORT_JSON
from .html import _CSS, _STATUS, _cues, _e, format_value, too_close_section, verdict_section
from .pipeline import AnalyzeOptions, AnalyzeResult, run
from .schema import SCHEMA_VERSION, validate

#: How a view is named as a camera in the page ("Front camera").
_CAMERA = {"front": "front", "side": "side", "oblique": "45°", "unknown": "other"}


@dataclass
class FusedResult:
    """Outcome of `run_fused`: exit code, the report dict, the folder, the fusion."""

    exit_code: int
    report: dict[str, Any]
    outdir: Path
    fused: FusedAnalysis | None = None


def subfolder_names(videos: list[Path]) -> list[str]:
    """A folder name per video for its own report: its stem made file-name safe, numbered where
    two are the same."""
    stems = [re.sub(r"[^A-Za-z0-9._-]+", "_", v.stem) or "video" for v in videos]
    if len(set(stems)) < len(stems):
        stems = [f"{i + 1}-{s}" for i, s in enumerate(stems)]
    return stems


def source_labels(videos: list[Path]) -> list[str]:
    """How the report names each video: its file name, numbered where two are the same (the
    folder is left out: folder names are often patients' names)."""
    names = [v.name for v in videos]
    if len(set(names)) < len(names):
        names = [f"{i + 1}-{n}" for i, n in enumerate(names)]
    return names


def run_fused(
    videos: list[Path],
    base: AnalyzeOptions,
    *,
    mode: str | None = None,
    offset_s: float | None = None,
    landmarks: list[Path] | None = None,
    console: Any = None,
) -> FusedResult:
    """Analyse ``videos`` (two or more of one person) and write one fused report into
    ``base.outdir`` (module docstring).

    Parameters
    ----------
    videos : list[Path]
        The videos, any order.
    base : AnalyzeOptions
        Options shared by all videos (rules, model, ``write_video``...); ``video`` and
        ``landmarks`` are set per video.
    mode : str or None
        `SAME_SET` or `SEPARATE_SETS` to force one; None decides from the movement.
    offset_s : float or None
        With two videos, seconds the second started after the first (same set implied).
    landmarks : list[Path] or None
        A landmark cache per video, in the order of ``videos``.

    Raises
    ------
    InputError
        Two videos with the same file, an offset with more than two videos, a forced same set
        whose reps cannot be matched.
    NoPersonError
        A video without a squat: it cannot be matched with the others.
    """
    from .outputs import staged_outputs

    if len({v.resolve() for v in videos}) < len(videos):
        raise InputError(f"{videos[0]}: the same video is given twice, expected different videos")
    if offset_s is not None and len(videos) != 2:
        raise InputError(f"--offset: expected exactly two videos, got {len(videos)}")
    if landmarks and len(landmarks) != len(videos):
        raise InputError(
            f"--landmarks: expected one cache per video ({len(videos)}), got {len(landmarks)}"
        )
    from ..media.video import check_size, probe

    for video in videos:  # every video readable before the pose model starts on the first
        check_size(probe(video))
    names = subfolder_names(videos)
    results: list[AnalyzeResult] = []
    owned = (REPORT_HTML, REPORT_JSON)
    with staged_outputs(base.outdir, owned=owned) as stage:
        for k, (video, name) in enumerate(zip(videos, names, strict=True)):
            options = replace(
                base,
                video=video,
                outdir=stage / name,
                landmarks=landmarks[k] if landmarks else None,
            )
            results.append(run(options))
        for video, res in zip(videos, results, strict=True):
            if res.exit_code or res.analysis is None:
                raise NoPersonError(
                    f"{video}: {res.report['message']} It cannot be matched with the other videos."
                )
        labels = source_labels(videos)
        items = [(label, r.analysis) for label, r in zip(labels, results, strict=True)]
        offsets = {labels[1]: offset_s} if offset_s is not None else None
        if offset_s is not None and mode is None:
            mode = SAME_SET
        fused = fuse(items, mode=mode, offsets=offsets)  # type: ignore[arg-type]
        _check_matched(fused)
        report = build_fused_report(fused, names=dict(zip(labels, names, strict=True)))
        validate(report)
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        (stage / REPORT_JSON).write_text(text, encoding="utf-8")
        stills = {label: r.stills for label, r in zip(labels, results, strict=True)}
        page = render_fused_html(report, fused, stills, write_video=base.write_video)
        (stage / REPORT_HTML).write_text(page, encoding="utf-8")
        for name in names:  # a re-run: the videos' folders are replaced as a whole
            if (base.outdir / name).is_dir():
                shutil.rmtree(base.outdir / name)
    if console is not None:
        console.print(f"[bold]{_headline(report)}[/bold]")
        console.print(report["summary"]["verdict"])
        console.print(f"report: {base.outdir / REPORT_HTML}")
    return FusedResult(0, report, base.outdir, fused)


def _check_matched(fused: FusedAnalysis) -> None:
    """Raise `InputError` when a forced same set has a video none of whose reps pair."""
    if not fused.same_set:
        return
    for s, src in enumerate(fused.sources[1:], start=1):
        paired = ((fused.rep_index[:, 0] >= 0) & (fused.rep_index[:, s] >= 0)).any()
        if not paired:
            how = (
                f"at the offset given ({src.offset_s:+.2f} s)"
                if src.sync.manual
                else f"(movement correlation {src.sync.correlation:.2f})"
            )
            raise InputError(
                f"{src.path}: no rep lines up with a rep of {fused.sources[0].path} {how}; "
                "give the offset with --offset SECONDS or use --separate-sets"
            )


def _headline(report: dict[str, Any]) -> str:
    f = report["fusion"]
    if f["mode"] == SEPARATE_SETS:
        return "Separate sets: each video's reps judged from its own camera"
    other = f["sources"][1]
    return f"Same set, {len(f['sources'])} cameras: {_offset_words(other)}"


def _offset_words(src: dict[str, Any]) -> str:
    """``side.mp4 starts 1.30 s later (correlation 0.99)`` for a source entry."""
    off = src["offset_s"]
    when = f"{abs(off):.2f} s {'later' if off > 0 else 'earlier'}" if off else "at the same time"
    how = (
        "given by hand"
        if src["manual"]
        else f"movement correlation {src['correlation']:.2f}"
        if src["correlation"] is not None
        else "not measured"
    )
    return f"{src['path']} starts {when} ({how})"


def build_fused_report(fused: FusedAnalysis, names: dict[str, str]) -> dict[str, Any]:
    """``report.json`` of a fused analysis: the single-video layout (video = the reference's) with
    reps on the reference's clock, plus ``fusion`` (`FusedAnalysis.to_dict`, each source's
    report folder)."""
    ref = fused.sources[0].analysis
    seq, scores = ref.sequence, fused.scores
    reps = [_rep_entry(rep) for rep in scores.reps]
    fusion = fused.to_dict()
    for entry in fusion["sources"]:
        entry["report"] = f"{names[entry['path']]}/{REPORT_HTML}"
    mode = (
        "the same set filmed by several cameras"
        if fused.same_set
        else "separate sets, one per video"
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "analysed",
        "message": f"{len(reps)} squat repetitions analysed from {len(fused.sources)} videos, "
        f"{mode}.",
        "video": {
            "path": fused.sources[0].path,
            "fps": float(seq.fps),
            "frames": len(seq),
            "duration_s": round(float(seq.duration), 4),
            "width": int(seq.image_size[0]),
            "height": int(seq.image_size[1]),
        },
        "view": fused.sources[0].view,
        "summary": {
            "rep_count": len(reps),
            "score": _number(scores.score, 1) if reps else None,
            "grade": scores.grade() if reps else None,
            "verdict": scores.verdict(),
            "top_cues": [str(c["cue"]) for c in scores.top_cues()][:3],
            "not_judged": [
                {k: str(item[k]) for k in ("rule", "title", "hint")} for item in scores.not_judged()
            ],
            "too_close": scores.too_close(),
        },
        "rules": rules_section(fused.rules),
        "reps": reps,
        "versions": {
            "formcheck": package_version("formcheck"),
            "mediapipe": seq.meta.get("mediapipe") or package_version("mediapipe"),
            "model_sha256": seq.model_sha256,
            "rule_set": f"{fused.rules.name} {fused.rules.version}".strip(),
            "python": __import__("platform").python_version(),
        },
        "files": {"report_html": REPORT_HTML},
        "fusion": fusion,
    }


# --- the page -------------------------------------------------------------------------------------

_FUSED_CSS = """
.cam{display:block;font-size:.75rem;color:#555;font-weight:400}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.reps-stills{display:grid;gap:16px}
.videos{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,300px),1fr));gap:12px}
"""


def _verdict_section(report: dict[str, Any]) -> str:
    s = report["summary"]
    f = report["fusion"]
    facts = [f"<li><b>{s['rep_count']}</b> rep{'s' if s['rep_count'] != 1 else ''}</li>"]
    facts += [
        f"<li>{_e(_CAMERA.get(src['view'], src['view']).capitalize())} camera: "
        f"{_e(src['path'])}, {src['fps']:.4g} fps</li>"
        for src in f["sources"]
    ]
    if f["mode"] == SAME_SET:
        sync = "".join(f"<li>{_e(_offset_words(src))}</li>" for src in f["sources"][1:])
        low = [
            src
            for src in f["sources"][1:]
            if not src["manual"]
            and (src["correlation"] is None or src["correlation"] < SAME_SET_MIN_CORRELATION)
        ]
        caution = (
            "<p class='sub'>The movements of the videos match poorly: if the reps are paired "
            "wrongly, give the offset with <code>--offset SECONDS</code>.</p>"
            if low
            else ""
        )
        mode = (
            "<h2>Same set, filmed by "
            f"{len(f['sources'])} cameras</h2><p class='sub'>Each check of each rep is judged by "
            "the camera that can see it. Time offset between the videos, found from the "
            f"movement both cameras see:</p><ul>{sync}</ul>{caution}"
        )
    else:
        mode = (
            "<h2>Separate sets</h2><p class='sub'>The videos do not show the same movement at the "
            "same time, so they are treated as separate sets: each video's reps are judged from "
            "its own camera, and the summary takes each check from the video that can judge it."
            "</p>"
        )
    return verdict_section(s, facts, after=f"<section>{mode}</section>")


def _not_judged(report: dict[str, Any]) -> str:
    """The checks no camera could judge on any rep, with what to film."""
    nj = report["summary"]["not_judged"]
    if not nj:
        return ""
    items = "".join(
        f"<li>{_e(item['title'])} <span class='sub'>({_e(item['hint'])})</span></li>" for item in nj
    )
    return (
        "<section><h2>Not checked by any camera</h2><p class='sub'>None of the videos shows "
        f'these checks.</p><ul class="hints">{items}</ul></section>'
    )


def _rep_table(report: dict[str, Any]) -> str:
    reps, fusion = report["reps"], report["fusion"]
    if not reps:
        return ""
    views = {s["path"]: s["view"] for s in fusion["sources"]}
    titles = {r["name"]: (r["title"], r.get("target", "")) for r in report["rules"]}
    head = "".join(f'<th scope="col">Rep {rep["index"]}</th>' for rep in reps)
    scores = "".join(
        f"<td><b>{r['score']:.0f}</b></td>" if r["score"] is not None else "<td>&ndash;</td>"
        for r in reps
    )
    rows = [f'<tr><th scope="row">Score</th>{scores}</tr>']
    for name, (title, target) in titles.items():
        cells = []
        for rep, frep in zip(reps, fusion["reps"], strict=True):
            res = rep["rules"][name]
            cls, mark = _STATUS[res["status"]]
            judged = frep["judged_by"].get(name)
            value = (
                _e(format_value(res["value"], res["unit"])) if res["status"] != "not_judged" else ""
            )
            cam = (
                f"<span class='cam'>{_e(_CAMERA.get(views[judged], views[judged]))} camera</span>"
                if judged
                else "<span class='cam'>no camera</span>"
            )
            cells.append(f'<td class="{cls}">{mark} {value}{cam}</td>')
        sub = f"<span>{_e(target)}</span>" if target else ""
        rows.append(f'<tr><th scope="row">{_e(title)}{sub}</th>{"".join(cells)}</tr>')
    hint = (
        f'<p class="scroll-hint">Scroll the table sideways to see all {len(reps)} reps \u2192</p>'
        if len(reps) > 1
        else ""
    )
    return (
        '<section class="new-page"><h2>Rep by rep</h2>'
        '<p class="sub"><span class="pass">\u2713 pass</span> &nbsp; '
        '<span class="fail">\u2717 fail</span> &nbsp; <span class="nj">\u2013 not judged</span>; '
        "under each result, the camera that judged it.</p>"
        f"{hint}"
        '<div class="table-wrap" tabindex="0" role="region" aria-label="rep by rep results">'
        f'<table><thead><tr><th scope="col">Check</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _stills(report: dict[str, Any], stills: dict[str, dict[int, bytes]]) -> str:
    fusion = report["fusion"]
    views = {s["path"]: s["view"] for s in fusion["sources"]}
    blocks = []
    for rep, frep in zip(report["reps"], fusion["reps"], strict=True):
        figs = []
        for path, idx in frep["source_reps"].items():
            jpeg = stills.get(path, {}).get(idx) if idx else None
            if jpeg is None:
                continue
            uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
            cam = _CAMERA.get(views[path], views[path])
            figs.append(
                f'<figure><img src="{uri}" alt="Rep {rep["index"]} at its lowest point, '
                f'{_e(cam)} camera" loading="lazy"><figcaption>{_e(cam.capitalize())} camera '
                f"(its rep {idx})</figcaption></figure>"
            )
        if figs:
            blocks.append(
                f"<div><h3>Rep {rep['index']} at the bottom</h3>"
                f'<div class="pair">{"".join(figs)}</div></div>'
            )
    if not blocks:
        return ""
    return (
        '<section class="new-page"><h2>Each rep at its lowest point</h2>'
        f'<div class="reps-stills">{"".join(blocks)}</div></section>'
    )


def _videos(report: dict[str, Any], write_video: bool) -> str:
    if not write_video:
        return ""
    figs = []
    for src in report["fusion"]["sources"]:
        href = _e(src["report"].rsplit("/", 1)[0] + "/" + ANNOTATED_MP4)
        cam = _CAMERA.get(src["view"], src["view"]).capitalize()
        figs.append(
            f'<figure><video controls playsinline preload="metadata" src="{href}"></video>'
            f'<figcaption>{_e(cam)} camera: <a href="{href}">{_e(src["path"])}</a> &middot; '
            f'<a href="{_e(src["report"])}">its own report</a></figcaption></figure>'
        )
    return (
        '<section class="video"><h2>Annotated videos</h2>'
        f'<div class="videos">{"".join(figs)}</div></section>'
    )


def render_fused_html(
    report: dict[str, Any],
    fused: FusedAnalysis,
    stills: dict[str, dict[int, bytes]],
    *,
    write_video: bool = True,
) -> str:
    """The one page of a fused report: verdict and sources, cues, videos, rep table, stills."""
    names = " + ".join(s.path for s in fused.sources)
    body = [
        f"<header><h1>Squat check</h1><p class='sub'>{_e(names)}</p></header>",
        _verdict_section(report),
        _cues(report),
        too_close_section(report),
        _not_judged(report),
        _videos(report, write_video),
        _rep_table(report),
        _stills(report, stills),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:; media-src 'self' file:\">"
        f"<title>Squat check: {_e(names)}</title><style>{_CSS}{_FUSED_CSS}</style></head>"
        f"<body><main>{''.join(b for b in body if b)}</main></body></html>\n"
    )


__all__ = ["FusedResult", "build_fused_report", "render_fused_html", "run_fused"]
