"""Start-up of `formcheck analyze` (issue 13 item 3): what the model's path imports, and the
phase marks ``FORMCHECK_LOG=debug`` logs for ``benchmarks/bench_analyze.py --startup``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_the_pose_model_path_imports_no_scipy() -> None:
    """scipy (0.3 CPU s for scipy.optimize alone) is for the stages after the model and for
    tracking several people; the processes that run the model must not wait for it."""
    code = (
        "import sys\n"
        "import formcheck.media.parallel, formcheck.media.pose, formcheck.media.model\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_debug_log_marks_the_phases_in_order(noise_video: Path, tmp_path: Path) -> None:
    """The first frame into the model, the last frame out of it and the written report, each
    with its wall time and the CPU seconds so far; nothing of it without FORMCHECK_LOG."""
    command = [sys.executable, "-m", "formcheck", "analyze", str(noise_video), "--no-video"]
    marks = ("first frame into the model", "last frame out of the model", "report written")
    runs = {}
    for log in ("debug", ""):
        env = {**os.environ, "FORMCHECK_LOG": log}
        done = subprocess.run(
            [*command, "-o", str(tmp_path / f"out{log}")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2, done.stderr  # no person in noise: a report all the same
        runs[log] = done.stderr
    pattern = re.compile(r"(\d+\.\d+) formcheck\.\S+: (.+) \(([\d.]+) CPU s\)")
    found = [m.groups() for m in map(pattern.fullmatch, runs["debug"].splitlines()) if m]
    assert [f[1] for f in found] == list(marks)
    walls, cpus = [float(f[0]) for f in found], [float(f[2]) for f in found]
    assert walls == sorted(walls) and cpus == sorted(cpus)
    assert not any(map(pattern.fullmatch, runs[""].splitlines()))
