"""Batch jobs: identity by content hash, one output folder per video, a finished marker.

A job is one video analysed with one set of settings. Its identity is the SHA-256 of the
video's bytes plus a *settings key* (hash of the rules file's bytes and the options that
change the outputs), so a renamed or moved video is still recognised and a new rules file
makes every job due again. Outputs go to ``OUTDIR/videos/<stem>-<sha[:10]>/``; two videos
with the same file name but different content never share a folder. The marker
``batch-done.json`` is written last, atomically: a folder without a valid marker for the
current settings is an unfinished job and is redone; ``landmarks.npz`` left by an earlier
run is reused, so re-scoring never runs the pose model again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..report.files import LANDMARKS_NPZ
from .digest import VideoSummary, read_summary_json

MARKER = "batch-done.json"
LOG = "batch-log.jsonl"
HASHES = "batch-hashes.json"
LANDMARKS = LANDMARKS_NPZ  # left by an earlier run: re-scored without the pose model
VIDEOS_DIR = "videos"
HASH_PREFIX = 10
_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_JOB_DIR = re.compile(rf"^(?P<stem>.*)-(?P<hash>[0-9a-f]{{{HASH_PREFIX}}})$")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks (memory does not grow with size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashCache:
    """SHA-256 of files hashed by an earlier run (``OUTDIR/batch-hashes.json``), trusted while
    a file's size, modification time (ns) and inode are unchanged; so resuming a batch does
    not read every video again. Identity is still the content hash."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.hashed = 0  # files actually read by this instance
        try:
            self._known: dict[str, list[Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._known = {}
        self._dirty = False

    def sha256(self, file: str | Path) -> str:
        """The file's SHA-256 (hex), from the cache when the file has not changed."""
        st = os.stat(file)
        key = str(Path(file).resolve())
        signature = [st.st_size, st.st_mtime_ns, st.st_ino]
        known = self._known.get(key)
        if isinstance(known, list) and known[:3] == signature and len(known) == 4:
            return str(known[3])
        sha = file_sha256(file)
        self.hashed += 1
        self._known[key] = [*signature, sha]
        self._dirty = True
        return sha

    def save(self) -> None:
        if self._dirty:
            write_atomic(self.path, json.dumps(self._known, indent=0))
            self._dirty = False


def job_dirname(video: str | Path, sha256: str) -> str:
    """Folder name ``<stem>-<sha[:10]>``, the stem reduced to ``[A-Za-z0-9._-]`` (60 chars max)."""
    stem = _UNSAFE.sub("_", Path(video).stem).strip("._")[:60] or "video"
    return f"{stem}-{sha256[:HASH_PREFIX]}"


def rules_sha256(rules: str | Path | None) -> str:
    """SHA-256 of the rules ``rules`` names (`formcheck.core.ruleset.resolve_rules`: a rule file
    or a shipped set's name; None: the default set)."""
    from ..core.ruleset import resolve_rules

    return hashlib.sha256(resolve_rules(rules).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Settings:
    """Analysis settings shared by every job of a batch (picklable, sent to workers).

    ``rules`` is a TOML rule file or a shipped rule set's name (None: the default rules);
    ``make_video`` writes ``annotated.mp4``; ``blur_faces`` blurs faces in it; ``exports`` the
    biomechanics files of `formcheck.export` to write too.
    """

    rules: str | None = None
    blur_faces: bool = False
    make_video: bool = True
    exports: tuple[str, ...] = ()

    def key(self) -> str:
        """Hex digest naming these settings: the rule file's *content* counts, not its name
        (so editing the shipped rules in a new version re-scores too)."""
        rules_sha = rules_sha256(self.rules)
        settings = {
            "rules": rules_sha,
            "blur_faces": self.blur_faces,
            "make_video": self.make_video,
        }
        if self.exports:  # only then, so batches run without --export keep their keys
            settings["exports"] = sorted(self.exports)
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Job:
    """One video to analyse into ``outdir`` (absolute paths as strings: workers may be remote)."""

    video: str
    name: str
    sha256: str
    outdir: str
    log: str
    settings: Settings
    settings_key: str


@dataclass
class JobResult:
    """What a job left behind: ``status`` ``ok`` or ``failed``, the reason, and the
    per-video digest (`VideoSummary`: reps, score, rule pass rates and medians) when ``ok``.

    ``final`` is False for failures that may pass on another try (a crashed worker, an
    internal error): those are reported but leave no marker, so the next run retries.
    ``pose_source`` is ``model`` or ``cache`` (where the landmarks came from).
    """

    sha256: str
    settings_key: str
    status: str
    error: str = ""
    summary: VideoSummary | None = None
    final: bool = True
    pose_source: str = ""
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        """The row's status: ``analysed``, ``no_person``, ``no_squat`` (reported) or ``failed``."""
        if self.status != "ok":
            return "failed"
        return self.summary.status if self.summary is not None else "analysed"

    def to_json(self) -> str:
        """The marker's JSON: everything but the digest (that is ``summary.json``)."""
        data = {k: v for k, v in asdict(self).items() if k != "summary"}
        return json.dumps(data, indent=1, allow_nan=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> JobResult:
        """The marker `to_json` wrote (without its digest)."""
        data = json.loads(text)
        fields = cls.__dataclass_fields__
        return cls(**{k: data[k] for k in fields if k in data and k != "summary"})


def write_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    from ..media.cache import atomic_write

    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def write_marker(outdir: str | Path, result: JobResult) -> None:
    """Record a finished job (the last thing a job writes)."""
    write_atomic(Path(outdir) / MARKER, result.to_json())


def read_marker(outdir: str | Path) -> JobResult | None:
    """The marker in ``outdir``, or None when absent or unreadable (= not finished)."""
    try:
        return JobResult.from_json((Path(outdir) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def finished(outdir: str | Path, sha256: str, settings_key: str) -> JobResult | None:
    """The marker's result when ``outdir`` holds a finished job for this video and settings,
    with its digest from ``summary.json`` when ``ok`` (no readable digest: not finished)."""
    result = read_marker(outdir)
    if result is None or result.sha256 != sha256 or result.settings_key != settings_key:
        return None
    if result.status == "ok":
        result.summary = read_summary_json(outdir)
        if result.summary is None:
            return None
    return result


def existing_job_dirs(outdir: str | Path) -> dict[str, list[Path]]:
    """Job folders already under ``OUTDIR/videos``, by hash prefix (finds renamed videos' work)."""
    found: dict[str, list[Path]] = {}
    videos = Path(outdir) / VIDEOS_DIR
    if videos.is_dir():
        for d in sorted(videos.iterdir()):
            m = _JOB_DIR.match(d.name)
            if m and d.is_dir():
                found.setdefault(m["hash"], []).append(d)
    return found


def _holds_video(d: Path, sha256: str) -> bool:
    """An earlier marker (any settings) in ``d`` says it is this video's folder."""
    marker = read_marker(d)
    return marker is not None and marker.sha256 == sha256


def plan_dir(
    outdir: str | Path, video: str | Path, sha256: str, existing: dict[str, list[Path]]
) -> Path:
    """Folder for this video: an existing one holding the same content (the video may have
    been renamed) -- preferring a finished one -- else ``OUTDIR/videos/<stem>-<sha[:10]>``."""
    default = Path(outdir) / VIDEOS_DIR / job_dirname(video, sha256)
    candidates: Iterable[Path] = existing.get(sha256[:HASH_PREFIX], [])
    for d in candidates:
        if _holds_video(d, sha256):
            return d
    return default
