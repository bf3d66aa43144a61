"""Find the videos of a batch: a folder searched recursively, or a manifest CSV.

A manifest is a CSV file with a header row naming the columns ``path``, ``patient_id``,
``session_date``, ``view`` and ``notes`` (``path`` is required, the others may be left
out or empty). Relative paths are resolved against the manifest's own folder, or against
``base`` when given. ``session_date`` is an ISO date (``YYYY-MM-DD``); ``view`` is one of
``front``, ``side``, ``oblique`` or empty. A malformed manifest raises `InputError`
naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

#: File name extensions (lower case) taken as video files when a folder is searched.
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".mpg",
        ".mpeg",
        ".3gp",
        ".wmv",
        ".mts",
        ".m2ts",
    }
)
MANIFEST_COLUMNS = ("path", "patient_id", "session_date", "view", "notes")
VIEWS = frozenset({"", "front", "side", "oblique"})


@dataclass(frozen=True)
class VideoEntry:
    """One video of a batch and what the clinic knows about it.

    ``name`` is the path shown to people: relative to the folder searched (or as
    written in the manifest). ``session_date`` is ``YYYY-MM-DD`` or empty.
    """

    path: Path
    name: str
    patient_id: str = ""
    session_date: str = ""
    view: str = ""
    notes: str = ""


def is_video_name(name: str) -> bool:
    """True when ``name`` ends with a video extension (any case)."""
    return Path(name).suffix.lower() in VIDEO_EXTENSIONS


def discover_folder(root: str | Path, exclude: Iterable[str | Path] = ()) -> list[VideoEntry]:
    """Video files under ``root`` (recursively, sorted by relative path).

    Hidden files and folders (name starting with ``.``) and everything under the
    ``exclude`` folders (e.g. the batch's own output folder) are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: expected a folder of videos, got no such folder")
    skip = {Path(p).resolve() for p in exclude}
    found: list[VideoEntry] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip
        )
        for fname in filenames:
            if not fname.startswith(".") and is_video_name(fname):
                path = here / fname
                found.append(VideoEntry(path=path, name=path.relative_to(root).as_posix()))
    return sorted(found, key=lambda e: e.name)


def read_manifest(manifest: str | Path, base: str | Path | None = None) -> list[VideoEntry]:
    """Rows of a manifest CSV as `VideoEntry`, in file order (see the module docstring)."""
    manifest = Path(manifest)
    base_dir = Path(base) if base is not None else manifest.parent
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{manifest}: expected a manifest CSV file, got no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{manifest}: cannot read the manifest: {exc}") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise InputError(
            f"{manifest}:1: expected a header row with columns {', '.join(MANIFEST_COLUMNS)}, "
            "got an empty file"
        )
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS]
    if unknown or "path" not in columns or len(set(columns)) != len(columns):
        raise InputError(
            f"{manifest}:1: expected a header of distinct columns among "
            f"{', '.join(MANIFEST_COLUMNS)} including path, got {', '.join(header)}"
        )
    entries: list[VideoEntry] = []
    first_line: dict[Path, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise InputError(f"{manifest}:{line}: expected {len(columns)} fields, got {len(row)}")
        values = {c: cell.strip() for c, cell in zip(columns, row, strict=True)}
        entries.append(_entry(manifest, line, values, base_dir, first_line))
    if not entries:
        raise InputError(f"{manifest}: expected at least one video row, got none")
    return entries


def _entry(
    manifest: Path, line: int, values: dict[str, str], base_dir: Path, first_line: dict[Path, int]
) -> VideoEntry:
    where = f"{manifest}:{line}"
    raw_path = values.get("path", "")
    if not raw_path:
        raise InputError(f"{where}: expected a video path in column path, got an empty cell")
    path = Path(raw_path)
    if not path.is_absolute():
        path = base_dir / path
    key = path.resolve()
    if key in first_line:
        raise InputError(
            f"{where}: expected each video once, got {raw_path} again (first on line "
            f"{first_line[key]})"
        )
    first_line[key] = line
    date = values.get("session_date", "")
    if date:
        try:
            date = dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise InputError(
                f"{where}: expected session_date as YYYY-MM-DD, got {date!r}"
            ) from None
    view = values.get("view", "").lower()
    if view not in VIEWS:
        raise InputError(
            f"{where}: expected view front, side, oblique or empty, got {values['view']!r}"
        )
    return VideoEntry(
        path=path,
        name=raw_path,
        patient_id=values.get("patient_id", ""),
        session_date=date,
        view=view,
        notes=values.get("notes", ""),
    )
