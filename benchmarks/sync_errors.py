"""Copy bench_accuracy's figures into the shipped measurement error table.

``src/formcheck/rules/measurement_error.toml`` cites, for each ``[[error]]`` whose ``source`` starts
with ``bench_accuracy``, the MAE and bias of that metric (or ``rule.<name>``: the value that rule
judges per rep) and view in benchmarks/RESULTS.md, section
"Accuracy against rendered ground truth" (`bench_accuracy.py --append` rewrites it); for those
starting with ``bench_depth``, the figures near depth in bench_depth's sections
(`bench_depth.py --write`). Run this after either; tests/test_measurement_error.py fails while
the two disagree.

    python benchmarks/sync_errors.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "formcheck" / "rules" / "measurement_error.toml"
VIEWS = ("front", "oblique", "side")
#: bench_accuracy's per-rep rows and the measurement each gives the error of.
REP_ROWS = {
    "rep descent time (s)": "rep.descent_s",
    "rep ascent time (s)": "rep.ascent_s",
    "rep peak knee flexion (deg)": "rep.peak_knee_flexion_deg",
    "rep lockout knee flexion (deg)": "rep.lockout_knee_flexion_deg",
}


def accuracy() -> dict[tuple[str, str], tuple[float, float]]:
    """``(metric, view) -> (MAE, bias)`` from bench_accuracy's table in RESULTS.md."""
    text = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    section = text[text.index("## Accuracy against rendered ground truth") :]
    out = {}
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 5:
            continue
        name = re.fullmatch(r"`([\w.]+)`", cells[0])  # a metric, or rule.<name>: a rule's value
        metric = name[1] if name and cells[1] != "unit" else REP_ROWS.get(cells[0])
        if metric is None:
            continue
        for view, cell in zip(VIEWS, cells[2:], strict=True):
            m = re.match(r"([\d.]+) / ([+-]?[\d.]+)", cell)
            if m:
                out[(metric, view)] = (float(m[1]), float(m[2]))
    return out


def depth() -> dict[tuple[str, str], tuple[float, float]]:
    """``(metric, view) -> (MAE, bias)`` near depth from bench_depth's sections of RESULTS.md:
    ``knee_flexion_level`` (front, oblique) and ``thigh_from_horizontal`` (every view)."""
    text = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    out = {}
    for heading, metric in (
        ("## Depth through the product's path (", "knee_flexion_level"),
        ("## Depth through the product's path: the parallel standard", "thigh_from_horizontal"),
    ):
        section = text[text.index(heading) :]
        section = section[section.index(f"`{metric}` against the rendered truth") :]
        for line in section.splitlines()[1:]:
            if line.startswith("## "):
                break
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) in (4, 5) and cells[0] in VIEWS:
                out[(metric, cells[0])] = (float(cells[1]), float(cells[2]))
    return out


def main() -> None:
    figures = {"bench_accuracy": accuracy(), "bench_depth": depth()}
    blocks = TABLE.read_text().split("[[error]]")
    changed = 0
    for i, block in enumerate(blocks[1:], start=1):
        metric = re.search(r'^metric = "([^"]+)"', block, re.M)
        view = re.search(r'^view = "([^"]+)"', block, re.M)
        source = re.search(r'^source = "(bench_accuracy|bench_depth)', block, re.M)
        if not (metric and view and source):
            continue
        mae, bias = figures[source[1]][(metric[1], view[1])]
        new = re.sub(r"^error = .*$", f"error = {mae}", block, count=1, flags=re.M)
        new = re.sub(r"^bias = .*$", f"bias = {bias}", new, count=1, flags=re.M)
        changed += new != block
        blocks[i] = new
    TABLE.write_text("[[error]]".join(blocks))
    print(f"{TABLE.relative_to(ROOT)}: {changed} entries updated")


if __name__ == "__main__":
    main()
