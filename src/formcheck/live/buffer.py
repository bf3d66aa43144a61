"""Growing per-frame stores for a live session: the pose buffer and the settled metrics.

Both append in amortised O(1) (capacity doubles) and hand out views of what they hold
as formcheck's containers (`PoseSequence`, `MetricSet`), so the offline core runs on
them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.landmarks import NUM_LANDMARKS
from ..core.metricset import Metric, MetricSet
from ..core.sequence import PoseSequence


def _grow(a: np.ndarray, capacity: int, fill: float | int) -> np.ndarray:
    out = np.full((capacity, *a.shape[1:]), fill, dtype=a.dtype)
    out[: len(a)] = a
    return out


class PoseBuffer:
    """Pose of every processed frame of a session (NaN rows where nobody was found)."""

    def __init__(
        self,
        fps: float,
        image_size: tuple[int, int],
        source: str = "",
        model_sha256: str = "",
        meta: dict[str, str] | None = None,
        capacity: int = 1024,
    ) -> None:
        self.fps = float(fps)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.source = source
        self.model_sha256 = model_sha256
        self.meta = dict(meta or {})
        self.n = 0
        capacity = max(int(capacity), 16)
        self._lm = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
        self._world = np.full((capacity, NUM_LANDMARKS, 3), np.nan)
        self._vis = np.full((capacity, NUM_LANDMARKS), np.nan)
        self._ts = np.full(capacity, np.nan)

    def __len__(self) -> int:
        return self.n

    @property
    def timestamps(self) -> np.ndarray:
        """``(n,)`` seconds, a view."""
        return self._ts[: self.n]

    def append(
        self, timestamp: float, pose: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    ) -> int:
        """Add one frame: ``pose`` is ``(landmarks (33, 3), world (33, 3), visibility (33,))`` or
        None when nobody was found; returns the frame's index. Timestamps must increase."""
        if self.n and not timestamp > self._ts[self.n - 1]:
            raise ValueError(
                f"timestamp: expected more than {self._ts[self.n - 1]}, got {timestamp}"
            )
        if self.n == len(self._ts):
            cap = 2 * len(self._ts)
            self._lm, self._world, self._vis, self._ts = (
                _grow(a, cap, np.nan) for a in (self._lm, self._world, self._vis, self._ts)
            )
        i = self.n
        self._ts[i] = timestamp
        if pose is not None:
            self._lm[i], self._world[i], self._vis[i] = pose
        self.n += 1
        return i

    def sequence(self, start: int = 0, stop: int | None = None) -> PoseSequence:
        """Frames ``start:stop`` as a `PoseSequence` (views, no copy)."""
        s = np.s_[start : self.n if stop is None else min(stop, self.n)]
        return PoseSequence(
            landmarks=self._lm[s],
            world=self._world[s],
            visibility=self._vis[s],
            timestamps=self._ts[s],
            fps=self.fps,
            image_size=self.image_size,
            source=self.source,
            model_sha256=self.model_sha256,
            meta=dict(self.meta),
        )


@dataclass(frozen=True)
class _Column:
    unit: str
    description: str


class MetricStore:
    """Per-frame metric values of a session, appended in chunks as they become final."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = max(int(capacity), 16)
        self._ts = np.full(self._cap, np.nan)
        self._view = np.zeros(self._cap, dtype=np.int8)
        self._values: dict[str, np.ndarray] = {}
        self._valid: dict[str, np.ndarray] = {}
        self._columns: dict[str, _Column] = {}

    def __len__(self) -> int:
        return self.n

    @property
    def timestamps(self) -> np.ndarray:
        """``(n,)`` seconds, a view."""
        return self._ts[: self.n]

    def extend(self, chunk: MetricSet, start: int, stop: int) -> None:
        """Append frames ``start:stop`` of ``chunk`` (they must follow the frames held)."""
        k = stop - start
        if k <= 0:
            return
        need = self.n + k
        if need > self._cap:
            while self._cap < need:
                self._cap *= 2
            self._ts = _grow(self._ts[: self.n], self._cap, np.nan)
            self._view = _grow(self._view[: self.n], self._cap, 0)
            self._values = {
                m: _grow(v[: self.n], self._cap, np.nan) for m, v in self._values.items()
            }
            self._valid = {m: _grow(v[: self.n], self._cap, False) for m, v in self._valid.items()}
        for name, metric in chunk.items():
            if name not in self._values:  # a metric first seen now: earlier frames are unknown
                self._values[name] = np.full(self._cap, np.nan)
                self._valid[name] = np.zeros(self._cap, dtype=bool)
                self._columns[name] = _Column(metric.unit, metric.description)
            self._values[name][self.n : need] = metric.values[start:stop]
            self._valid[name][self.n : need] = metric.valid[start:stop]
        self._ts[self.n : need] = np.asarray(chunk.timestamps)[start:stop]
        self._view[self.n : need] = np.asarray(chunk.view)[start:stop]
        self.n = need

    def metric_set(
        self, start: int = 0, stop: int | None = None, names: tuple[str, ...] | None = None
    ) -> MetricSet:
        """Frames ``start:stop`` of the metrics ``names`` (default: all) as a `MetricSet` (copies)."""
        s = np.s_[start : self.n if stop is None else min(stop, self.n)]
        wanted = self._columns if names is None else [m for m in names if m in self._columns]
        metrics = {
            name: Metric(
                name,
                self._values[name][s].copy(),
                self._valid[name][s].copy(),
                self._columns[name].unit,
                self._columns[name].description,
            )
            for name in wanted
        }
        return MetricSet(timestamps=self._ts[s].copy(), view=self._view[s].copy(), metrics=metrics)
