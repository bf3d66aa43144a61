"""Did a refactor change what ``formcheck analyze`` reports? Run it on every sample and real squat
clip from cached landmarks, then compare two such runs.

``run OUT [--src SRC]`` analyses every ``samples/*.mp4`` and ``../shared/footage/squats/*.mp4``
with ``--landmarks`` (``benchmarks/.cache/samples/<stem>.npz``, ``benchmarks/.cache/<stem>.npz``;
clips without a cache are skipped) and ``--no-video`` into ``OUT/<stem>/``, with the package
under ``SRC`` (e.g. a ``git archive`` of the commit before the change) or the installed one.
``diff BEFORE AFTER`` lists every number of ``report.json`` (minus ``generated_at``,
``versions`` and ``video.path``) and ``reps.csv`` that differs, and exits 1 if any does.

    python benchmarks/compare_outputs.py run /tmp/before --src /tmp/base/src
    python benchmarks/compare_outputs.py run /tmp/after
    python benchmarks/compare_outputs.py diff /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
FOOTAGE = ROOT.parent / "shared" / "footage" / "squats"
IGNORED = {"generated_at", "versions"}


def clips() -> list[tuple[Path, Path]]:
    """(video, landmark cache) of every sample and real squat clip with a cache."""
    pairs = [
        (v, CACHE / "samples" / f"{v.stem}.npz") for v in sorted((ROOT / "samples").glob("*.mp4"))
    ]
    pairs += [(v, CACHE / f"{v.stem}.npz") for v in sorted(FOOTAGE.glob("*.mp4"))]
    return [(v, c) for v, c in pairs if c.is_file()]


def run(out: Path, src: Path | None) -> None:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    for video, cache in clips():
        cmd = [
            sys.executable,
            "-m",
            "formcheck",
            "analyze",
            str(video),
            "-o",
            str(out / video.stem),
        ]
        cmd += ["--landmarks", str(cache), "--no-video"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        print(f"{video.name}: exit {done.returncode}", flush=True)
        if done.returncode not in (0, 2):
            print(done.stderr, file=sys.stderr)


def _flat(x: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(x, dict):
        return {k: v for key, val in x.items() for k, v in _flat(val, f"{prefix}.{key}").items()}
    if isinstance(x, list):
        return {k: v for i, val in enumerate(x) for k, v in _flat(val, f"{prefix}[{i}]").items()}
    return {prefix: x}


def _report(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for key in IGNORED:
        doc.pop(key, None)
    doc.get("video", {}).pop("path", None)
    return _flat(doc)


def _reps(path: Path) -> dict[str, Any]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    return {f"rep {i + 1}.{k}": v for i, row in enumerate(rows) for k, v in row.items()}


def diff(before: Path, after: Path) -> int:
    changed = 0
    for folder in sorted(p for p in before.iterdir() if p.is_dir()):
        for name, read in (("report.json", _report), ("reps.csv", _reps)):
            a, b = read(folder / name), read(after / folder.name / name)
            for key in sorted(set(a) | set(b)):
                if a.get(key, "<absent>") != b.get(key, "<absent>"):
                    changed += 1
                    print(
                        f"{folder.name} {name} {key}: {a.get(key, '<absent>')!r} -> "
                        f"{b.get(key, '<absent>')!r}"
                    )
    print(f"{changed} values differ")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("--src", type=Path)
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.cmd == "run":
        run(args.out, args.src)
        return 0
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
