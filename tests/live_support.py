"""Helpers for the live-mode tests: a pose sequence played as a camera, its poses as the "model"."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from formcheck.core.sequence import PoseSequence
from formcheck.live.capture import Frame
from formcheck.live.events import Feedback, RepEvent


class SequenceSource:
    """The timestamps of ``seq`` as a file source of tiny black frames (paced like a video)."""

    paced = True

    def __init__(self, seq: PoseSequence) -> None:
        self.seq = seq
        self.name, self.fps, self.size = "synthetic", seq.fps, seq.image_size

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        for t in self.seq.timestamps:
            yield float(t), np.zeros((4, 4, 3), np.uint8)

    def close(self) -> None:
        pass


class SequenceEstimator:
    """Stands in for the pose model: the pose of ``seq`` at the frame's timestamp; logs call times."""

    def __init__(self, seq: PoseSequence, delay_s: float = 0.0) -> None:
        self.seq = seq
        self.delay_s = delay_s
        self.calls: list[tuple[float, Frame]] = []

    def __call__(self, frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        self.calls.append((time.monotonic(), frame))
        i = int(np.searchsorted(self.seq.timestamps, frame.timestamp - 1e-9))
        if self.delay_s:
            time.sleep(self.delay_s)
        if not self.seq.detected[i]:
            return None
        return self.seq.landmarks[i], self.seq.world[i], self.seq.visibility[i]


class RecordingDisplay:
    """Keeps every feedback and rep event; ``actions`` maps a frame index to a key action (once)."""

    def __init__(self, actions: dict[int, str] | None = None) -> None:
        self.shown: list[Feedback] = []
        self.rep_events: list[tuple[float, RepEvent]] = []
        self.actions = actions or {}

    def show(self, feedback: Feedback, paused: bool = False) -> str | None:
        self.shown.append(feedback)
        self.events(feedback.events, feedback.frame.timestamp)
        return self.actions.pop(feedback.frame.index, None)

    def idle(self) -> str | None:
        return None

    def events(self, events, at: float = float("inf")) -> None:  # noqa: ANN001
        self.rep_events += [(at, e) for e in events]
