"""Shared by the benchmarks: write one benchmark's section of ``benchmarks/RESULTS.md``."""

from __future__ import annotations

import os
from pathlib import Path


def write_section(section: str, text: str, results_md: Path) -> None:
    """Replace the section headed ``section`` of RESULTS.md with ``text`` (or append it),
    leaving other sections alone; written atomically."""
    current = results_md.read_text() if results_md.exists() else "# Benchmark results\n"
    start = current.find(section)
    body = text.rstrip("\n") + "\n"  # one blank line before the next section's heading
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + body
    else:
        end = current.find("\n## ", start + len(section))
        new = current[:start] + body + ("" if end < 0 else "\n" + current[end + 1 :])
    tmp = results_md.with_suffix(".md.tmp")
    tmp.write_text(new)
    os.replace(tmp, results_md)
