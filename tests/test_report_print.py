"""report.html printed to PDF by headless Chromium ("Print to PDF"), pages read back with poppler.

A synthetic 3-rep set (`formcheck.testing`, front view, knees caving in) is analysed from its
landmark cache with the annotated video, printed with ``chromium --print-to-pdf`` and checked page
by page with ``pdfinfo``, ``pdftotext``, ``pdfimages`` and ``pdftoppm`` (poppler-utils). Skipped
when Chromium or poppler is absent (``.ci/run`` installs both).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM

from formcheck.media.cache import save
from formcheck.media.videowriter import VideoWriter
from formcheck.report.pipeline import AnalyzeOptions, run
from formcheck.testing import squat_sequence_with_truth

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="poppler-utils is not installed (.ci/run installs it)",
    ),
]
SIZE = (320, 240)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``(report.pdf, report)`` of a 3-rep front-view set with knee valgus."""
    folder = tmp_path_factory.mktemp("print")
    seq, _ = squat_sequence_with_truth(
        n_reps=3, image_size=SIZE, valgus_deg=20.0, peak_knee_flexion=150.0
    )
    video = folder / "set.mp4"
    with VideoWriter(video, fps=seq.fps, size=SIZE) as writer:
        for _ in range(len(seq)):
            writer.write(np.full((SIZE[1], SIZE[0], 3), 190, np.uint8))
    out = folder / "out"
    result = run(
        AnalyzeOptions(
            video=video, outdir=out, landmarks=save(seq, folder / "set.npz"), progress=False
        )
    )
    assert result.exit_code == 0
    pdf = folder / "report.pdf"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                (out / "report.html").as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    return pdf, result.report


def _pages(pdf: Path) -> list[str]:
    """The text of each page."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def test_print_is_a4_with_the_verdict_on_page_one_and_no_video(printed) -> None:
    pdf, report = printed
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    pages = _pages(pdf)
    first = " ".join(pages[0].split())
    assert "Squat check" in first and f"{report['summary']['score']:.0f}" in first
    assert "Push your knees out over your toes" in first and "What to work on" in first
    assert "Rep by rep" not in first  # the next section starts a new page
    everything = "\n".join(pages)
    assert "Annotated video" not in everything and "does not play here" not in everything


def test_print_starts_each_section_on_a_new_page_and_keeps_stills_and_plots(printed) -> None:
    pdf, report = printed
    heads = ["Rep by rep", "Each rep at its lowest point", "Over time", "How this was measured"]
    starts = []
    for head in heads:
        found = [k for k, page in enumerate(_pages(pdf)) if head in page]
        assert found, head
        starts.append(found[0])
        assert _pages(pdf)[found[0]].lstrip().startswith(head), head  # at the top of its page
    assert starts == sorted(starts) and len(set(starts)) == len(heads)
    # the stills are printed: one JPEG per rep
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert sum(" jpeg " in line for line in images) == len(report["reps"])
    # the plots are printed (vector text of their axes), the rules' sources too (details opened)
    assert "time (s)" in _pages(pdf)[starts[2]]
    assert "Cue: Push your knees out over your toes" in _pages(pdf)[starts[3]]


def test_printed_first_page_shows_the_score_ring_in_colour(printed, tmp_path: Path) -> None:
    """Rendered with pdftoppm: page 1 has the ring's amber (grade fair: knees cave in every rep)."""
    pdf, report = printed
    assert report["summary"]["grade"] == "fair"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    import cv2

    page = cv2.imread(str(next(tmp_path.glob("p-*.png"))))[..., ::-1].astype(int)
    amber = (abs(page - [185, 119, 14]) < 25).all(axis=2)  # #b9770e
    assert amber.sum() > 300
