"""Run a batch: plan jobs, execute them in local worker processes or on a Dask cluster.

Exit codes of a finished batch: `EXIT_OK` (0) every video analysed, `EXIT_SOME_FAILED` (3)
at least one video is a ``failed`` row. Bad input to the batch itself (no videos, a bad
manifest) raises `InputError` before any work starts (exit 1).

Local workers are spawned processes, each with ``cores // workers`` threads and CPUs of its
own (see `formcheck.batch.worker`); at most ``workers`` jobs are in flight, so a crash
implicates only those.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
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
)
from .worker import DEFAULT_ANALYZER, cpu_slots, init_worker, run_job, thread_env, usable_cpus

EXIT_OK = 0
EXIT_SOME_FAILED = 3

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
        return (
            EXIT_SOME_FAILED
            if any(o.result.outcome != "analysed" for o in self.outcomes)
            else EXIT_OK
        )


def _crashed(job: Job, why: str) -> JobResult:
    return JobResult(job.sha256, job.settings_key, "failed", error=why, final=False)


def run_local(
    jobs: Sequence[Job], workers: int, analyzer: str, on_done: OnDone, pin: bool = True
) -> None:
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
    with thread_env(threads):
        while pending:
            initargs = (threads, slots, ctx.Value("i", 0))
            pool = ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=init_worker, initargs=initargs
            )
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
                                on_done(
                                    job, _crashed(job, "worker process crashed twice on this video")
                                )
                            else:
                                pending.appendleft(job)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A connected `dask.distributed.Client` (import and connection errors are `InputError`)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'formcheck[cluster]'") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"{address}: cannot connect to the Dask scheduler ({exc})") from None
    with client:
        yield client


def run_dask(jobs: Sequence[Job], client: Any, analyzer: str, on_done: OnDone) -> None:
    """Run ``jobs`` on the Dask cluster of ``client``; workers write to the jobs' own paths.

    Thread caps are the cluster's business (``dask worker --nthreads 1 --nworkers N`` on
    N cores suits the pose model); tasks do not change a worker's environment."""
    from dask.distributed import as_completed

    futures = {
        client.submit(
            run_job, job, analyzer, pure=False, key=f"formcheck-{i}-{job.sha256[:16]}"
        ): job
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
            # let go of the result: Dask recomputes the lost results a client still holds, so
            # a worker lost later would make finished videos run again
            del futures[fut]
            fut.release()
    except BaseException:
        client.cancel(list(futures))
        raise


def _needs_model(job: Job) -> bool:
    """A job never run before: no landmark cache and no earlier result in its folder."""
    return not (Path(job.outdir) / LANDMARKS).is_file() and read_marker(job.outdir) is None


Plan = tuple[list[Job], dict[str, JobResult], list[Outcome]]


def plan(
    entries: Sequence[VideoEntry],
    outdir: Path,
    settings: Settings,
    hashes: HashCache,
    on_hashed: Callable[[], None] | None = None,
) -> Plan:
    """Hash every video (through ``hashes``) and decide what to run; writes nothing.

    Returns the jobs still to run (one per distinct content), the results of jobs already
    finished under these settings (by sha256), and one `Outcome` per entry whose ``result``
    is filled in later (entries that cannot be read are ``failed`` at once).
    """
    outdir = outdir.resolve()
    key = settings.key()
    existing = existing_job_dirs(outdir)
    jobs: dict[str, Job] = {}
    done: dict[str, JobResult] = {}
    outcomes: list[Outcome] = []
    for entry in entries:
        try:
            sha = hashes.sha256(entry.path)
        except OSError as exc:
            why = (
                "no such file"
                if isinstance(exc, FileNotFoundError)
                else f"cannot read ({exc.strerror})"
            )
            outcomes.append(
                Outcome(entry, JobResult("", key, "failed", error=f"{entry.path}: {why}"))
            )
            continue
        finally:
            if on_hashed:
                on_hashed()
        job_dir = plan_dir(outdir, entry.path, sha, existing)
        previous = finished(job_dir, sha, key)
        if previous is not None:
            done[sha] = previous
        elif sha not in jobs:
            jobs[sha] = Job(
                video=str(entry.path.resolve()),
                name=entry.name,
                sha256=sha,
                outdir=str(job_dir),
                log=str(outdir / LOG),
                settings=settings,
                settings_key=key,
            )
        job_dir = Path(jobs[sha].outdir) if sha in jobs else job_dir
        outcomes.append(Outcome(entry, JobResult(sha, key, "pending"), job_dir))
    return list(jobs.values()), done, outcomes


def run_batch(
    entries: Sequence[VideoEntry],
    outdir: str | Path,
    settings: Settings | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    analyzer: str = DEFAULT_ANALYZER,
    progress: bool = True,
    pin: bool = True,
) -> BatchReport:
    """Analyse every entry into ``outdir`` (skipping finished jobs) and return the outcomes.

    The Dask scheduler (``scheduler``) is reached, and when some video is new (no landmark
    cache, no earlier result) the pose model is checked, before anything is written: an
    unreachable cluster or a missing model stops the batch instead of failing every video.

    Writes nothing but the per-video folders, ``batch-log.jsonl`` and ``batch-hashes.json``;
    the caller writes the summary (see `formcheck.batch.summary`).
    """
    from .progress import BatchProgress

    settings = settings or Settings()
    outdir = Path(outdir).resolve()
    workers = workers or usable_cpus()
    if workers < 1:
        raise InputError(f"--workers: expected a positive number, got {workers}")
    results: dict[str, JobResult] = {}
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(scheduler)) if scheduler else None
        bar = stack.enter_context(BatchProgress(enabled=progress))
        hashing = bar.start("hashing", len(entries), rate=False)
        hashes = HashCache(outdir / HASHES)
        jobs, done, outcomes = plan(
            entries, outdir, settings, hashes, on_hashed=lambda: bar.advance(hashing)
        )
        bar.finish(hashing)
        results.update(done)
        if client is None and any(_needs_model(j) for j in jobs):
            from ..media.model import resolve_model

            resolve_model(
                None
            )  # a missing or broken model stops the batch before any video is touched
        outdir.mkdir(parents=True, exist_ok=True)
        hashes.save()
        analysing = bar.start("analysing", len(jobs)) if jobs else None

        def on_done(job: Job, result: JobResult) -> None:
            results[job.sha256] = result
            bar.advance(analysing, failed=result.outcome == "failed")

        if client is not None:
            run_dask(jobs, client, analyzer, on_done)
        elif jobs:
            run_local(jobs, workers, analyzer, on_done, pin=pin)
    for o in outcomes:
        if o.result.status == "pending":
            o.result = results[o.result.sha256]
    report = BatchReport(outcomes, ran=len(jobs), skipped=len(done))
    report.counts.update(o.result.outcome for o in outcomes)
    return report


__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "BatchReport", "Outcome", "plan", "run_batch", "run_job"]
