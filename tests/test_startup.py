"""Start-up of `formcheck analyze` (issue 13 item 3): what the model's path imports, and the
phase marks ``FORMCHECK_LOG=debug`` logs for ``benchmarks/bench_analyze.py --startup``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_pose_model_path_imports_no_scipy() -> None:
    """scipy (0.3 CPU s for scipy.optimize alone) is for the stages after the model and for
    tracking several people; the processes that run the model must not wait for it."""
    code = (
        "import sys\n"
        "import formcheck.media.parallel, formcheck.media.pose, formcheck.media.model\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    assert _run(code) == "[]"


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


def test_the_pose_model_path_imports_none_of_mediapipes_other_tasks() -> None:
    """`import mediapipe` imports every task, sounddevice and matplotlib.pyplot (0.4 CPU s);
    the pose modules need none of it."""
    code = (
        "import sys\n"
        "import formcheck.media.parallel, formcheck.media.pose, formcheck.media.model\n"
        "heavy = ('matplotlib', 'sounddevice', 'mediapipe.tasks.python.audio',\n"
        "         'mediapipe.tasks.python.vision.drawing_utils', 'mediapipe.tasks.python.text')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert _run(code) == "[]"


def test_mediapipe_is_whole_for_any_code_after_the_pose_modules() -> None:
    """After formcheck's deferred import, `import mediapipe` anywhere in the process is the
    whole package: the same classes, its version, every task and `from ... import` forms."""
    code = (
        "from importlib.metadata import version\n"
        "import formcheck.media.pose as pose\n"
        "import mediapipe as mp\n"
        "assert mp.__version__ == version('mediapipe'), mp.__version__\n"
        "assert mp.Image is pose.MP.Image and mp.ImageFormat is pose.MP.ImageFormat\n"
        "from mediapipe.tasks.python import BaseOptions, audio, vision\n"
        "assert BaseOptions is pose.MP.BaseOptions\n"
        "assert vision.PoseLandmarker is pose.MP.PoseLandmarker\n"
        "assert vision.RunningMode is pose.MP.RunningMode\n"
        "assert vision.drawing_utils.draw_landmarks and audio.AudioClassifier\n"
        "assert mp.tasks.vision.FaceDetector and not hasattr(mp.tasks, 'core')\n"
        "print('whole')\n"
    )
    assert _run(code) == "whole"


def test_mediapipe_imported_first_is_used_as_it_is() -> None:
    code = (
        "import mediapipe as mp\n"
        "import formcheck.media.pose as pose\n"
        "from formcheck.media import mp_tasks\n"
        "assert pose.MP.PoseLandmarker is mp.tasks.vision.PoseLandmarker\n"
        "assert not mp_tasks._deferred\n"
        "print('as is')\n"
    )
    assert _run(code) == "as is"


def test_an_unexpected_mediapipe_layout_falls_back_to_the_whole_import() -> None:
    """Another mediapipe release with other packages: the usual `import mediapipe`."""
    code = (
        "import sys\n"
        "from formcheck.media import mp_tasks\n"
        "mp_tasks.DEFERRED = (*mp_tasks.DEFERRED, 'mediapipe.tasks.python.no_such_package')\n"
        "api = mp_tasks.pose_api()\n"
        "import mediapipe as mp\n"
        "assert api.PoseLandmarker is mp.tasks.vision.PoseLandmarker\n"
        "assert 'matplotlib' in sys.modules and not mp_tasks._deferred\n"
        "print(mp.__version__)\n"
    )
    from importlib.metadata import version

    assert _run(code) == version("mediapipe")
