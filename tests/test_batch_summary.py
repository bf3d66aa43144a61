"""summary.csv and index.html: rows per video, escaping of outside text, per-patient trends."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CHROMIUM, chromium_console

from formcheck.batch.digest import RuleDigest, VideoSummary, video_summary
from formcheck.batch.discover import VideoEntry
from formcheck.batch.jobs import JobResult
from formcheck.batch.run import Outcome
from formcheck.batch.summary import write_summary
from formcheck.core.analysis import analyze
from formcheck.core.ruleset import load_rules
from formcheck.report.build import build_report
from formcheck.testing import squat_sequence

RULES = load_rules()
RULE_NAMES = [r.name for r in RULES.rules]
EVIL_NAME = "<script>alert(1)</script>.mp4"
EVIL_NOTE = '"><img src=x onerror=alert(2)>, knee pain'


def _digest(
    scores: list[float], valgus: list[float | None], status: str = "analysed"
) -> VideoSummary:
    """A video's digest with one rule, knee valgus, judged on the reps whose value is known
    (pass at 10 deg or less)."""
    judged = [v for v in valgus if v is not None]
    rule = RuleDigest(
        title="Knees over feet",
        unit="deg",
        judged=len(judged),
        pass_rate=sum(v <= 10 for v in judged) / len(judged) if judged else None,
        median=statistics.median(judged) if judged else None,
    )
    return VideoSummary(
        status=status,
        message="m",
        reps=len(scores),
        score=sum(scores) / len(scores) if scores else None,
        detected_view="front",
        rules={"knee_valgus": rule},
    )


def _outcome(
    tmp_path: Path,
    name: str,
    digest: VideoSummary | None,
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
    if digest is None:
        result = JobResult("f" * 64, "k", "failed", error=f"{tmp_path / name}: {error}")
    else:
        result = JobResult("e" * 64, "k", "ok", summary=digest)
    return Outcome(entry, result, job_dir)


def test_video_summary_has_the_numbers_of_the_report() -> None:
    """The digest, computed from the `Analysis`, agrees with what report.json says per rep:
    judged reps, pass rate and median value per rule, rep count, score and view."""
    seq = squat_sequence(n_reps=3, yaw_deg=90.0, valgus_deg=0.0, lockout_deg=25.0)
    analysis = analyze(seq, RULES)
    s = video_summary(analysis, "3 squat repetitions analysed.")
    assert (s.status, s.reps, s.detected_view) == ("analysed", 3, "side")
    assert s.message == "3 squat repetitions analysed." and list(s.rules) == RULE_NAMES
    assert s.rules["full_extension"].pass_rate == 0.0  # knees stay bent 25 deg at the top
    # what the medians measured, for the measurement error of a change between sessions
    assert (s.rules["full_extension"].metric, s.rules["full_extension"].view) == (
        "knee_bend",
        "side",
    )
    report = build_report(
        analysis, video_path="v.mp4", width=640, height=480, message=s.message, files={}
    )
    assert s.score == pytest.approx(report["summary"]["score"], abs=0.05)
    assert sum(d.judged for d in s.rules.values()) > 0
    for rule in report["rules"]:
        verdicts = [rep["rules"][rule["name"]] for rep in report["reps"]]
        judged = [v for v in verdicts if v["status"] in ("pass", "fail")]
        values = [v["value"] for v in judged if v["value"] is not None]
        d = s.rules[rule["name"]]
        assert (d.title, d.unit, d.judged) == (rule["title"], rule["unit"], len(judged))
        if judged:
            assert d.pass_rate == sum(v["status"] == "pass" for v in judged) / len(judged)
        else:
            assert d.pass_rate is None
        if values:
            assert d.median == pytest.approx(statistics.median(values), abs=1e-3)
        else:
            assert d.median is None


def test_video_summary_of_a_set_without_squats() -> None:
    standing = analyze(squat_sequence(n_reps=1, peak_knee_flexion=5.0), RULES)
    s = video_summary(standing, "no squat")
    assert (s.status, s.reps, s.score) == ("no_squat", 0, None)
    assert all(d.judged == 0 and d.pass_rate is None and d.median is None for d in s.rules.values())


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
            _digest([90], [3.0]),
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
        _outcome(tmp_path, "a,b.mp4", _digest([80], [5.0]), notes='says "ouch",\nthen stops'),
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
        _outcome(tmp_path, "p1-late.mp4", _digest([80], [4.0]), patient="P1", date="2024-03-01"),
        _outcome(tmp_path, "p1-early.mp4", _digest([40], [14.0]), patient="P1", date="2024-01-10"),
        _outcome(tmp_path, "p2.mp4", _digest([70], [6.0]), patient="P2", date="2024-02-01"),
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
            _digest([90], [3.0]),
            patient="P1",
            date="2024-01-05",
            notes=EVIL_NOTE,
        ),
        _outcome(tmp_path, "b.mp4", _digest([40], [14.0]), patient="P1", date="2024-02-05"),
        _outcome(tmp_path, "c.mp4", _digest([75], [6.0]), patient="P2", date="2024-02-05"),
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
