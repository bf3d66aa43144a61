"""``--record OUTDIR``: keep the processed frames as a video and, at the end, write the same
report as ``formcheck analyze`` for the session.

`Recorder` encodes every processed frame (in processing order, one video frame per pose
row) to ``OUTDIR/session.mp4`` in a background thread, so encoding stays off the
processing loop. `write_record` hands that video and the session's pose sequence (as a
landmark cache) to the ``analyze`` pipeline (`formcheck.report.pipeline.run`), which
computes metrics, reps and scores and writes report.html, report.json, CSVs, landmarks.npz
and annotated.mp4 exactly as ``analyze --landmarks`` does. `write_live_json` adds
``live.json``: what the person was told live (each rep event) and how the session ran.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..core.sequence import PoseSequence
from ..errors import InputError
from .events import RepEvent, Summary

SESSION_MP4 = "session.mp4"
LIVE_JSON = "live.json"
_QUEUE_FRAMES = 64
_DONE = object()


class Recorder:
    """Processed frames -> ``outdir/session.mp4`` (H.264), written in a daemon thread."""

    def __init__(self, outdir: str | Path, fps: float) -> None:
        self.outdir = Path(outdir)
        if self.outdir.exists() and not self.outdir.is_dir():
            raise InputError(
                f"{self.outdir}: exists and is not a folder, expected an output folder"
            )
        self.path = self.outdir / SESSION_MP4
        self.fps = float(fps)
        self.frames = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._thread: threading.Thread | None = None

    def add(self, rgb: np.ndarray) -> None:
        """Queue one frame (blocks only if the encoder is ``_QUEUE_FRAMES`` frames behind)."""
        if self._thread is None:
            h, w = rgb.shape[:2]
            self._thread = threading.Thread(
                target=self._write, args=(self._queue, w, h), name="formcheck-record", daemon=True
            )
            self._thread.start()
        self._queue.put(rgb)
        self.frames += 1

    def reset(self) -> None:
        """Drop what was recorded so far (the session was reset)."""
        self._finish(keep=False)

    def close(self) -> Path | None:
        """Finish the video; returns its path, or None when no frame was recorded."""
        return self._finish(keep=True)

    def _finish(self, keep: bool) -> Path | None:
        thread, self._thread = self._thread, None
        if thread is None:
            return None
        self._queue.put((_DONE, keep))
        thread.join()
        self._queue = queue.Queue(maxsize=_QUEUE_FRAMES)
        frames, self.frames = self.frames, 0
        if self.error is not None:
            error, self.error = self.error, None
            raise InputError(f"{self.path}: cannot write the session video ({error})")
        return self.path if keep and frames else None

    def _write(self, q: queue.Queue[Any], width: int, height: int) -> None:
        from ..media.videowriter import VideoWriter

        done = False
        try:
            with VideoWriter(self.path, fps=self.fps, size=(width, height)) as writer:
                while not done:
                    item = q.get()
                    if isinstance(item, tuple) and item[0] is _DONE:
                        done = True
                        if not item[1]:
                            raise _Discard
                    else:
                        writer.write(item)
        except _Discard:
            pass  # the writer deleted its temporary file
        except Exception as exc:  # reported by close()
            self.error = exc
            while not done:  # drain, so the producer never blocks
                item = q.get()
                done = isinstance(item, tuple) and item[0] is _DONE


class _Discard(Exception):
    """Raised inside the writer's with block to throw the video away."""


def write_record(
    outdir: Path, seq: PoseSequence, video: Path, rules: Path | None
) -> dict[str, Any]:
    """The ``analyze`` report of ``seq`` (rows = frames of ``video``) into ``outdir``; returns the report."""
    from ..media.cache import save
    from ..report.pipeline import AnalyzeOptions, run

    with tempfile.TemporaryDirectory(prefix=".formcheck-live-", dir=outdir.parent) as tmp:
        cache = save(seq, Path(tmp) / "landmarks.npz", video=video)
        result = run(
            AnalyzeOptions(video=video, outdir=outdir, rules=rules, landmarks=cache, progress=False)
        )
    return result.report


def write_live_json(outdir: Path, summary: Summary, events: list[RepEvent]) -> Path:
    """``outdir/live.json``: the reps as counted live (frames index session.mp4 and landmarks.npz),
    every rep event in order, and the session's figures (fps, latency in seconds, dropped frames)."""
    import json
    from dataclasses import asdict

    from ..media.cache import atomic_write

    doc = {
        "reps": [asdict(r) for r in summary.reps],
        "events": [asdict(e) for e in events],
        "score": summary.score,
        "verdict": summary.verdict,
        "top_cues": summary.top_cues,
        "frames_processed": summary.frames_processed,
        "frames_dropped": summary.frames_dropped,
        "processed_fps": _num(summary.fps),
        "latency_p50_s": _num(summary.latency_p50_s),
        "latency_p95_s": _num(summary.latency_p95_s),
        "end_reason": summary.end_reason,
        "revisions": summary.revisions,
    }
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    return atomic_write(outdir / LIVE_JSON, lambda fh: fh.write(text.encode("utf-8")))


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
