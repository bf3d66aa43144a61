"""What a live session tells the person: rep events, per-frame feedback, the session summary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .capture import Frame

NEW, REVISED, WITHDRAWN = "new", "revised", "withdrawn"


@dataclass(frozen=True)
class RepEvent:
    """A repetition counted (``new``), re-judged on final data (``revised``) or found not to be one
    (``withdrawn``). Frames index the session's pose buffer; times are seconds (source clock);
    ``score`` 0-100 (None when no rule could be judged); ``failed`` rule names, most important
    first; ``cue`` the first failed rule's cue. ``final``: the offline segmentation's rep
    (from `formcheck.core.reps.RepCounter`), not a provisional early count. ``plateau``: first
    and last frame of the bottom's plateau (`formcheck.core.reps.Reps`; None: the bottom frame)."""

    number: int
    start: int
    bottom: int
    end: int
    t_start: float
    t_end: float
    score: float | None
    failed: tuple[str, ...] = ()
    cue: str = ""
    kind: str = NEW
    final: bool = False
    plateau: tuple[int, int] | None = None

    @property
    def frames(self) -> tuple[int, int, int]:
        return self.start, self.bottom, self.end

    def renumbered(self, number: int, kind: str | None = None) -> RepEvent:
        return replace(self, number=number, kind=kind or self.kind)

    def line(self) -> str:
        """One line for a terminal: ``rep 3: score 82, push your knees out over your toes``."""
        head = f"rep {self.number}" + (" (revised)" if self.kind == REVISED else "")
        if self.kind == WITHDRAWN:
            return f"rep {self.number} withdrawn: not a full repetition on the final data"
        if self.score is None:
            return f"{head}: not scored (no rule could be judged from this view)"
        words = self.cue[:1].lower() + self.cue[1:] if self.cue else "good rep"
        return f"{head}: score {self.score:.0f}, {words.rstrip('.')}"


@dataclass(frozen=True, eq=False)
class Feedback:
    """The state shown after processing ``frame``: skeleton ``pixels`` ``(33, 2)`` (NaN where
    unknown), ``knee_angle`` ``(2,)`` degrees (left, right), counters, the one message on screen
    (``cue``), the setup message before counting (``setup``, empty when set up), processed frames
    per second and the capture-to-feedback latency (seconds) of the previous frame."""

    frame: Frame
    index: int
    pixels: np.ndarray
    knee_angle: np.ndarray
    rep_count: int
    last_score: float | None
    cue: str
    setup: str
    fps: float
    latency_s: float
    events: tuple[RepEvent, ...] = ()


@dataclass
class Summary:
    """The end of a session: final reps and how the capture and processing went."""

    reps: list[RepEvent]
    score: float | None
    verdict: str
    top_cues: list[str]
    frames_processed: int
    frames_dropped: int
    source_s: float  # seconds of source time covered by the processed frames
    wall_s: float
    latency_p50_s: float
    latency_p95_s: float
    end_reason: str
    revisions: int = 0
    record: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        """Processed frames per second of wall time."""
        return self.frames_processed / self.wall_s if self.wall_s > 0 else 0.0

    def lines(self) -> list[str]:
        out = [
            f"session: {self.verdict}"
        ]  # "3 reps, average score 82 of 100. Main thing to work on: ..."
        out += [f"  {k}. {cue}" for k, cue in enumerate(self.top_cues, 1)]
        lat = (
            f"latency median {1000 * self.latency_p50_s:.0f} ms, p95 {1000 * self.latency_p95_s:.0f} ms"
            if np.isfinite(self.latency_p50_s)
            else "latency -"
        )
        out.append(
            f"frames: {self.frames_processed} processed, {self.frames_dropped} dropped, "
            f"{self.fps:.1f} fps, {lat}"
        )
        out.append(f"ended: {self.end_reason}")
        if self.record:
            out.append(f"record: {self.record}")
        out += [f"warning: {w}" for w in self.warnings]
        return out
