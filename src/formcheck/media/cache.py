"""Landmark cache: a `PoseSequence` saved as ``.npz``, and a wide per-frame CSV.

The ``.npz`` holds the arrays exactly (float64, NaN rows kept) with a format
version and the sha256 of the model that produced them, so scoring can be re-run
without the pose model. It is bound to its video: ``meta`` records the video's file
name (never its folder), size and a hash of its first and last MiB
(:func:`video_fingerprint`), and :func:`check_video` refuses it for any other video.
Files are written to a temporary file in the same folder and renamed into place, so a
failed write never leaves half a file.

CSV columns, one row per frame: ``frame``, ``time_s`` (seconds from the first
frame), ``detected`` (1 or 0), then for each of the 33 landmarks (names from
:mod:`formcheck.core.landmarks`): ``<name>_x``, ``<name>_y`` (image coordinates
normalised to [0, 1] by width and height, y down), ``<name>_z`` (relative depth,
scale of x), ``<name>_vis`` (visibility in [0, 1]), and ``<name>_wx``,
``<name>_wy``, ``<name>_wz`` (world coordinates in metres, origin at the hip
centre, y down). Frames with no person have empty cells.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from ..core.landmarks import NAMES, NUM_LANDMARKS
from ..core.sequence import PoseSequence
from ..errors import InputError

if TYPE_CHECKING:
    from .model import ModelFile

FORMAT = "formcheck.landmarks"
FORMAT_VERSION = 1
_ARRAYS = ("landmarks", "world", "visibility", "timestamps")
_KEYS = (
    "format",
    "format_version",
    *_ARRAYS,
    "fps",
    "image_size",
    "source",
    "model_sha256",
    "meta",
)


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it to ``path``.

    The parent folder is created if missing. On any error the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


#: Bytes hashed at each end of a video for its fingerprint: the container header (and index when
#: it is at the start) and the last coded frames (and index when it is at the end) differ between
#: any two recordings, and hashing 2 MiB takes milliseconds however long the video is.
FINGERPRINT_BYTES = 1 << 20


def video_fingerprint(video: str | Path) -> dict[str, str]:
    """``video_name`` (file name only), ``video_size`` (bytes) and ``video_sha256_ends`` (hex
    sha256 of the size and the first and last `FINGERPRINT_BYTES`) of a video file."""
    video = Path(video)
    size = video.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(video, "rb") as fh:
        digest.update(fh.read(FINGERPRINT_BYTES))
        fh.seek(max(0, size - FINGERPRINT_BYTES))
        digest.update(fh.read(FINGERPRINT_BYTES))
    return {
        "video_name": video.name,
        "video_size": str(size),
        "video_sha256_ends": digest.hexdigest(),
    }


def check_video(seq: PoseSequence, cache: str | Path, video: str | Path) -> bool:
    """Raise :class:`InputError` naming both files unless ``seq`` (loaded from ``cache``) holds the
    landmarks of ``video``. A cache without a fingerprint (an earlier formcheck's, or made in
    Python) is refused only when it names another video file (a source with a file extension):
    nothing more can be checked, and the caller should compare image size and frame count.
    Returns True when the fingerprint proved the cache is ``video``'s."""
    video = Path(video)
    recorded = seq.meta.get("video_sha256_ends")
    if recorded is None:
        name = Path(seq.source).name
        if Path(name).suffix and name != video.name:
            raise InputError(
                f"{cache}: landmarks of {name}, not of {video} "
                "(run without --landmarks to extract them from this video)"
            )
        return False
    if video_fingerprint(video)["video_sha256_ends"] != recorded:
        name = seq.meta.get("video_name") or Path(seq.source).name or "another video"
        size = seq.meta.get("video_size", "?")
        raise InputError(
            f"{cache}: landmarks of another video ({name}, {size} bytes), not of {video} "
            "(run without --landmarks to extract them from this video)"
        )
    return True


def save(seq: PoseSequence, path: str | Path, video: str | Path | None = None) -> Path:
    """Write ``seq`` to ``path`` (``.npz``, compressed) atomically; returns ``path``. With
    ``video``, the cache records that video's fingerprint (see :func:`check_video`). Only the
    file name of ``seq.source`` is kept."""
    meta = dict(seq.meta)
    if video is not None:
        meta.update(video_fingerprint(video))
    arrays = {
        "format": np.array(FORMAT),
        "format_version": np.array(FORMAT_VERSION),
        "landmarks": seq.landmarks,
        "world": seq.world,
        "visibility": seq.visibility,
        "timestamps": seq.timestamps,
        "fps": np.array(seq.fps, dtype=np.float64),
        "image_size": np.array(seq.image_size, dtype=np.int64),
        "source": np.array(Path(seq.source).name if seq.source else ""),
        "model_sha256": np.array(seq.model_sha256),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
    }
    return atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))


def load(path: str | Path) -> PoseSequence:
    """Read a sequence written by :func:`save`; problems raise :class:`InputError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: {'is a directory' if path.is_dir() else 'no such file'}, "
            f"expected a landmark cache (.npz)"
        )
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
        if not magic.startswith(b"PK") and magic != b"\x93NUMPY":  # numpy would try pickle
            raise InputError(
                f"{path}: not a readable landmark cache, expected a .npz "
                f"({'empty file' if not magic else 'not a zip archive'})"
            )
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: a single .npy array, expected a landmark cache (.npz)")
        with data:
            missing = [k for k in _KEYS if k not in data.files]
            if "format" in missing or ("format" in data.files and str(data["format"]) != FORMAT):
                raise InputError(
                    f"{path}: not a formcheck landmark cache (no '{FORMAT}' format key)"
                )
            version = int(data["format_version"]) if "format_version" in data.files else None
            if version != FORMAT_VERSION:
                raise InputError(
                    f"{path}: landmark cache format version {version}, "
                    f"expected {FORMAT_VERSION} (re-run `formcheck landmarks`)"
                )
            if missing:
                raise InputError(f"{path}: landmark cache is missing {', '.join(missing)}")
            fields = {k: data[k] for k in _KEYS}
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        if "allow_pickle" in str(exc):  # numpy's advice is for programmers: it would run code
            raise InputError(
                f"{path}: holds Python objects, expected a formcheck landmark cache (plain arrays)"
            ) from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"{path}: not a readable landmark cache, expected a .npz ({reason})"
        ) from None
    try:
        return PoseSequence(
            landmarks=fields["landmarks"],
            world=fields["world"],
            visibility=fields["visibility"],
            timestamps=fields["timestamps"],
            fps=float(fields["fps"]),
            image_size=tuple(int(v) for v in fields["image_size"]),
            source=str(fields["source"]),
            model_sha256=str(fields["model_sha256"]),
            meta={str(k): str(v) for k, v in json.loads(str(fields["meta"])).items()},
        )
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: inconsistent landmark cache ({exc})") from None


def csv_header() -> list[str]:
    """Column names of :func:`save_csv` (see the module docstring for units)."""
    cols = ["frame", "time_s", "detected"]
    for name in NAMES:
        cols += [f"{name}_{c}" for c in ("x", "y", "z", "vis", "wx", "wy", "wz")]
    return cols


def csv_table(seq: PoseSequence) -> np.ndarray:
    """``(T, 3 + 33 * 7)`` float table in :func:`csv_header` order."""
    n = len(seq)
    per_landmark = np.concatenate(
        [seq.landmarks, seq.visibility[..., None], seq.world], axis=2
    ).reshape(n, NUM_LANDMARKS * 7)
    head = np.column_stack([np.arange(n), seq.timestamps, seq.detected.astype(np.float64)])
    return np.hstack([head, per_landmark])


_NAN_CELL = re.compile(r"(?<![^,\n])nan(?![^,\n])")


def save_csv(seq: PoseSequence, path: str | Path) -> Path:
    """Write the wide per-frame table (see the module docstring) atomically; returns ``path``."""
    buf = io.StringIO()
    fmt = ["%d", "%.6f", "%d"] + ["%.9g"] * (NUM_LANDMARKS * 7)
    np.savetxt(
        buf, csv_table(seq), fmt=fmt, delimiter=",", header=",".join(csv_header()), comments=""
    )
    text = _NAN_CELL.sub("", buf.getvalue())
    return atomic_write(path, lambda fh: fh.write(text.encode()))


def extract_cached(
    video: str | Path,
    path: str | Path,
    model: str | Path | ModelFile | None = None,
    jobs: int | None = 1,
) -> PoseSequence:
    """Landmarks of ``video``: loaded from the cache ``path`` when it holds this video's (same
    file name and fingerprint, see :func:`check_video`) from the same model, else extracted
    with `formcheck.media.parallel.extract` on ``jobs`` processes (1, the default: one
    process, as the benchmarks' caches are made; None: every core) without a progress bar, and
    saved there. ``model`` as for `extract` (None: the default model)."""
    from .model import ModelFile, resolve_model
    from .parallel import extract

    resolved = model if isinstance(model, ModelFile) else resolve_model(model)
    path = Path(path)
    if path.is_file():
        seq = load(path)
        try:
            check_video(seq, path, video)
        except InputError:
            pass  # another video's: extract again
        else:
            if seq.model_sha256 == resolved.sha256 and Path(seq.source).name == Path(video).name:
                return seq
    seq = extract(video, model=resolved, progress=False, jobs=jobs)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(seq, path, video=video)
    return seq
