"""Shared by the benchmarks: write one benchmark's section of ``benchmarks/RESULTS.md``."""

from __future__ import annotations

import os
from pathlib import Path


def write_section(section: str, text: str, results_md: Path) -> None:
    """Replace the section headed ``section`` of RESULTS.md with ``text`` (or append it),
    leaving other sections alone; written atomically."""
    current = results_md.read_text() if results_md.exists() else "# Benchmark results\n"
    start = current.find(section)
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(section))
        new = current[:start] + text + ("" if end < 0 else current[end:])
    tmp = results_md.with_suffix(".md.tmp")
    tmp.write_text(new)
    os.replace(tmp, results_md)
