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
    """One per-frame metric of a pose sequence.

    Parameters
    ----------
    name : str
        The metric's name, e.g. ``knee_bend_left``.
    values : np.ndarray
        ``(T,)`` float per frame in ``unit``, NaN where unknown.
    valid : np.ndarray
        ``(T,)`` bool, False where the value must not be judged (e.g. a frontal-plane angle
        seen from the side); frames whose value is not finite are made invalid.
    unit : str
        The unit of ``values``, e.g. ``deg`` or ``hip widths``.
    description : str
        What the metric measures, in words.

    Raises
    ------
    ValueError
        If ``values`` and ``valid`` are not of one shape ``(T,)``.
    """

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
        """``(T,)`` values in `unit`, NaN on invalid frames."""
        return np.where(self.valid, self.values, np.nan)


@dataclass(frozen=True, eq=False)
class MetricSet(Mapping[str, Metric]):
    """Per-frame metrics of one pose sequence, a read-only mapping of name to `Metric`.

    Parameters
    ----------
    timestamps : np.ndarray
        ``(T,)`` seconds from the start of the video.
    view : np.ndarray
        ``(T,)`` int8 camera view code per frame (``VIEW_*``, names in `VIEW_NAMES`).
    metrics : dict[str, Metric]
        The metrics by name, each over the same T frames.

    Raises
    ------
    ValueError
        If ``view`` or a metric does not cover the T frames of ``timestamps``.
    """

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
        """T, the number of frames."""
        return int(np.asarray(self.timestamps).shape[0])
