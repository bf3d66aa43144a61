"""Pose of one live frame: MediaPipe ``PoseLandmarker`` in VIDEO mode, fed each frame's capture time.

VIDEO mode (not LIVE_STREAM) keeps inference synchronous in the processing loop: the
capture thread already drops stale frames, so an asynchronous queue inside MediaPipe would
only add latency. Timestamps are the frame's source-clock time in whole milliseconds, forced
strictly increasing, so on a file played without drops the landmarks are exactly those of
`formcheck.media.pose.extract` (same model, same mode, same timestamps) when one person is
in view.

One person: live mode has no time for `extract`'s second pass over several people. MediaPipe
finds the most confident person and then tracks them from frame to frame, running its person
detector again only when it loses them, so someone walking past or standing beside does not
take over while the squatter stays in view.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

import numpy as np

from ..media.model import ModelFile, open_landmarker
from .capture import Frame

#: Frames whose longest side exceeds this (pixels) are downscaled before the model
#: (landmarks are normalised, so nothing else changes); the model itself sees 256x256.
MODEL_MAX_SIDE = 1280

Pose = tuple[np.ndarray, np.ndarray, np.ndarray]


class PoseEstimator:
    """``estimator(frame)`` -> ``(landmarks, world, visibility)`` or None; use as a context manager."""

    def __init__(self, model: ModelFile, max_side: int = MODEL_MAX_SIDE) -> None:
        self.model = model
        self.max_side = int(max_side)
        self._landmarker: Any = None
        self._stack: contextlib.ExitStack | None = None
        self._last_ms = -1

    def __enter__(self) -> PoseEstimator:
        stack = contextlib.ExitStack()
        self._landmarker = stack.enter_context(open_landmarker(self.model, mode="video"))
        self._stack = stack
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = None
        self._landmarker = None

    def __call__(self, frame: Frame) -> Pose | None:
        from ..media.pose import results_to_arrays, to_mp_image

        if self._landmarker is None:
            raise RuntimeError("PoseEstimator: expected a with block around its use")
        ms = max(round(frame.timestamp * 1000.0), self._last_ms + 1)
        self._last_ms = ms
        image = frame.image
        h, w = image.shape[:2]
        if max(h, w) > self.max_side:
            import cv2

            scale = self.max_side / max(h, w)
            image = cv2.resize(
                image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        return results_to_arrays(self._landmarker.detect_for_video(to_mp_image(image), ms))
