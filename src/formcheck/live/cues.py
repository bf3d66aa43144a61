"""One message on screen at a time, without flicker, and the session's rate/latency meters.

`CueBoard` shows one cue: a cue stays at least ``hold_s`` seconds before another may
replace it (the newest waiting one wins), and disappears ``ttl_s`` seconds after it was
last offered. `RateMeter` gives processed frames per second over a trailing second;
`LatencyLog` keeps every capture-to-feedback latency for the summary. Times are seconds
on one monotonic clock, passed in by the caller (so tests control them).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class CueBoard:
    """The cue to show now; see the module docstring for the timing rules."""

    def __init__(self, hold_s: float = 2.5, ttl_s: float = 5.0) -> None:
        if not (0 <= hold_s <= ttl_s):
            raise ValueError(f"expected 0 <= hold_s <= ttl_s, got hold_s={hold_s}, ttl_s={ttl_s}")
        self.hold_s = hold_s
        self.ttl_s = ttl_s
        self.clear()

    def clear(self) -> None:
        self.text = ""
        self._shown_at = -np.inf
        self._offered_at = -np.inf
        self._pending: tuple[str, float] | None = None

    def offer(self, text: str, now: float) -> None:
        """Ask for ``text`` to be shown (again) at time ``now``; an empty text is ignored."""
        if not text:
            return
        if text == self.text:
            self._offered_at = now
            if self._pending is not None and self._pending[0] == text:
                self._pending = None
        elif not self.text or now - self._shown_at >= self.hold_s:
            self._show(text, now)
        else:
            self._pending = (text, now)

    def current(self, now: float) -> str:
        """The cue on screen at time ``now`` (empty: none)."""
        if self._pending is not None and now - self._shown_at >= self.hold_s:
            text, offered = self._pending
            self._pending = None
            if now - offered < self.ttl_s:
                self._show(text, now)
                self._offered_at = offered
        if self.text and now - self._offered_at >= self.ttl_s:
            self.text = ""
        return self.text

    def _show(self, text: str, now: float) -> None:
        self.text = text
        self._shown_at = now
        self._offered_at = now


class RateMeter:
    """Events per second over the trailing ``window_s`` seconds."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()

    def rate(self) -> float:
        """Events per second (0 with fewer than two events in the window)."""
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class LatencyLog:
    """Every capture-to-feedback latency of a session, in seconds."""

    def __init__(self) -> None:
        self._values: list[float] = []

    def add(self, seconds: float) -> None:
        self._values.append(float(seconds))

    def __len__(self) -> int:
        return len(self._values)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) in seconds; NaN when empty."""
        return float(np.percentile(self._values, q)) if self._values else float("nan")

    @property
    def values(self) -> np.ndarray:
        return np.asarray(self._values)
