"""Project-level promises: README commands match CI, the model bundle is reproducible."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "pose_landmarker_full.task"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_install_and_test_commands() -> None:
    install, test = _readme_commands()
    assert install.startswith(
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && '
    )
    assert "formcheck " in install and "samples/" in install
    assert "pytest" in test and "ruff check" in test


def test_ci_installs_and_tests_exactly_as_readme_says() -> None:
    install, test = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    install_step = install.split(" && formcheck ")[0]
    assert install_step in ci.splitlines()
    assert test in ci.splitlines()


def test_readme_sample_exists() -> None:
    install, _ = _readme_commands()
    for sample in re.findall(r"samples/\S+", install):
        assert (ROOT / sample).is_file(), sample


def test_readme_camera_table_matches_the_shipped_rules() -> None:
    """The "Where to put the camera" table says which views judge each check: keep it true."""
    from formcheck.core.ruleset import load_rules

    text = (ROOT / "README.md").read_text()
    table = (
        text[text.index("| check | front | 45 degrees | side |") :]
        .split("\n\n")[0]
        .splitlines()[2:]
    )
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    rows = {row[0]: row[1:] for row in cells}
    rules = load_rules().rules
    assert sorted(rows) == sorted(r.title for r in rules)
    for rule in rules:
        views = {v for check in rule.checks for v in check.views}
        judged = ["any" in views or v in views for v in ("front", "oblique", "side")]
        assert [cell != "" for cell in rows[rule.title]] == judged, rule.name


def test_model_checksum_matches_models_readme() -> None:
    digest = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    assert f"`{digest}`" in (ROOT / "models" / "README.md").read_text()


def test_model_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    """Rebuild the bundle from the mediapipe 0.10.21 wheel (skips when the registry is unreachable).

    pip runs without the proxy `keep_offline` points at nowhere: a test before this one in the
    same worker may have loaded the model, and the proxy it set stays for the process."""
    import os

    from formcheck.media.model import NO_NETWORK_PROXY

    env = {k: v for k, v in os.environ.items() if v != NO_NETWORK_PROXY}
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                "--platform",
                "manylinux_2_28_x86_64",
                "mediapipe==0.10.21",
                "-d",
                str(tmp_path),
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env=env,
        )
    except (subprocess.SubprocessError, OSError) as err:
        said = (getattr(err, "stderr", b"") or b"").decode(errors="replace").strip()
        why = said.splitlines()[-1] if said else str(err)
        pytest.skip(f"mediapipe 0.10.21 wheel cannot be downloaded here: {why}")
    (wheel,) = tmp_path.glob("mediapipe-0.10.21-*.whl")
    out = tmp_path / "rebuilt.task"
    subprocess.run(
        [sys.executable, str(ROOT / "models" / "build_model.py"), str(wheel), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == MODEL.read_bytes()


def test_core_imports_neither_cv2_nor_av_nor_mediapipe() -> None:
    """``formcheck.core`` is the numeric core: whole arrays in, named arrays out, no media libraries."""
    import ast

    banned = {"cv2", "av", "mediapipe"}
    core = ROOT / "src" / "formcheck" / "core"
    offenders = []
    for path in sorted(core.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = (
                    [node.module or ""] if node.level == 0 else [f"formcheck.{node.module or ''}"]
                )
                if node.level >= 2 and (node.module or "").split(".")[0] in {
                    "media",
                    "live",
                    "report",
                }:
                    offenders.append(f"{path.name}: from {'.' * node.level}{node.module}")
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert offenders == []
    code = (
        "import sys, formcheck.core.analysis as _\n"
        if (core / "analysis.py").exists()
        else "import sys\n"
    ) + (
        "import formcheck.core.scoring, formcheck.core.reps, formcheck.core.metrics, formcheck.core.depth\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'cv2', 'av', 'mediapipe'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
