"""Exports for biomechanics tools (``formcheck analyze --export trc,mot,c3d``).

- ``markers.trc``: world landmarks as marker trajectories in metres (OpenSim, Pose2Sim, Sports2D);
- ``angles.mot``: per-frame knee flexion, FPPA, foot progression and trunk lean in degrees
  (OpenSim storage);
- ``markers.c3d``: the same markers as ``markers.trc``, in millimetres (needs ``ezc3d``:
  ``pip install "formcheck[biomech]"``).

See `formcheck.export.markers` and `formcheck.export.angles` for names, frames and units.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.metricset import MetricSet
from ..core.sequence import PoseSequence
from ..errors import InputError

#: Export format -> file name written into the output folder.
EXPORT_FILES: dict[str, str] = {
    "trc": "markers.trc",
    "mot": "angles.mot",
    "c3d": "markers.c3d",
}


def parse_exports(text: str | None) -> tuple[str, ...]:
    """``"trc,mot"`` -> ``("trc", "mot")`` (case and spaces ignored, duplicates dropped); raises
    `InputError` naming an unknown format, or when c3d is asked for and ezc3d is missing (so the
    run stops before the pose model, not after)."""
    if not text:
        return ()
    formats = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in text.split(",")))
    formats = tuple(f for f in formats if f)
    unknown = [f for f in formats if f not in EXPORT_FILES]
    if unknown:
        raise InputError(
            f"--export {text}: unknown format {', '.join(unknown)}, "
            f"expected a comma-separated list of {', '.join(EXPORT_FILES)}"
        )
    if "c3d" in formats:
        try:
            import ezc3d  # noqa: F401
        except ImportError:
            raise InputError(
                '--export c3d: needs ezc3d, install it with pip install "formcheck[biomech]"'
            ) from None
    return formats


def write_exports(
    folder: Path,
    formats: Sequence[str],
    seq: PoseSequence,
    metrics: MetricSet,
    view: str,
) -> list[str]:
    """Write each of ``formats`` into ``folder`` (`EXPORT_FILES` names); returns the names written.
    ``view`` (the set's) is named in the header of ``angles.mot``."""
    from .angles import mot_text
    from .markers import trc_text, write_c3d

    written = []
    for fmt in formats:
        path = folder / EXPORT_FILES[fmt]
        if fmt == "trc":
            path.write_text(trc_text(seq, path.name), encoding="utf-8")
        elif fmt == "mot":
            path.write_text(mot_text(metrics, view), encoding="utf-8")
        elif fmt == "c3d":
            write_c3d(seq, path)
        written.append(path.name)
    return written
