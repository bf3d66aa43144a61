"""`MetricSet`: named per-frame metric arrays with units and validity masks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

#: View codes used by `MetricSet.view` (per frame).
VIEW_UNKNOWN, VIEW_FRONT, VIEW_OBLIQUE, VIEW_SIDE = 0, 1, 2, 3
VIEW_NAMES = {
    VIEW_UNKNOWN: "unknown",
    VIEW_FRONT: "front",
    VIEW_OBLIQUE: "oblique",
    VIEW_SIDE: "side",
}


@dataclass(frozen=True, eq=False)
class Metric:
    """One per-frame metric: ``values`` ``(T,)`` float (NaN where unknown) and
    ``valid`` ``(T,)`` bool (False where the value must not be judged, e.g. a
    frontal-plane angle seen from the side)."""

    name: str
    values: np.ndarray
    valid: np.ndarray
    unit: str
    description: str = ""

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        valid = np.asarray(self.valid, dtype=bool) & np.isfinite(values)
        if values.ndim != 1 or valid.shape != values.shape:
            raise ValueError(
                f"{self.name}: expected values and valid of shape (T,), "
                f"got {values.shape} and {valid.shape}"
            )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "valid", valid)

    @property
    def masked(self) -> np.ndarray:
        """Values with invalid frames set to NaN."""
        return np.where(self.valid, self.values, np.nan)


@dataclass(frozen=True, eq=False)
class MetricSet(Mapping[str, Metric]):
    """Per-frame metrics of one pose sequence, indexed by name."""

    timestamps: np.ndarray
    view: np.ndarray  # (T,) int8 view codes, see VIEW_*
    metrics: dict[str, Metric] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = np.asarray(self.timestamps).shape[0]
        if np.asarray(self.view).shape != (n,):
            raise ValueError(f"view: expected shape ({n},), got {np.asarray(self.view).shape}")
        for m in self.metrics.values():
            if m.values.shape != (n,):
                raise ValueError(f"{m.name}: expected shape ({n},), got {m.values.shape}")

    def __getitem__(self, name: str) -> Metric:
        return self.metrics[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    @property
    def n_frames(self) -> int:
        return int(np.asarray(self.timestamps).shape[0])
