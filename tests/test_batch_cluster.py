"""``batch --scheduler`` against a real cluster: a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1, one of them killed with SIGKILL while it analyses a video. The batch must
still analyse every video exactly once and write the summary a local run writes.

The analysis is `batch_support.brightness_analysis` (real decoding, caches and reports, no pose
model) slowed by ``FORMCHECK_TEST_DELAY`` so that the kill lands mid-video."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_support import make_bad_files, make_videos

from formcheck.batch.discover import discover_folder
from formcheck.batch.run import EXIT_SOME_FAILED, BatchReport, run_batch
from formcheck.batch.summary import write_summary

pytest.importorskip("dask.distributed")

ANALYZER = "batch_support:brightness_analysis"
TESTS = Path(__file__).resolve().parent
#: Seconds each analysis sleeps on the workers: long enough to be killed in the middle of one.
DELAY_S = 1.5
#: Seconds the cluster gets to come up, and the batch to finish, before the test gives up.
START_TIMEOUT_S = 30.0
BATCH_TIMEOUT_S = 60.0
DASK = shutil.which("dask")


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A ``dask`` subcommand in its own session (so cleanup can end it and its children)."""
    return subprocess.Popen(
        [DASK, *args],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115 -- inherited by the child, closed with it
        env=env,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End ``proc``'s process group: SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    """A scheduler and workers ``w1``, ``w2`` (no nanny: a killed worker stays dead), each with
    one thread; yields the scheduler address and the worker processes by name."""
    if DASK is None:
        pytest.skip("the dask command is not installed")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "FORMCHECK_TEST_DELAY": str(DELAY_S),
        "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
    }
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["scheduler"] = _start(
            ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env,
            tmp_path / "scheduler.log",
        )
        for name in ("w1", "w2"):
            procs[name] = _start(
                [
                    "worker",
                    address,
                    "--name",
                    name,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / f"dask-{name}"),
                ],
                env,
                tmp_path / f"{name}.log",
            )
        yield address, procs
    finally:
        for proc in reversed(procs.values()):
            _stop(proc)


def _workers(client) -> dict[str, str]:
    """Worker name -> address, as the scheduler knows them now."""
    return {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}


def _log(out: Path) -> list[dict]:
    path = out / "batch-log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_worker_killed_mid_batch_loses_nothing(
    cluster: tuple[str, dict[str, subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    from dask.distributed import Client

    address, procs = cluster
    folder = tmp_path / "in"
    good = make_videos(folder, [f"p{i}/clip.mp4" for i in range(6)])
    make_bad_files(folder / "bad", good[0])
    entries = discover_folder(folder)

    local = tmp_path / "local"
    report = run_batch(entries, local, workers=1, analyzer=ANALYZER, progress=False)
    write_summary(local.resolve(), report.outcomes)

    with Client(address, timeout="20s") as client:
        client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        w1 = _workers(client)["w1"]
        out = tmp_path / "cluster"
        result: dict[str, BatchReport | BaseException] = {}

        def batch() -> None:
            try:
                result["report"] = run_batch(
                    entries, out, scheduler=address, analyzer=ANALYZER, progress=False
                )
            except BaseException as exc:  # noqa: BLE001 -- handed to the test thread
                result["error"] = exc

        runner = threading.Thread(target=batch, daemon=True)
        runner.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        lost: set[str] = set()
        while not lost and time.monotonic() < deadline and runner.is_alive():
            time.sleep(0.1)
            busy = client.processing(workers=[w1]).get(w1, [])
            if busy and _log(out):  # the batch is under way and w1 holds work
                time.sleep(0.3)  # well inside a video's DELAY_S of analysis
                lost = {str(k) for k in client.processing(workers=[w1]).get(w1, [])}
                procs["w1"].send_signal(signal.SIGKILL)
        assert lost, "w1 never got a video to analyse before the batch ended"
        assert procs["w1"].wait(timeout=10) == -signal.SIGKILL
        runner.join(BATCH_TIMEOUT_S)
        assert not runner.is_alive(), f"the batch did not end within {BATCH_TIMEOUT_S} s"
        assert set(_workers(client)) == {"w2"}
    assert "error" not in result, result.get("error")
    cluster_report = result["report"]
    assert isinstance(cluster_report, BatchReport)
    assert cluster_report.exit_code == EXIT_SOME_FAILED  # the three bad files
    write_summary(out.resolve(), cluster_report.outcomes)
    assert (out / "summary.csv").read_text() == (local / "summary.csv").read_text()
    runs = Counter(r["sha256"] for r in _log(out))
    assert len(runs) == len(entries) and set(runs.values()) == {1}, runs
    assert not list(out.glob("videos/.*.tmp"))
