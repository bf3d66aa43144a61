"""A live session: each frame's pose -> pose buffer -> metrics over a trailing window ->
incremental repetitions -> scores -> feedback; and `run`, the processing loop.

Per processed frame (the metric, rep and scoring code is formcheck's vectorised core):

1. the pose (`PoseEstimator`) is appended to the `PoseBuffer`;
2. every ``metrics_every_s`` (0.1 s: every 3rd frame at 30 fps, a few ms each time),
   `compute_metrics` runs on the trailing ``window_s`` seconds, with the body scale and
   standing hip height fixed once calibrated (so values pushed at different times share
   one baseline);
3. frames ``settle_s`` seconds old are *settled*: their metric values are final (the
   zero-phase filter and the leg-swap repair have seen enough frames on both sides), are
   kept in a `MetricStore` and pushed to the incremental `RepCounter`, whose reps are
   exactly `find_reps`' on the settled metrics;
4. `RepCounter` emits a rep once no later frame can change it: usually a few frames after
   its end, but when the standing levels either side of it differ it can take until
   ``2 max_duration_s`` after its bottom (24 s with the shipped parameters), too late to
   coach with. A rep it emits is made final once the rules' "top" phase after its end is
   settled too. Meanwhile `detect_reps` also runs on the settled tail, and a rep whose end
   (and that "top" phase) is settled is counted at once (*provisional*). When
   `RepCounter` later emits it, it becomes final; if
   the final rep's score or failed rules differ from what was announced (the standing
   level that bounds a rep can still move) a ``revised`` event follows (if only its frames
   moved, they are corrected silently), and a provisional rep the counter never confirms
   is ``withdrawn``;
5. each rep is scored by `score_reps` on its frames of the settled metrics, and the cue of
   its most important failed rule goes to the one-message `CueBoard`.

Before the first rep the board shows the setup check (`readiness.setup_problem`), until the
setup has been good for ``SETUP_OK_S``. Counting never waits for it, so live and offline
count the same reps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from ..core.metrics import Standing, compute_metrics, shown_knee_bend, standing
from ..core.metricset import Metric, MetricSet
from ..core.reps import Rep, RepCounter, RepParams, Reps, find_reps
from ..core.ruleset import RuleSet, load_rules
from ..core.scoring import score_reps
from ..core.sequence import PoseSequence
from .buffer import MetricStore, PoseBuffer
from .capture import Capture, Frame
from .cues import CueBoard, LatencyLog, RateMeter
from .estimator import Pose
from .events import NEW, REVISED, WITHDRAWN, Feedback, RepEvent, Summary
from .readiness import SETUP_WINDOW_S, heel_checks, setup_problem
from .record import Recorder

WINDOW_S = 4.0  # metrics are recomputed over this many trailing seconds
SETTLE_S = 1.0  # a frame's metrics are final this long after it (filter + leg-swap repair context)
METRICS_EVERY_S = 0.1  # metrics, reps and the setup check are updated this often (s of source time)
LEAD_S = 2.0  # the window reaches at least this far before the oldest unsettled frame
CALIBRATION_S = 2.0  # body scale and standing hip height: from this many seconds of detected frames
SETUP_OK_S = 1.0  # the setup check must pass this long before "Ready" is shown
READY = "Ready: squat when you like"
GOOD_REP = "Good rep"


class Display(Protocol):
    """What `run` draws on; returns the key action (``"quit"``, ``"reset"``, ``"pause"``, None)."""

    def show(self, feedback: Feedback, paused: bool = False) -> str | None: ...

    def idle(self) -> str | None: ...

    def events(self, events: tuple[RepEvent, ...] | list[RepEvent]) -> None: ...


def _shown_knee_angle(metrics: MetricSet) -> np.ndarray:
    """(left, right) knee flexion of the last frame to show, deg (`shown_knee_bend`)."""
    if not metrics.n_frames:
        return np.full(2, np.nan)
    return shown_knee_bend(metrics)[-1]


class LiveSession:
    """State of one live session; ``process(frame)`` per frame, ``finish()`` at the end."""

    def __init__(
        self,
        estimator: Callable[[Frame], Pose | None],
        *,
        fps: float,
        image_size: tuple[int, int],
        rules: RuleSet | None = None,
        source: str = "",
        model_sha256: str = "",
        rep_params: RepParams | None = None,
        window_s: float = WINDOW_S,
        settle_s: float = SETTLE_S,
        metrics_every_s: float = METRICS_EVERY_S,
        process_delay_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not window_s >= settle_s + 1.0:
            raise ValueError(
                f"window_s: expected at least settle_s + 1 s ({settle_s + 1.0}), got {window_s}"
            )
        self.estimator = estimator
        self.fps = float(fps)
        self.image_size = image_size
        self.rules = rules or load_rules()
        self.source = source
        self.model_sha256 = model_sha256
        self.rep_params = rep_params or RepParams()
        self.window_s = window_s
        self.settle_s = settle_s
        self.metrics_every_s = metrics_every_s
        self.process_delay_s = process_delay_s  # test hook: a slower model
        self.clock = clock
        self._heel_checks = heel_checks(self.rules)
        self._top_s = self.rules.top_window_s  # rules may judge frames just before and after a rep
        # a rep is not settled before the frames after its end that its checks read have come
        self._after_s = max(self._top_s, self.rep_params.flight_window_s)
        self.latency = LatencyLog()
        self.rate = RateMeter()
        self.revisions = 0
        self.processed = 0
        self.reset()
        import scipy.ndimage
        import scipy.signal  # noqa: F401  (imported now, not in the middle of the first frames)

    def reset(self) -> None:
        """Start over: empty buffers, no reps, setup check again (the pose model keeps running)."""
        self.buffer = PoseBuffer(
            self.fps,
            self.image_size,
            source=self.source,
            model_sha256=self.model_sha256,
            meta={"mode": "live"},
        )
        self.store = MetricStore()
        self.counter = RepCounter(self.fps, self.rep_params)
        self._waiting = (
            Reps.empty()
        )  # final reps from the counter whose "top" phase is not settled yet
        self.n_settled = 0
        self.log: list[RepEvent] = []  # every rep event since the last reset, in order
        self.final: list[RepEvent] = []
        self.provisional: list[RepEvent] = []
        self.cues = CueBoard()
        self._standing: Standing | None = None
        self._calibrated = False
        self._setup = ""
        self._setup_ok_since: float | None = None
        self._ready = False
        self._last_latency = float("nan")
        self._metrics_at = -np.inf
        self._knee = np.full(2, np.nan)

    # --- per frame --------------------------------------------------------------------------------

    def process(self, frame: Frame) -> Feedback:
        """Pose, metrics, reps and feedback for ``frame``."""
        self.rate.tick(self.clock())
        self.processed += 1
        pose = self.estimator(frame)
        if self.process_delay_s:
            time.sleep(self.process_delay_s)
        if len(self.buffer) and frame.timestamp <= self.buffer.timestamps[-1]:
            raise ValueError(
                f"frame {frame.index}: expected a time after {self.buffer.timestamps[-1]} s, "
                f"got {frame.timestamp} s"
            )
        index = self.buffer.append(frame.timestamp, pose)
        events: list[RepEvent] = []
        if frame.timestamp - self._metrics_at >= self.metrics_every_s:
            self._metrics_at = frame.timestamp
            window, metrics = self._window()
            events = self._settle(window, metrics, end=False)
            self.log += events
            self._coach(frame.timestamp, window, metrics, events)
            self._knee = _shown_knee_angle(metrics)
        w, h = self.image_size
        size = np.array([w, h], dtype=np.float64)
        pixels = np.full((33, 2), np.nan) if pose is None else pose[0][:, :2] * size
        knee = self._knee if pose is not None else np.full(2, np.nan)
        reps = self.reps
        last = reps[-1].score if reps else None
        return Feedback(
            frame=frame,
            index=index,
            pixels=pixels,
            knee_angle=knee,
            rep_count=len(reps),
            last_score=last,
            cue=self.cues.current(frame.timestamp),
            setup=self._setup,
            fps=self.rate.rate(),
            latency_s=self._last_latency,
            events=tuple(events),
        )

    def shown(self, frame: Frame) -> float:
        """Call once ``frame``'s feedback is on screen: logs and returns its latency (s)."""
        self._last_latency = self.clock() - frame.captured_at
        self.latency.add(self._last_latency)
        return self._last_latency

    def finish(self) -> list[RepEvent]:
        """End of the session: settle every frame, flush the counter; returns the last events."""
        if len(self.buffer) == 0:
            return []
        window, metrics = self._window()
        events = self._settle(window, metrics, end=True)
        self.log += events
        return events

    # --- internals --------------------------------------------------------------------------------

    def _window(self) -> tuple[PoseSequence, MetricSet]:
        """The trailing window (from LEAD_S before the oldest unsettled frame) and its metrics."""
        ts = self.buffer.timestamps
        start_t = ts[-1] - self.window_s
        if self.n_settled < len(ts):
            start_t = min(start_t, ts[self.n_settled] - LEAD_S)
        lo = int(np.searchsorted(ts, start_t, side="left"))
        if not self._calibrated:
            self._calibrate()
        window = self.buffer.sequence(lo)
        return window, compute_metrics(window, standing_ref=self._standing)

    def _calibrate(self) -> None:
        seq = self.buffer.sequence(max(0, len(self.buffer) - int(5 * CALIBRATION_S * self.fps)))
        detected = seq.detected
        if not detected.any():
            return
        ref = standing(seq)
        if np.isfinite(ref.scale_px) and np.isfinite(ref.hip_y_px) and ref.scale_px > 0:
            self._standing = ref
            seen_s = detected.sum() / self.fps
            self._calibrated = bool(seen_s >= CALIBRATION_S)

    def _settle(self, window: PoseSequence, metrics: MetricSet, end: bool) -> list[RepEvent]:
        """Push newly settled frames to the store and the counter; returns the rep events."""
        ts = self.buffer.timestamps
        n = len(ts)
        upto = n if end else int(np.searchsorted(ts, ts[-1] - self.settle_s, side="right"))
        events: list[RepEvent] = []
        if upto > self.n_settled:
            lo = n - len(window)
            a, b = self.n_settled - lo, upto - lo
            self.store.extend(metrics, a, b)
            self._waiting = Reps.concat(
                [self._waiting, self.counter.update(_metric_slice(metrics, a, b))]
            )
            self.n_settled = upto
            events += self._confirm(self._confirmable())
            if not end:
                events += self._provisional()
        if end:
            events += self._confirm(Reps.concat([self._waiting, self.counter.flush()]))
            self._waiting = Reps.empty()
            events += self._withdraw(every=True)
        return events

    def _top_settled(self, end: np.ndarray, t_end: np.ndarray) -> np.ndarray:
        """Per rep (stream frame ``end``, time ``t_end`` s of its standing point): that point is
        settled, and so are the frames after it that the rules ("top") and the flight check read."""
        return (end <= self.n_settled - 2) & (t_end + self._after_s <= self.store.timestamps[-1])

    def _confirmable(self) -> Reps:
        """The counter's final reps whose "top" phase is settled too (`_top_settled`), in
        order; the others keep waiting."""
        ready = np.logical_and.accumulate(self._top_settled(self._waiting.end, self._waiting.t_end))
        out, self._waiting = self._waiting.select(ready), self._waiting.select(~ready)
        return out

    def _provisional(self) -> list[RepEvent]:
        """Reps found on the settled tail whose end is settled, not counted yet."""
        lo = max(0, self.n_settled - self.rep_params.radius(self.fps))
        found = find_reps(self.store.metric_set(lo, self.n_settled), self.rep_params, self.fps)
        known = max((r.bottom for r in (*self.final, *self.provisional)), default=-1)
        events = []
        found = found.shifted(lo)
        top_settled = self._top_settled(found.end, found.t_end)
        for rep, ready in zip(found, top_settled, strict=True):
            if rep.bottom > known and ready:
                event = self._scored(rep, number=len(self.reps) + 1)
                self.provisional.append(event)
                events.append(event)
                known = rep.bottom
        return events

    def _confirm(self, confirmed: Reps) -> list[RepEvent]:
        """Make the counter's reps final, reporting those that differ from the provisional count."""
        events = []
        for rep in confirmed:
            match = next((p for p in self.provisional if p.bottom == rep.bottom), None)
            if match is not None:
                self.provisional.remove(match)
            number = len(self.final) + 1
            if match is not None and (match.frames, match.plateau) == (
                (rep.start, rep.bottom, rep.end),
                (rep.bottom_first, rep.bottom_last),
            ):
                self.final.append(replace(match, number=number, final=True))
                continue
            event = self._scored(
                rep, number=number, final=True, kind=NEW if match is None else REVISED
            )
            self.final.append(event)
            if match is not None and (event.score, event.failed) == (match.score, match.failed):
                continue  # only the frames moved: what the person was told stands
            self.revisions += match is not None
            events.append(event)
        if len(confirmed):
            events += self._withdraw(every=False, before=int(confirmed.bottom.max()))
            self._renumber()
        return events

    def _withdraw(self, every: bool, before: int = -1) -> list[RepEvent]:
        """Provisional reps the counter has passed without confirming them."""
        radius = self.rep_params.radius(self.fps)
        gone = [
            p
            for p in self.provisional
            if every or p.bottom < before or p.bottom + radius <= self.counter.n_frames - 1
        ]
        for p in gone:
            self.provisional.remove(p)
        self.revisions += len(gone)
        if gone:
            self._renumber()
        return [p.renumbered(p.number, WITHDRAWN) for p in gone]

    def _renumber(self) -> None:
        self.final = [r.renumbered(k) for k, r in enumerate(self.final, 1)]
        self.provisional = [
            r.renumbered(k) for k, r in enumerate(self.provisional, len(self.final) + 1)
        ]

    def _scored(self, rep: Rep, number: int, final: bool = False, kind: str = NEW) -> RepEvent:
        """Score one rep (stream frames) on its frames of the settled metrics (and those of
        its "top" phase around it)."""
        ts = self.store.timestamps
        start, end = rep.start, rep.end
        lo = min(start, int(np.searchsorted(ts, ts[start] - self._top_s - 1e-6, side="left")))
        hi = max(end + 1, int(np.searchsorted(ts, ts[end] + self._top_s + 1e-6, side="right")))
        metrics = self.store.metric_set(lo, hi)
        plateau = (rep.bottom_first, rep.bottom_last)
        event = RepEvent(
            number, start, rep.bottom, end, rep.t_start, rep.t_end, None, plateau=plateau
        )
        scored = score_reps(metrics, _reps_of([event], metrics.timestamps, lo), self.rules)
        failed = [c["rule"] for c in scored.top_cues(limit=len(self.rules.rules))]
        score = scored.scores[0]
        return replace(
            event,
            score=None if np.isnan(score) else float(score),
            failed=tuple(failed),
            cue=self.rules[failed[0]].cue if failed else "",
            kind=kind,
            final=final,
        )

    def _coach(
        self, now: float, window: PoseSequence, metrics: MetricSet, events: list[RepEvent]
    ) -> None:
        """Offer the setup message (before the first rep) or the latest rep's cue to the board."""
        if not self.reps and not self._ready:
            if now - self.buffer.timestamps[0] < SETUP_WINDOW_S / 2:
                return  # too few frames to judge the setup on yet
            recent = int(np.searchsorted(window.timestamps, now - SETUP_WINDOW_S, side="left"))
            tail_seq = window.slice(recent, len(window))
            tail = _metric_slice(metrics, recent, len(window))
            self._setup = setup_problem(tail_seq, tail, self._heel_checks)
            if self._setup:
                self._setup_ok_since = None
                self.cues.offer(self._setup, now)
            else:
                if self._setup_ok_since is None:
                    self._setup_ok_since = now
                if now - self._setup_ok_since >= SETUP_OK_S:
                    self._ready = True
                    self.cues.offer(READY, now)
        else:
            self._setup = ""
        for event in events:
            if event.kind != WITHDRAWN:
                self.cues.offer(event.cue or GOOD_REP, now)

    # --- results ----------------------------------------------------------------------------------

    @property
    def reps(self) -> list[RepEvent]:
        """Reps counted so far: final ones, then provisional ones."""
        return [*self.final, *self.provisional]

    def sequence(self) -> PoseSequence:
        """Every processed frame's pose (since the last reset)."""
        return self.buffer.sequence()

    def summary(self, end_reason: str, dropped: int, wall_s: float) -> Summary:
        """The session summary, scored on the final reps (call after `finish`)."""
        metrics = self.store.metric_set()
        scored = score_reps(metrics, _reps_of(self.final, metrics.timestamps), self.rules)
        summary = scored.summary()
        ts = self.buffer.timestamps
        return Summary(
            reps=list(self.final),
            score=summary["score"],
            verdict=summary["verdict"],
            top_cues=list(summary["top_cues"]),
            frames_processed=self.processed,
            frames_dropped=dropped,
            source_s=float(ts[-1] - ts[0]) if len(ts) else 0.0,
            wall_s=wall_s,
            latency_p50_s=self.latency.percentile(50),
            latency_p95_s=self.latency.percentile(95),
            end_reason=end_reason,
            revisions=self.revisions,
        )


def _metric_slice(metrics: MetricSet, start: int, stop: int) -> MetricSet:
    """Frames ``start:stop`` of ``metrics`` (views)."""
    s = np.s_[start:stop]
    return MetricSet(
        timestamps=np.asarray(metrics.timestamps)[s],
        view=np.asarray(metrics.view)[s],
        metrics={
            n: Metric(n, m.values[s], m.valid[s], m.unit, m.description) for n, m in metrics.items()
        },
    )


def run(
    capture: Capture,
    session: LiveSession,
    display: Display,
    stop: threading.Event,
    max_seconds: float | None = None,
    recorder: Recorder | None = None,
) -> Summary:
    """Process the newest frame of ``capture`` until the source ends, ``stop`` is set (Ctrl-C),
    the display asks to quit or ``max_seconds`` of wall time pass; then finish the session.
    ``recorder`` gets every processed frame (and is reset with the session)."""
    clock = session.clock
    t0 = clock()
    paused = False
    reason = ""
    last: Feedback | None = None
    while not reason:
        if stop.is_set():
            reason = "interrupted"
            break
        if max_seconds is not None and clock() - t0 >= max_seconds:
            reason = f"--max-seconds {max_seconds:g} reached"
            break
        frame = capture.get(timeout=0.05)
        if frame is None:
            if capture.finished:
                reason = capture.end_reason or "source ended"
                if capture.error is not None:
                    reason = f"source failed: {capture.end_reason}"
                break
            action = display.idle()
        elif paused and last is not None:
            action = display.show(
                replace(last, events=()), paused=True
            )  # its events were shown once
        else:
            last = session.process(frame)
            action = display.show(last)
            session.shown(frame)
            if recorder is not None:
                recorder.add(frame.image)
        if action == "quit":
            reason = "quit"
        elif action == "reset":
            session.reset()
            last = None
            if recorder is not None:
                recorder.reset()
        elif action == "pause":
            paused = not paused
    capture.stop()
    display.events(session.finish())
    return session.summary(reason, capture.dropped, clock() - t0)


def _reps_of(events: list[RepEvent], timestamps: np.ndarray, first: int = 0) -> Reps:
    """The reps of ``events`` (stream frames) as `Reps` on frames from stream frame ``first``
    on, whose times are ``timestamps``."""
    frames = np.array([(*e.frames, *(e.plateau or (e.bottom, e.bottom))) for e in events])
    frames = frames.reshape(-1, 5) - first
    start, bottom, end, lo, hi = frames.T
    return Reps.from_indices(start, bottom, end, timestamps, (lo, hi))
