"""Frame capture in its own thread, always handing over the newest frame.

A source (camera or video file) is read by a `Capture` thread into a one-slot
`LatestFrame` mailbox. When processing is slower than the source, the frame waiting in
the slot is replaced by the newer one and counted as dropped: frames are never queued,
so feedback never lags behind the body. A video file is played at its real frame rate
(container timestamps paced against a monotonic clock) as if it were a camera.

Times: ``Frame.timestamp`` is seconds on the source clock (container timestamps for a
file, seconds since opening for a camera); ``Frame.captured_at`` is ``time.monotonic()``
seconds when the frame became available to the processing loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import FormcheckError, InputError


@dataclass(frozen=True, eq=False)
class Frame:
    """One captured frame: ``image`` ``(H, W, 3)`` uint8 RGB, C-contiguous, upright."""

    index: int  # position in the source, counting frames dropped before it
    timestamp: float  # seconds, source clock
    captured_at: float  # time.monotonic() seconds when it was handed to the mailbox
    image: np.ndarray


class FrameSource(Protocol):
    """What `Capture` reads: ``frames()`` yields ``(timestamp_s, rgb)`` in order."""

    name: str
    fps: float
    size: tuple[int, int]  # (width, height) in pixels
    paced: bool  # True: the capture must pace frames by their timestamps (a file)

    def frames(self) -> Iterator[tuple[float, np.ndarray]]: ...

    def close(self) -> None: ...


class LatestFrame:
    """A one-slot mailbox: ``put`` replaces an unread frame (counted in ``dropped``).

    With ``drop=False``, ``put`` instead waits until the previous frame has been taken:
    every frame is processed, as fast as the consumer goes (for exact comparisons).
    The producer calls ``finish(reason)`` at the end of its stream; the consumer calls
    ``cancel()`` to make the producer's next ``put`` return False.
    """

    def __init__(self, drop: bool = True) -> None:
        self.drop = drop
        self.dropped = 0
        self.published = 0
        self.end_reason = ""
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._finished = False
        self._cancelled = False

    def put(self, frame: Frame) -> bool:
        """Offer ``frame``; False when the consumer has cancelled (stop producing)."""
        with self._cond:
            if not self.drop:
                while self._frame is not None and not self._cancelled:
                    self._cond.wait()
            if self._cancelled:
                return False
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self.published += 1
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest unread frame, waiting up to ``timeout`` seconds for one.

        None when the wait timed out or the stream has ended (see ``finished``).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._frame is None and not (self._finished or self._cancelled):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    def finish(self, reason: str) -> None:
        """Producer side: no more frames will come (``reason`` says why)."""
        with self._cond:
            self._finished = True
            self.end_reason = self.end_reason or reason
            self._cond.notify_all()

    def cancel(self) -> None:
        """Consumer side: stop the producer; unread frames are discarded."""
        with self._cond:
            self._cancelled = True
            self._frame = None
            self._cond.notify_all()

    @property
    def finished(self) -> bool:
        """The producer has ended and the last frame has been taken."""
        with self._cond:
            return (self._finished or self._cancelled) and self._frame is None


class Capture:
    """Read ``source`` in a daemon thread into a `LatestFrame` mailbox.

    ``realtime=True`` paces a file source by its timestamps against ``clock`` and drops
    frames the consumer has not taken; ``realtime=False`` hands every frame over as fast
    as the consumer takes them (no pacing, no drops). Camera sources pace themselves.
    """

    def __init__(
        self,
        source: FrameSource,
        realtime: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.realtime = realtime
        self.clock = clock
        self.mailbox = LatestFrame(drop=realtime)
        self.error: BaseException | None = None
        self.started_at = float("nan")  # clock() when the first frame was due
        self._thread = threading.Thread(
            target=self._run, name=f"capture:{source.name}", daemon=True
        )

    def start(self) -> Capture:
        self._thread.start()
        return self

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest unread frame (see `LatestFrame.get`)."""
        return self.mailbox.get(timeout)

    @property
    def finished(self) -> bool:
        return self.mailbox.finished

    @property
    def dropped(self) -> int:
        return self.mailbox.dropped

    @property
    def end_reason(self) -> str:
        return self.mailbox.end_reason

    def source_time(self) -> float:
        """Seconds on the source clock now (meaningful for paced sources once started)."""
        return self.clock() - self.started_at

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading and wait for the thread (at most ``timeout`` seconds)."""
        self.mailbox.cancel()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        reason = "end of video" if self.source.paced else "camera stopped sending frames"
        try:
            pace = self.realtime and self.source.paced
            first_ts: float | None = None
            for index, (ts, image) in enumerate(self.source.frames()):
                if first_ts is None:
                    first_ts = ts
                    self.started_at = self.clock()
                if pace:
                    delay = (ts - first_ts) - (self.clock() - self.started_at)
                    if delay > 0:
                        time.sleep(delay)
                frame = Frame(
                    index=index, timestamp=float(ts), captured_at=self.clock(), image=image
                )
                if not self.mailbox.put(frame):
                    reason = "stopped"
                    break
        except Exception as exc:  # reported by the consumer as a clean stop, never a traceback
            self.error = exc
            reason = str(exc) if isinstance(exc, FormcheckError) else f"{self.source.name}: {exc}"
        finally:
            try:
                self.source.close()
            finally:
                self.mailbox.finish(reason)


class CameraSource:
    """Frames from ``cv2.VideoCapture(index)``, timestamped in seconds since opening (the
    camera paces itself; when it stops giving frames, e.g. unplugged, the stream ends)."""

    paced = False

    def __init__(self, index: int) -> None:
        import cv2

        self.name = f"camera {index}"
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our own one-line error
        try:
            cap = cv2.VideoCapture(index)
            ok = cap.isOpened()
        finally:
            cv2.utils.logging.setLogLevel(previous)
        if not ok:
            cap.release()
            raise InputError(f"camera {index}: cannot be opened (no such camera, or it is in use)")
        ok, first = cap.read()  # the true frame size (some drivers report 0 until the first frame)
        if not ok or first is None:
            cap.release()
            raise InputError(f"camera {index}: opened, but it gives no frames")
        self._t0 = time.monotonic()
        self._first: np.ndarray | None = first
        self._cap: Any = cap
        self.fps = (
            float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        )  # a camera that does not say: nominal 30
        self.size = (int(first.shape[1]), int(first.shape[0]))

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        import cv2

        while True:
            if self._first is not None:
                bgr, self._first = self._first, None
            else:
                ok, bgr = self._cap.read()
                if not ok or bgr is None:
                    return  # camera lost or unplugged: the capture ends cleanly
            yield (
                time.monotonic() - self._t0,
                np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)),
            )

    def close(self) -> None:
        self._cap.release()


class FileSource:
    """Frames of a video file (``formcheck.media.video.read_frames``), to be paced like a camera."""

    paced = True

    def __init__(self, path: str | Path) -> None:
        from ..media.video import probe

        self.path = Path(path)
        self.name = self.path.name
        info = probe(self.path)
        self.fps = float(info.fps)
        self.size = (int(info.width), int(info.height))
        self._frames: Iterator[tuple[float, np.ndarray]] | None = None

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        from ..media.video import read_frames

        self._frames = iter(read_frames(self.path))
        return self._frames

    def close(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
