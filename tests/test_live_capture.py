"""Capture thread: newest frame only, drops counted, real-time pacing, clean ends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.live.capture import CameraSource, Capture, Frame, LatestFrame


class ArraySource:
    """``n`` tiny frames at ``fps``, each filled with its own index; optionally fails at ``fail_at``."""

    paced = True

    def __init__(self, n: int, fps: float = 30.0, fail_at: int | None = None) -> None:
        self.name, self.fps, self.size = "array", fps, (4, 2)
        self.n, self.fail_at = n, fail_at
        self.closed = False

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        for i in range(self.n):
            if i == self.fail_at:
                raise OSError("decoder broke")
            yield 10.0 + i / self.fps, np.full((2, 4, 3), i % 256, dtype=np.uint8)

    def close(self) -> None:
        self.closed = True


def drain(capture: Capture, work_s: float = 0.0) -> list[tuple[Frame, float]]:
    """Consume until the end; returns each frame with the clock time it was taken."""
    got = []
    while not capture.finished:
        frame = capture.get(timeout=1.0)
        if frame is None:
            continue
        got.append((frame, time.monotonic()))
        time.sleep(work_s)
    return got


def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = LatestFrame(drop=True)
    for i in range(3):
        assert box.put(
            Frame(index=i, timestamp=i, captured_at=0.0, image=np.zeros((1, 1, 3), np.uint8))
        )
    assert box.get(timeout=0).index == 2
    assert (box.dropped, box.published) == (2, 3)
    assert box.get(timeout=0.01) is None and not box.finished
    box.finish("done")
    assert box.get(timeout=None) is None and box.finished and box.end_reason == "done"


def test_slow_consumer_gets_fresh_frames_and_drops_are_counted() -> None:
    source = ArraySource(45)  # 1.5 s at 30 fps
    capture = Capture(source, realtime=True).start()
    got = drain(capture, work_s=0.1)  # processing 3x slower than the source
    capture.stop()
    indices = [f.index for f, _ in got]
    assert indices == sorted(indices) and indices[-1] == 44
    assert capture.dropped > 15
    assert capture.dropped + len(got) == 45
    # The frame taken is always the newest: its age is below ~1 frame period, never a queue's
    # growing backlog (which would reach ~1 s here); it is also on time against the source clock.
    ages = [taken - f.captured_at for f, taken in got]
    assert max(ages) < 0.1
    lags = [taken - capture.started_at - (f.timestamp - 10.0) for f, taken in got]
    assert max(lags) < 0.1
    assert source.closed and capture.end_reason == "end of video"


def test_pacing_follows_the_source_timestamps() -> None:
    t0 = (
        time.monotonic()
    )  # before start(): on a loaded machine the thread may run ahead of this line
    capture = Capture(
        ArraySource(15), realtime=True
    ).start()  # 0.5 s of video: last frame at 14/30 s
    got = drain(capture)
    assert 0.45 < time.monotonic() - t0 < 0.8
    offsets = [f.captured_at - capture.started_at - (f.timestamp - 10.0) for f, _ in got]
    assert min(offsets) >= 0 and max(offsets) < 0.03


def test_no_drop_mode_hands_over_every_frame_as_fast_as_taken() -> None:
    capture = Capture(ArraySource(45), realtime=False).start()
    t0 = time.monotonic()
    got = drain(capture)
    assert time.monotonic() - t0 < 0.5  # 1.5 s of video, not paced
    assert [f.index for f, _ in got] == list(range(45))
    assert [int(f.image[0, 0, 0]) for f, _ in got] == list(range(45))
    assert capture.dropped == 0


def test_stop_ends_the_thread_and_closes_the_source() -> None:
    source = ArraySource(10_000)
    capture = Capture(source, realtime=True).start()
    assert capture.get(timeout=1.0) is not None
    capture.stop()
    assert not capture._thread.is_alive()
    assert source.closed and capture.finished and capture.end_reason == "stopped"


def test_a_failing_source_ends_cleanly_with_the_reason() -> None:
    capture = Capture(ArraySource(20, fail_at=5), realtime=False).start()
    got = drain(capture)
    assert [f.index for f, _ in got] == [0, 1, 2, 3, 4]
    assert isinstance(capture.error, OSError)
    assert capture.end_reason == "array: decoder broke"


def test_missing_camera_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"camera 7: cannot be opened"):
        CameraSource(7)


class FakeCamera:
    """Stands in for ``cv2.VideoCapture``: ``n`` BGR frames (blue = frame index), then unplugged."""

    n = 5

    def __init__(self, index: int) -> None:
        self.index, self.sent, self.released = index, 0, False

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.sent >= self.n:
            return False, None
        self.sent += 1
        frame = np.zeros((6, 8, 3), np.uint8)
        frame[..., 0] = self.sent - 1  # blue, in OpenCV's BGR order
        return True, frame

    def get(self, prop: int) -> float:
        return 0.0  # a driver that reports neither fps nor size

    def release(self) -> None:
        self.released = True


def test_a_lost_camera_ends_the_capture_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", FakeCamera)
    source = CameraSource(0)
    assert source.size == (8, 6) and source.fps == 30.0 and not source.paced
    capture = Capture(source, realtime=False).start()  # every frame, to check each one
    got = drain(capture)
    assert [int(f.image[0, 0, 2]) for f, _ in got] == list(
        range(5)
    )  # RGB: blue is the last channel
    assert all(f.image.flags.c_contiguous for f, _ in got)
    assert capture.end_reason == "camera stopped sending frames" and source._cap.released


def test_a_camera_that_gives_no_frames_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    monkeypatch.setattr(FakeCamera, "n", 0)
    monkeypatch.setattr(cv2, "VideoCapture", FakeCamera)
    with pytest.raises(InputError, match=r"camera 2: opened, but it gives no frames"):
        CameraSource(2)
