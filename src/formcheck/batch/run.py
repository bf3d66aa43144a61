"""Run a batch: plan jobs, execute them in local worker processes or on a Dask cluster.

Exit codes of a finished batch: `EXIT_OK` (0) every video analysed, `EXIT_SOME_FAILED` (3)
at least one video is a ``failed`` row. Bad input to the batch itself (no videos, a bad
manifest) raises `InputError` before any work starts (exit 1).

Threads: each local worker is limited to ``max(1, cores // workers)`` threads for the
libraries that honour it (OpenMP/BLAS through the environment, OpenCV through
``cv2.setNumThreads``). MediaPipe's
XNNPACK delegate already runs one inference thread on Linux desktops, so N single-threaded
workers fill N cores without oversubscribing them (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import multiprocessing as mp
import os
import shutil
import sys
import time
import traceback
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormcheckError, InputError, NoPersonError
from .discover import VideoEntry
from .jobs import (
    HASHES,
    LANDMARKS,
    LOG,
    HashCache,
    Job,
    JobResult,
    Settings,
    existing_job_dirs,
    finished,
    plan_dir,
    read_marker,
    write_marker,
)
from .summary import video_summary

EXIT_OK = 0
EXIT_SOME_FAILED = 3

#: The per-video analysis, as "module:function" so spawned and remote workers can import it.
DEFAULT_ANALYZER = "formcheck.batch.run:analyze_video"

#: Environment variables that cap the thread pools of numeric and video libraries.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "OPENCV_FOR_THREADS_NUM")  # fmt: skip

Analyzer = Callable[..., dict[str, Any]]
OnDone = Callable[[Job, JobResult], None]


@dataclass
class Outcome:
    """One video of the batch after running: where its outputs are and what happened."""

    entry: VideoEntry
    result: JobResult
    job_dir: Path | None = None


@dataclass
class BatchReport:
    """Every video's outcome (in input order) and how many jobs ran / were skipped."""

    outcomes: list[Outcome]
    ran: int = 0
    skipped: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def exit_code(self) -> int:
        """`EXIT_OK` when every video was analysed, else `EXIT_SOME_FAILED`."""
        return EXIT_SOME_FAILED if any(o.result.outcome != "analysed" for o in self.outcomes) else EXIT_OK


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
    return [set(cpus[i * per:(i + 1) * per]) for i in range(workers)]


def _init_worker(threads: int, slots: list[set[int]] | None, counter: Any) -> None:
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


def analyze_video(video: Path, outdir: Path, *, rules: Path | None = None, blur_faces: bool = False,
                  make_video: bool = True, landmarks: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """What ``formcheck analyze VIDEO -o OUTDIR`` does (`formcheck.report.pipeline.run`), without
    a progress bar; returns the report dict (``status`` analysed, no_person or no_squat)."""
    from ..report.pipeline import AnalyzeOptions, run

    options = AnalyzeOptions(video=Path(video), outdir=Path(outdir), rules=rules, write_video=make_video,
                             blur_faces=blur_faces, landmarks=landmarks, progress=False)  # fmt: skip
    return run(options).report


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays to Python, NaN and inf to None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _remove_stale_stages(job_dir: Path) -> None:
    """Delete temporary folders an interrupted analysis of this job left beside its folder
    (``.<name>.*.tmp``, see `formcheck.report.outputs.staged_outputs`)."""
    for stale in job_dir.parent.glob(f".{job_dir.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)


def _append_log(job: Job, result: JobResult, warned: list[str], trace: str = "") -> None:
    """One JSON line per job run in ``OUTDIR/batch-log.jsonl`` (single append: atomic on POSIX)."""
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "video": job.name, "sha256": job.sha256,
              "status": result.outcome, "pose_source": result.pose_source,
              "seconds": round(result.seconds, 3), "error": result.error, "warnings": warned}  # fmt: skip
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
    be fine). Writes the finished marker (final results only), then a log line; Python
    warnings (and the traceback of an internal error) go into the log line, not the terminal.
    """
    if threads:
        limit_threads(threads)
    out = Path(job.outdir)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / LANDMARKS
    t0 = time.perf_counter()
    source = "cache" if cache.is_file() else "model"
    _remove_stale_stages(out)
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
            result = JobResult(job.sha256, job.settings_key, "ok", summary=summary)
        except (InputError, NoPersonError) as exc:
            result = JobResult(job.sha256, job.settings_key, "failed", error=str(exc))
        except FormcheckError as exc:  # the model or the machine, not the video: retried next run
            result = JobResult(job.sha256, job.settings_key, "failed", error=str(exc), final=False)
        except Exception as exc:  # noqa: BLE001 -- a batch must go on; reported and retried next run
            result = JobResult(job.sha256, job.settings_key, "failed", final=False,
                               error=f"internal error: {type(exc).__name__}: {exc}")  # fmt: skip
            trace = traceback.format_exc()
    result.pose_source = source
    result.seconds = time.perf_counter() - t0
    if result.final:
        write_marker(out, result)
    _append_log(job, result, sorted({f"{w.category.__name__}: {w.message}" for w in caught}), trace)
    return result


def _analyze(job: Job, analyzer: str, landmarks: Path | None) -> dict[str, Any]:
    """Run the analysis; return the batch's digest of its report (see `video_summary`)."""
    s = job.settings
    rules = Path(s.rules) if s.rules else None
    returned = resolve(analyzer)(Path(job.video), Path(job.outdir), rules=rules, blur_faces=s.blur_faces,
                                 make_video=s.make_video, landmarks=landmarks)  # fmt: skip
    if isinstance(returned, dict) and "schema_version" in returned:
        report = returned
    else:
        report = json.loads((Path(job.outdir) / "report.json").read_text(encoding="utf-8"))
    return _jsonable(video_summary(report))


def _crashed(job: Job, why: str) -> JobResult:
    return JobResult(job.sha256, job.settings_key, "failed", error=why, final=False)


def run_local(jobs: Sequence[Job], workers: int, analyzer: str, on_done: OnDone, pin: bool = True) -> None:
    """Run ``jobs`` in ``workers`` spawned processes, at most ``workers`` in flight, each
    limited to ``cores // workers`` threads and (``pin``) CPUs of its own.

    A worker that dies (segfault, out of memory) breaks the pool: the jobs in flight are
    retried in a fresh pool, and a job caught in two crashes becomes a ``failed`` row.
    """
    threads = max(1, usable_cpus() // workers)
    ctx = mp.get_context("spawn")
    slots = cpu_slots(workers, pin)
    pending: deque[Job] = deque(jobs)
    crashes: Counter[str] = Counter()
    with _thread_env(threads):
        while pending:
            initargs = (threads, slots, ctx.Value("i", 0))
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=initargs)
            running: dict[Any, Job] = {}
            broken = False
            try:
                while (pending and not broken) or running:
                    while pending and not broken and len(running) < workers:
                        job = pending.popleft()
                        running[pool.submit(run_job, job, analyzer, threads)] = job
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = running.pop(fut)
                        try:
                            on_done(job, fut.result())
                        except BrokenProcessPool:
                            broken = True
                            crashes[job.sha256] += 1
                            if crashes[job.sha256] >= 2:
                                on_done(job, _crashed(job, "worker process crashed twice on this video"))
                            else:
                                pending.appendleft(job)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)


@contextlib.contextmanager
def _thread_env(threads: int) -> Iterator[None]:
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


def run_dask(jobs: Sequence[Job], address: str, analyzer: str, on_done: OnDone) -> None:
    """Run ``jobs`` on the Dask cluster at ``address``; workers write to the jobs' own paths.

    Thread caps are the cluster's business (``dask worker --nthreads 1 --nworkers N`` on
    N cores suits the pose model); tasks do not change a worker's environment."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'formcheck[cluster]'") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"{address}: cannot connect to the Dask scheduler ({exc})") from None
    with client:
        futures = {
            client.submit(run_job, job, analyzer, pure=False, key=f"formcheck-{i}-{job.sha256[:16]}"): job
            for i, job in enumerate(jobs)
        }
        try:
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 -- a lost or killed worker: report, retry next run
                    result = _crashed(job, f"cluster error: {type(exc).__name__}: {exc}")
                on_done(job, result)
        except BaseException:
            client.cancel(list(futures))
            raise


def _needs_model(job: Job) -> bool:
    """A job never run before: no landmark cache and no earlier result in its folder."""
    return not (Path(job.outdir) / LANDMARKS).is_file() and read_marker(job.outdir) is None


Plan = tuple[list[Job], dict[str, JobResult], list[Outcome]]


def plan(entries: Sequence[VideoEntry], outdir: Path, settings: Settings,
         on_hashed: Callable[[], None] | None = None) -> Plan:  # fmt: skip
    """Hash every video and decide what to run.

    Returns the jobs still to run (one per distinct content), the results of jobs already
    finished under these settings (by sha256), and one `Outcome` per entry whose ``result``
    is filled in later (entries that cannot be read are ``failed`` at once).
    """
    outdir = outdir.resolve()
    key = settings.key()
    existing = existing_job_dirs(outdir)
    hashes = HashCache(outdir / HASHES)
    jobs: dict[str, Job] = {}
    done: dict[str, JobResult] = {}
    outcomes: list[Outcome] = []
    for entry in entries:
        try:
            sha = hashes.sha256(entry.path)
        except OSError as exc:
            why = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read ({exc.strerror})"
            outcomes.append(Outcome(entry, JobResult("", key, "failed", error=f"{entry.path}: {why}")))
            continue
        finally:
            if on_hashed:
                on_hashed()
        job_dir = plan_dir(outdir, entry.path, sha, existing)
        previous = finished(job_dir, sha, key)
        if previous is not None:
            done[sha] = previous
        elif sha not in jobs:
            jobs[sha] = Job(video=str(entry.path.resolve()), name=entry.name, sha256=sha, outdir=str(job_dir),
                            log=str(outdir / LOG), settings=settings, settings_key=key)  # fmt: skip
        job_dir = Path(jobs[sha].outdir) if sha in jobs else job_dir
        outcomes.append(Outcome(entry, JobResult(sha, key, "pending"), job_dir))
    hashes.save()
    return list(jobs.values()), done, outcomes


def run_batch(entries: Sequence[VideoEntry], outdir: str | Path, settings: Settings | None = None, *,
              workers: int | None = None, scheduler: str | None = None, analyzer: str = DEFAULT_ANALYZER,
              progress: bool = True, pin: bool = True) -> BatchReport:  # fmt: skip
    """Analyse every entry into ``outdir`` (skipping finished jobs) and return the outcomes.

    When some video is new (no landmark cache, no earlier result), the pose model is
    checked first: a missing model raises `ModelError` instead of failing every video.

    Writes nothing but the per-video folders and ``batch-log.jsonl``; the caller writes
    the summary (see `formcheck.batch.summary`).
    """
    from .progress import BatchProgress

    settings = settings or Settings()
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    workers = workers or usable_cpus()
    if workers < 1:
        raise InputError(f"--workers: expected a positive number, got {workers}")
    results: dict[str, JobResult] = {}
    with BatchProgress(enabled=progress) as bar:
        hashing = bar.start("hashing", len(entries), rate=False)
        jobs, done, outcomes = plan(entries, outdir, settings, on_hashed=lambda: bar.advance(hashing))
        bar.finish(hashing)
        results.update(done)
        if not scheduler and any(_needs_model(j) for j in jobs):
            from ..model import resolve_model

            resolve_model(None)  # a missing or broken model stops the batch before any video is touched
        analysing = bar.start("analysing", len(jobs)) if jobs else None

        def on_done(job: Job, result: JobResult) -> None:
            results[job.sha256] = result
            bar.advance(analysing, failed=result.outcome == "failed")

        if scheduler:
            run_dask(jobs, scheduler, analyzer, on_done)
        elif jobs:
            run_local(jobs, workers, analyzer, on_done, pin=pin)
    for o in outcomes:
        if o.result.status == "pending":
            o.result = results[o.result.sha256]
    report = BatchReport(outcomes, ran=len(jobs), skipped=len(done))
    report.counts.update(o.result.outcome for o in outcomes)
    return report


__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "BatchReport", "Outcome", "plan", "run_batch", "run_job"]
