"""One batch job in a worker process (local or Dask): thread caps, CPU pinning, the analysis,
its digest (``summary.json``), its log line and its finished marker.

Threads, measured on this 2-core machine (see ``benchmarks/RESULTS.md``): MediaPipe's XNNPACK
delegate runs one inference thread on Linux desktops (its default outside Android/iOS), but
the PoseLandmarker graph runs its calculators on an executor pool ("drishti" threads, one per
core); decoding runs in a prefetch thread, and where it is threaded (the annotated-video and
stills passes) FFmpeg starts cores + 1 frame threads; libx264 sizes its own pool from the CPU
count. Environment caps (OMP/BLAS/OpenCV) reach none of these, so each local worker is
*pinned* to ``cores // workers`` CPUs of its own, which FFmpeg's, x264's and OpenCV's
automatic thread counts follow. One worker keeps every CPU.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import FormcheckError, InputError, NoPersonError
from .digest import SUMMARY_JSON, VideoSummary, write_summary_json
from .jobs import LANDMARKS, Job, JobResult, finished, write_marker

#: The per-video analysis, as "module:function" so spawned and remote workers can import it.
DEFAULT_ANALYZER = "formcheck.batch.worker:analyze_video"

#: Environment variables that cap the thread pools of numeric and video libraries.
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "OPENCV_FOR_THREADS_NUM",
)

#: ``analyzer(video, outdir, *, rules, blur_faces, make_video, landmarks) -> VideoSummary``:
#: writes the video's outputs into ``outdir`` and returns their digest.
Analyzer = Callable[..., VideoSummary]


def resolve(analyzer: str) -> Analyzer:
    """Import ``"package.module:function"``."""
    module, _, name = analyzer.partition(":")
    return getattr(importlib.import_module(module), name)


def limit_threads(threads: int) -> None:
    """Cap this process's library thread pools at ``threads`` (call before heavy imports)."""
    for var in THREAD_ENV:
        os.environ[var] = str(threads)
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(threads)


def _die_with_parent() -> None:
    """Linux: ask the kernel to kill this worker when the batch process dies (kill -9 included),
    so a killed batch leaves no orphan finishing a video the next run would redo."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask; all of them where there is none)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_slots(workers: int, pin: bool = True) -> list[set[int]] | None:
    """Disjoint CPU sets, one per worker (``cores // workers`` CPUs each), or None when
    pinning is off, impossible (more workers than CPUs) or pointless (one worker)."""
    if not pin or not hasattr(os, "sched_getaffinity") or workers < 2:
        return None
    cpus = sorted(os.sched_getaffinity(0))
    per = len(cpus) // workers
    if per < 1:
        return None
    return [set(cpus[i * per : (i + 1) * per]) for i in range(workers)]


def init_worker(threads: int, slots: list[set[int]] | None, counter: Any) -> None:
    """Worker start-up: die with the batch, cap library threads, take the next free CPU set.

    Pinning a worker to its own CPUs also caps the threads that size themselves from the
    CPUs a process may use (FFmpeg's and x264's automatic thread counts, OpenCV)."""
    _die_with_parent()
    limit_threads(threads)
    if slots:
        with counter.get_lock():
            slot = counter.value % len(slots)
            counter.value += 1
        os.sched_setaffinity(0, slots[slot])


def analyze_video(
    video: Path,
    outdir: Path,
    *,
    rules: str | Path | None = None,
    blur_faces: bool = False,
    make_video: bool = True,
    landmarks: Path | None = None,
    exports: tuple[str, ...] = (),
) -> VideoSummary:
    """What ``formcheck analyze VIDEO -o OUTDIR`` does (`formcheck.report.pipeline.run`), without
    a progress bar; returns the digest of its `Analysis` (`formcheck.batch.digest.video_summary`).
    """
    from ..report.pipeline import AnalyzeOptions, outcome_message, run
    from .digest import video_summary

    options = AnalyzeOptions(
        video=Path(video),
        outdir=Path(outdir),
        rules=rules,
        write_video=make_video,
        blur_faces=blur_faces,
        landmarks=landmarks,
        progress=False,
        exports=tuple(exports),
        jobs=1,  # batch runs one video per core already: one more process each would oversubscribe
    )
    analysis = run(options).analysis
    assert analysis is not None  # run always returns the Analysis it reported on
    return video_summary(analysis, outcome_message(analysis, options.video.name))


def _remove_stale_stages(job_dir: Path) -> None:
    """Delete temporary folders an interrupted analysis of this job left beside its folder
    (``.<name>.*.tmp``, see `formcheck.report.outputs.staged_outputs`)."""
    for stale in job_dir.parent.glob(f".{job_dir.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)


def _append_log(job: Job, result: JobResult, warned: list[str], trace: str = "") -> None:
    """One JSON line per job run in ``OUTDIR/batch-log.jsonl`` (single append: atomic on POSIX)."""
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "video": job.name,
        "sha256": job.sha256,
        "status": result.outcome,
        "pose_source": result.pose_source,
        "seconds": round(result.seconds, 3),
        "error": result.error,
        "warnings": warned,
    }
    if trace:
        record["traceback"] = trace
    line = json.dumps(record)
    fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def run_job(job: Job, analyzer: str = DEFAULT_ANALYZER, threads: int | None = None) -> JobResult:
    """Analyse one video into ``job.outdir`` (in a local worker or on a Dask worker).

    Reuses ``landmarks.npz`` when an earlier run left one (the pose model is not run).
    An `InputError` (unreadable video) is a final ``failed`` result; a `ModelError` or
    any other exception is a ``failed`` result retried on the next run (the video may
    be fine). Writes the analysis' digest (``summary.json``, `VideoSummary`), the finished
    marker (final results only), then a log line; Python warnings (and the traceback of an
    internal error) go into the log line, not the terminal. The returned `JobResult` carries
    the digest to the scheduler.
    """
    previous = finished(job.outdir, job.sha256, job.settings_key)
    if previous is not None:  # run again by a cluster that lost the worker holding the result
        return previous
    if threads:
        limit_threads(threads)
    out = Path(job.outdir)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / LANDMARKS
    t0 = time.perf_counter()
    source = "cache" if cache.is_file() else "model"
    _remove_stale_stages(out)
    (out / SUMMARY_JSON).unlink(missing_ok=True)  # an earlier run's digest (other settings)
    trace = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                summary = _analyze(job, analyzer, cache if source == "cache" else None)
            except InputError:
                if source != "cache":
                    raise
                source = "model"  # an unusable cache (older format, damaged): run the model instead
                cache.unlink(missing_ok=True)
                summary = _analyze(job, analyzer, None)
            write_summary_json(out, summary)  # before the marker: a finished job has its digest
            result = JobResult(job.sha256, job.settings_key, "ok", summary=summary)
        except (InputError, NoPersonError) as exc:
            result = JobResult(job.sha256, job.settings_key, "failed", error=str(exc))
        except FormcheckError as exc:  # the model or the machine, not the video: retried next run
            result = JobResult(job.sha256, job.settings_key, "failed", error=str(exc), final=False)
        except Exception as exc:  # noqa: BLE001 -- a batch must go on; reported and retried next run
            result = JobResult(
                job.sha256,
                job.settings_key,
                "failed",
                final=False,
                error=f"internal error: {type(exc).__name__}: {exc}",
            )
            trace = traceback.format_exc()
    result.pose_source = source
    result.seconds = time.perf_counter() - t0
    if result.final:
        write_marker(out, result)
    _append_log(job, result, sorted({f"{w.category.__name__}: {w.message}" for w in caught}), trace)
    return result


def _analyze(job: Job, analyzer: str, landmarks: Path | None) -> VideoSummary:
    """Run the analysis; return its digest (`formcheck.batch.digest.VideoSummary`)."""
    s = job.settings
    extra = {"exports": s.exports} if s.exports else {}  # analyzers written before --export
    summary = resolve(analyzer)(
        Path(job.video),
        Path(job.outdir),
        rules=s.rules,  # a rule file or a shipped set's name, as `resolve_rules` takes it
        blur_faces=s.blur_faces,
        make_video=s.make_video,
        landmarks=landmarks,
        **extra,
    )
    if not isinstance(summary, VideoSummary):
        raise TypeError(f"{analyzer} returned {type(summary).__name__}, expected VideoSummary")
    return summary


@contextlib.contextmanager
def thread_env(threads: int) -> Iterator[None]:
    """Set the thread-capping variables for spawned workers; restore the caller's afterwards."""
    saved = {var: os.environ.get(var) for var in THREAD_ENV}
    try:
        for var in THREAD_ENV:
            os.environ[var] = str(threads)
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
