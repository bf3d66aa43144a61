"""Live session parts: pose buffer, metric store, cue board, meters."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.metricset import Metric, MetricSet
from formcheck.live.buffer import MetricStore, PoseBuffer
from formcheck.live.cues import CueBoard, LatencyLog, RateMeter


def pose(v: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.full((33, 3), v), np.full((33, 3), -v), np.full(33, 0.9)


def test_pose_buffer_grows_and_keeps_nan_rows() -> None:
    buf = PoseBuffer(fps=30.0, image_size=(640, 480), source="cam", capacity=16)
    for i in range(40):
        buf.append(i / 30, None if i % 10 == 3 else pose(i))
    seq = buf.sequence()
    assert len(seq) == 40 and seq.image_size == (640, 480) and seq.fps == 30.0
    assert np.array_equal(seq.detected, np.arange(40) % 10 != 3)
    assert seq.landmarks[39, 5, 1] == 39 and seq.world[20, 0, 0] == -20
    tail = buf.sequence(35)
    assert len(tail) == 5 and tail.timestamps[0] == pytest.approx(35 / 30)
    with pytest.raises(ValueError, match="expected more than"):
        buf.append(39 / 30, None)


def metric_chunk(ts: np.ndarray, names: tuple[str, ...]) -> MetricSet:
    metrics = {n: Metric(n, ts * (k + 1), ts > 0.05, "deg") for k, n in enumerate(names)}
    return MetricSet(timestamps=ts, view=np.ones(len(ts), np.int8), metrics=metrics)


def test_metric_store_appends_chunk_slices_and_late_metrics() -> None:
    store = MetricStore(capacity=16)
    ts = np.arange(30) / 10
    store.extend(metric_chunk(ts[:20], ("a",)), 0, 12)
    store.extend(metric_chunk(ts[12:30], ("a", "b")), 0, 18)  # "b" appears late
    ms = store.metric_set()
    assert ms.n_frames == 30 and np.allclose(ms.timestamps, ts)
    assert np.allclose(ms["a"].values, ts)
    assert np.array_equal(ms["a"].valid, ts > 0.05)
    assert np.isnan(ms["b"].values[:12]).all() and np.allclose(ms["b"].values[12:], 2 * ts[12:])
    assert ms["b"].unit == "deg" and (ms.view == 1).all()


def test_cue_board_holds_each_cue_and_shows_the_newest_waiting_one() -> None:
    board = CueBoard(hold_s=2.0, ttl_s=5.0)
    board.offer("knees out", 0.0)
    board.offer("heels up", 0.5)
    board.offer("chest up", 1.0)  # replaces "heels up" as the waiting cue
    assert board.current(1.9) == "knees out"
    assert board.current(2.0) == "chest up"
    assert board.current(3.9) == "chest up"
    assert board.current(6.0) == ""  # 5 s after it was offered, unrepeated


def test_cue_board_keeps_a_repeated_cue_without_flicker() -> None:
    board = CueBoard(hold_s=2.0, ttl_s=3.0)
    shown = []
    for k in range(100):  # a setup message offered every other frame for 3.3 s
        t = k / 30
        if k % 2 == 0:
            board.offer("Step back: feet not visible", t)
        shown.append(board.current(t))
    assert set(shown) == {"Step back: feet not visible"}
    last = 98 / 30  # the last offer
    assert board.current(last + 2.99) != "" and board.current(last + 3.01) == ""
    with pytest.raises(ValueError, match="hold_s <= ttl_s"):
        CueBoard(hold_s=3.0, ttl_s=1.0)


def test_rate_meter_and_latency_log() -> None:
    meter = RateMeter(window_s=1.0)
    for k in range(61):
        meter.tick(k / 20)  # 20 per second for 3 s
    assert meter.rate() == pytest.approx(20.0)
    log = LatencyLog()
    for ms in range(1, 101):
        log.add(ms / 1000)
    assert log.percentile(50) == pytest.approx(0.0505)
    assert log.percentile(95) == pytest.approx(0.09505)
    assert np.isnan(LatencyLog().percentile(50))
