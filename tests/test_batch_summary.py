"""summary.csv and index.html: rows per video, escaping of outside text, per-patient trends."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CHROMIUM, chromium_console

from formcheck.batch.discover import VideoEntry
from formcheck.batch.jobs import JobResult
from formcheck.batch.run import Outcome
from formcheck.batch.summary import video_summary, write_summary

EVIL_NAME = "<script>alert(1)</script>.mp4"
EVIL_NOTE = '"><img src=x onerror=alert(2)>, knee pain'


def _report(scores: list[float], valgus: list[float | None], status: str = "analysed") -> dict:
    """A report.json dict (schema fields the summary reads) with one rule judged per rep."""

    def verdict(v: float | None) -> dict:
        status = "not_judged" if v is None else ("pass" if v <= 10 else "fail")
        return {"knee_valgus": {"status": status, "value": v, "unit": "deg"}}

    reps = [
        {
            "index": i + 1,
            "start_s": 0.0,
            "bottom_s": 0.5,
            "end_s": 1.0,
            "score": s,
            "rules": verdict(v),
        }
        for i, (s, v) in enumerate(zip(scores, valgus, strict=True))
    ]
    score = sum(scores) / len(scores) if scores else None
    rules = [{"name": "knee_valgus", "title": "Knees over feet", "unit": "deg"}]
    return {
        "status": status,
        "message": "m",
        "view": "front",
        "rules": rules,
        "reps": reps,
        "summary": {"rep_count": len(reps), "score": score},
    }


def _outcome(
    tmp_path: Path,
    name: str,
    report: dict | None,
    patient: str = "",
    date: str = "",
    notes: str = "",
    error: str = "",
) -> Outcome:
    job_dir = tmp_path / "out" / "videos" / f"v-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / "report.html").write_text("r")
    entry = VideoEntry(
        path=tmp_path / name, name=name, patient_id=patient, session_date=date, notes=notes
    )
    if report is None:
        result = JobResult("f" * 64, "k", "failed", error=f"{tmp_path / name}: {error}")
    else:
        result = JobResult("e" * 64, "k", "ok", summary=video_summary(report))
    return Outcome(entry, result, job_dir)


def test_video_summary_pass_rate_and_median_over_judged_reps() -> None:
    s = video_summary(_report([100, 50, 80], [4.0, 12.0, None]))
    assert s["reps"] == 3 and abs(s["score"] - 230 / 3) < 1e-9
    assert s["rules"]["knee_valgus"] == {
        "title": "Knees over feet",
        "unit": "deg",
        "judged": 2,
        "pass_rate": 0.5,
        "median": 8.0,
        "metric": None,  # the rule names no metric
        "view": "front",
    }
    none = video_summary(_report([], [], status="no_squat"))
    assert none["rules"]["knee_valgus"]["pass_rate"] is None and none["status"] == "no_squat"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script += data


def test_file_names_and_notes_stay_inert(tmp_path: Path) -> None:
    outcomes = [
        _outcome(
            tmp_path,
            EVIL_NAME,
            _report([90], [3.0]),
            patient="<b>P1</b>",
            date="2024-01-05",
            notes=EVIL_NOTE,
        ),
        _outcome(
            tmp_path, "bad/<svg onload=alert(3)>.mp4", None, error="not a readable video (<i>x</i>)"
        ),
    ]
    _, html_path = write_summary(tmp_path / "out", outcomes)
    page = html_path.read_text()
    parser = _Tags()
    parser.feed(page)
    names = [t for t, _ in parser.tags]
    assert (
        names.count("script") == 1 and "img" not in names and "b" not in names and "i" not in names
    )
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;, knee pain" in page
    assert "&lt;svg onload=alert(3)&gt;.mp4" in page
    # the page's policy runs only its own inline script (by hash): defence in depth
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    digest = base64.b64encode(hashlib.sha256(parser.script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "http://" not in page and "https://" not in page  # no network


def test_summary_csv_round_trips_awkward_text(tmp_path: Path) -> None:
    outcomes = [
        _outcome(tmp_path, "a,b.mp4", _report([80], [5.0]), notes='says "ouch",\nthen stops'),
        _outcome(tmp_path, "z.mp4", None, error="empty file (0 bytes), expected a video"),
    ]
    csv_path, _ = write_summary(tmp_path / "out", outcomes)
    rows = list(csv.DictReader(csv_path.open(newline="")))
    assert [r["path"] for r in rows] == ["a,b.mp4", "z.mp4"]
    assert rows[0]["notes"] == 'says "ouch",\nthen stops'
    assert (rows[0]["status"], rows[0]["reps"], rows[0]["score"]) == ("analysed", "1", "80.0")
    assert (rows[0]["knee_valgus_pass_rate"], rows[0]["knee_valgus_median"]) == ("1.000", "5.00")
    assert (rows[1]["status"], rows[1]["error"], rows[1]["report"]) == (
        "failed",
        "empty file (0 bytes), expected a video",
        "",
    )  # the path prefix is dropped


def test_patients_get_their_sessions_in_date_order_with_sparklines(tmp_path: Path) -> None:
    outcomes = [
        _outcome(tmp_path, "p1-late.mp4", _report([80], [4.0]), patient="P1", date="2024-03-01"),
        _outcome(tmp_path, "p1-early.mp4", _report([40], [14.0]), patient="P1", date="2024-01-10"),
        _outcome(tmp_path, "p2.mp4", _report([70], [6.0]), patient="P2", date="2024-02-01"),
    ]
    _, html_path = write_summary(tmp_path / "out", outcomes)
    page = html_path.read_text()
    patients = page[page.index("Patients: sessions over time") :]
    p1 = patients[patients.index("<h3>P1</h3>") : patients.index("<h3>P2</h3>")]
    assert p1.index("2024-01-10") < p1.index("2024-03-01")
    score_line = re.search(
        r'<title>2024-01-10: 40, 2024-03-01: 80</title><polyline points="([^"]+)"', p1
    )
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in score_line[1].split())
    assert x0 < x1 and y1 < y0  # later session to the right, higher score drawn higher
    assert "<title>2024-01-10: 14, 2024-03-01: 4</title>" in p1  # knee valgus trend


_SORT_HARNESS = """<!DOCTYPE html><html><body><iframe id="f" src="%s"></iframe><script>
var f = document.getElementById("f");
f.onload = function () {
  var d = f.contentDocument, t = d.getElementById("videos");
  function col(name) {
    var hs = t.tHead.rows[0].cells;
    for (var i = 0; i < hs.length; i++) { if (hs[i].textContent === name) { return i; } }
  }
  function column(i) {
    var rows = t.tBodies[0].rows;
    return Array.prototype.map.call(rows, function (r) { return r.cells[i].textContent; }).join("|");
  }
  var score = col("Score"), video = col("Video");
  t.tHead.rows[0].cells[score].click();
  console.log("FC-UP " + column(score));
  t.tHead.rows[0].cells[score].click();
  console.log("FC-DOWN " + column(score));
  t.tHead.rows[0].cells[video].click();
  console.log("FC-NAMES " + column(video));
};
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_index_in_chromium_runs_only_its_own_script_and_sorts(tmp_path: Path) -> None:
    outcomes = [
        _outcome(
            tmp_path,
            EVIL_NAME,
            _report([90], [3.0]),
            patient="P1",
            date="2024-01-05",
            notes=EVIL_NOTE,
        ),
        _outcome(tmp_path, "b.mp4", _report([40], [14.0]), patient="P1", date="2024-02-05"),
        _outcome(tmp_path, "c.mp4", _report([75], [6.0]), patient="P2", date="2024-02-05"),
        _outcome(tmp_path, "d <svg onload=alert(3)>.mp4", None, error="not a readable video"),
    ]
    _, index = write_summary(tmp_path / "out", outcomes)
    # no console message at all: an injected script (run or blocked by the policy) would log one,
    # and so would the page's own script if the policy's hash did not match it
    assert chromium_console(index.as_uri()) == []
    harness = tmp_path / "harness.html"
    harness.write_text(_SORT_HARNESS % index.as_uri())
    lines = chromium_console(harness.as_uri(), "--allow-file-access-from-files", "--timeout=10000")
    said = dict(line.split('"')[1].split(" ", 1) for line in lines if '"FC-' in line)
    assert said["FC-UP"] == "40.0|75.0|90.0|"  # numeric ascending, the empty score last
    assert said["FC-DOWN"] == "90.0|75.0|40.0|"
    assert said["FC-NAMES"] == f"{EVIL_NAME}|b.mp4|c.mp4|d <svg onload=alert(3)>.mp4"
