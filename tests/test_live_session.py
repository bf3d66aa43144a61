"""Live session on synthetic poses (the model replaced by a lookup): same reps and scores as the
offline core, prompt counting, frames dropped (not queued) when processing is slow, setup check,
keys, stop conditions, displays."""

from __future__ import annotations

import threading
import time
import tomllib

import numpy as np
import pytest
from live_support import RecordingDisplay, SequenceEstimator, SequenceSource

from formcheck.core.metrics import compute_metrics
from formcheck.core.reps import find_reps
from formcheck.core.ruleset import RuleSet, parse_rules
from formcheck.core.scoring import score_reps
from formcheck.errors import InputError
from formcheck.live import readiness
from formcheck.live.capture import Capture, Frame
from formcheck.live.display import HeadlessDisplay, WindowDisplay, render
from formcheck.live.events import NEW, REVISED, WITHDRAWN, RepEvent
from formcheck.live.readiness import FEET
from formcheck.live.session import READY, SETTLE_S, LiveSession, run
from formcheck.testing import pose_from_angles, squat_sequence


def live(seq, realtime=False, delay_s=0.0, actions=None, stop=None, max_seconds=None, rules=None):
    estimator = SequenceEstimator(seq, delay_s)
    session = LiveSession(estimator, fps=seq.fps, image_size=seq.image_size, rules=rules)
    display = RecordingDisplay(actions)
    capture = Capture(SequenceSource(seq), realtime=realtime).start()
    summary = run(capture, session, display, stop or threading.Event(), max_seconds)
    return summary, session, display, capture, estimator


@pytest.fixture(scope="module")
def valgus_set():
    # 90 deg squats: depth fails clear of its limit's error band (110 +/- 3.8 deg from the front),
    # where live and offline, whose standing references differ a little, agree
    return squat_sequence(
        n_reps=3,
        peak_knee_flexion=90.0,
        valgus_deg=15.0,
        heel_height_cm=8.0,
        noise_px=1.0,
        noise_world_m=0.004,
    )


def test_live_counts_the_offline_reps_with_the_same_scores_and_promptly(valgus_set) -> None:
    seq = valgus_set
    summary, session, display, capture, _ = live(seq)
    metrics = compute_metrics(seq)
    offline = find_reps(metrics)
    scored = score_reps(metrics, offline)
    assert len(offline) == 3
    assert [r.frames for r in summary.reps] == list(
        zip(offline.start, offline.bottom, offline.end, strict=True)
    )
    assert [r.score for r in summary.reps] == pytest.approx(list(scored.scores))
    for i, rep in enumerate(summary.reps):
        failed = {name for name, res in scored.rep(i).results.items() if res.status == "fail"}
        assert set(rep.failed) == failed and "knees_over_feet" in failed
    assert summary.score == pytest.approx(scored.score)
    assert summary.frames_processed == len(seq) and summary.frames_dropped == 0
    assert summary.end_reason == "end of video" and summary.revisions == 0
    # Each rep was announced once, with the final frames and score, once the frames up to the end of
    # its "top" phase are settled (the last one ends too near the end of the video: it comes with the
    # flush).
    announced = [e for _, e in display.rep_events]
    assert [e.frames for e in announced] == [r.frames for r in summary.reps]
    # announced once: the counter settles each rep a frame or two after its top phase and flight
    # window (both 0.5 s), so it may be told from the provisional count, then confirmed unchanged
    assert all(e.kind != REVISED for e in announced)
    assert all(r.final for r in summary.reps)
    for at, event in display.rep_events[:-1]:
        assert event.t_end < at <= event.t_end + session.rules.top_window_s + SETTLE_S + 0.3
    assert len(session.sequence()) == len(seq)


def test_frames_are_dropped_not_queued_when_processing_is_slow() -> None:
    seq = squat_sequence(n_reps=0, lead_in_s=3.0)  # 3 s at 30 fps
    delay = 0.1  # the "model" takes 3 frame periods
    summary, session, display, capture, estimator = live(seq, realtime=True, delay_s=delay)
    assert summary.frames_dropped > 0.5 * len(seq)
    assert summary.frames_processed + summary.frames_dropped == len(seq)
    assert summary.frames_processed == len(estimator.calls) < 0.5 * len(seq)
    # When processing starts, the frame is the newest one: its time on the source clock is about a
    # frame period (plus scheduling slack on a busy machine) behind the clock. A queue would fall
    # further behind with every frame (6 s by the end here).
    t0 = seq.timestamps[0]
    lags = np.array(
        [
            (called - capture.started_at) - (frame.timestamp - t0)
            for called, frame in estimator.calls
        ]
    )
    assert np.median(lags) < 1 / seq.fps + 0.02
    assert lags.max() < 1 / seq.fps + 0.15
    # Latency from capture to feedback: the processing time plus at most about one frame of waiting.
    assert summary.latency_p95_s < delay + 1 / seq.fps + 0.1
    assert np.all(session.latency.values >= delay)


def test_keys_reset_pause_and_quit() -> None:
    # reps at 1.0-4.3 s and 5.0-8.3 s (noise: a noiseless flat bottom has no single deepest frame)
    seq = squat_sequence(n_reps=2, noise_px=1.0, noise_world_m=0.004)
    summary, session, _, _, _ = live(seq, actions={140: "reset"})  # between the reps
    assert len(session.sequence()) == len(seq) - 141
    after = find_reps(compute_metrics(seq.slice(141, len(seq))))
    assert len(after) == 1  # the first rep was before the reset
    assert [r.frames for r in summary.reps] == [(after.start[0], after.bottom[0], after.end[0])]

    summary, session, _, _, _ = live(seq, actions={20: "pause"})
    assert summary.frames_processed == 21 and summary.end_reason == "end of video"
    _, _, display, _, _ = live(seq)
    announced = next(fb.frame.index for fb in display.shown if fb.events)
    _, _, display, _, _ = live(
        seq, actions={announced: "pause"}
    )  # paused on the frame that announces rep 1
    assert len(display.rep_events) == 1 and len(display.shown) == len(
        seq
    )  # shown paused, said once

    summary, _, _, _, _ = live(seq, actions={10: "quit"})
    assert summary.frames_processed == 11 and summary.end_reason == "quit"


def test_stop_event_and_max_seconds_end_the_session_cleanly() -> None:
    seq = squat_sequence(n_reps=1)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    t0 = time.monotonic()
    summary, *_ = live(seq, realtime=True, stop=stop)
    assert summary.end_reason == "interrupted" and time.monotonic() - t0 < 1.0
    summary, *_ = live(seq, realtime=True, max_seconds=0.4)
    assert summary.end_reason == "--max-seconds 0.4 reached" and 8 <= summary.frames_processed <= 14


def setup_messages(seq, seconds: float = 2.0) -> list[str]:
    session = LiveSession(SequenceEstimator(seq), fps=seq.fps, image_size=seq.image_size)
    shown = []
    for i, t in enumerate(seq.timestamps[: int(seconds * seq.fps)]):
        fb = session.process(
            Frame(index=i, timestamp=float(t), captured_at=0.0, image=np.zeros((4, 4, 3)))
        )
        shown.append(fb.cue)
    return shown


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heel_height_cm": 8.0}, READY),
        (
            {"heel_height_cm": 0.0, "yaw_deg": 90.0},
            readiness.NO_BLOCK,
        ),  # heels are judged from the side
        ({"heel_height_cm": 8.0, "yaw_deg": 90.0}, readiness.TURN),
        ({"heel_height_cm": 8.0, "hidden_feet": True}, readiness.FEET_HIDDEN),
        ({"heel_height_cm": 0.0}, READY),  # ... and not guessed from the front (the shipped rules)
    ],
)
def test_setup_check_names_the_first_problem(kwargs: dict, message: str) -> None:
    hidden = kwargs.pop("hidden_feet", False)
    seq = squat_sequence(n_reps=0, lead_in_s=2.0, **kwargs)
    if hidden:
        seq.visibility[:, list(FEET)] = 0.1
    shown = setup_messages(seq)
    assert shown[:10] == [""] * 10  # too early to judge
    first = next(i for i, m in enumerate(shown) if m)
    assert first <= (52 if message == READY else 20)  # judged from 0.5 s; "ready" after 1 s more
    assert set(shown[first:]) == {message}  # one message, no flicker


def test_rep_lines() -> None:
    rep = RepEvent(
        number=3,
        start=0,
        bottom=5,
        end=9,
        t_start=0.0,
        t_end=1.0,
        score=82.4,
        failed=("knees_over_feet",),
        cue="Push your knees out over your toes",
    )
    assert rep.line() == "rep 3: score 82, push your knees out over your toes"
    assert RepEvent(1, 0, 5, 9, 0.0, 1.0, 100.0).line() == "rep 1: score 100, good rep"
    assert RepEvent(2, 0, 5, 9, 0.0, 1.0, None).line().startswith("rep 2: not scored")


def test_window_needs_a_display_and_rendering_draws(valgus_set, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(InputError, match="use --headless"):
        WindowDisplay()
    seq = valgus_set
    session = LiveSession(SequenceEstimator(seq), fps=seq.fps, image_size=(640, 360))
    image = np.zeros((360, 640, 3), np.uint8)
    fb = None
    for i in range(60):
        fb = session.process(
            Frame(index=i, timestamp=float(seq.timestamps[i]), captured_at=0.0, image=image)
        )
    drawn = render(fb)
    assert drawn.shape == image.shape and (drawn != 0).any() and not image.any()
    HeadlessDisplay().events([RepEvent(1, 0, 5, 9, 0.0, 1.0, 100.0)])
    assert capsys.readouterr().out == "rep 1: score 100, good rep\n"


def knee_profile(times: list[float], degrees: list[float], fps: float = 30.0):
    """A squatter whose knee flexion follows the piecewise-linear profile (s, deg), trunk leaning with it."""
    t = np.arange(int(times[-1] * fps) + 1) / fps
    flex = np.interp(t, times, degrees)
    return pose_from_angles(flex, trunk_lean=0.2 * flex, fps=fps)


def one_rule(metric: str, compare: str, threshold: float, cue: str) -> RuleSet:
    return parse_rules(
        tomllib.loads(f"""
name = "one"
[[rule]]
name = "only"
metric = "{metric}"
compare = "{compare}"
threshold = {threshold}
unit = "-"
views = ["any"]
cue = "{cue}"
guidance = "test"
""")
    )


#: Up from the bottom to 12 deg, held 1.7 s (the rep is counted), then the knees straighten: the
#: standing reference drops to 0 deg, so the final segmentation ends the rep 2.2 s later.
LATE_STRAIGHTENING = ([0, 1.0, 2.5, 2.8, 4.3, 6.0, 6.5, 8.0], [0, 0, 100, 100, 12, 12, 0, 0])


def test_a_rep_whose_final_frames_change_its_verdict_is_revised() -> None:
    seq = knee_profile(*LATE_STRAIGHTENING)
    rules = one_rule(
        "rep.duration_s", "<=", 4.0, "Faster"
    )  # passes as counted (3.4 s), not as final (5.6 s)
    summary, _, display, _, _ = live(seq, rules=rules)
    offline = find_reps(compute_metrics(seq))
    assert [r.frames for r in summary.reps] == [
        (offline.start[0], offline.bottom[0], offline.end[0])
    ]
    (at, first), (_, second) = display.rep_events
    assert first.kind == NEW and not first.final and first.end < offline.end[0] and at < 6.0
    assert first.line() == "rep 1: score 100, good rep"
    assert second.kind == REVISED and second.final and second.frames == summary.reps[0].frames
    assert second.line() == "rep 1 (revised): score 0, faster" and summary.revisions == 1


def test_a_rep_whose_final_frames_keep_its_verdict_is_corrected_silently() -> None:
    seq = knee_profile(*LATE_STRAIGHTENING)
    # 100 deg judged ">= 60": clear of the 3-D angle's 19.5 deg error from the front (no borderline)
    summary, _, display, _, _ = live(seq, rules=one_rule("knee_flexion_left", ">=", 60.0, "Deeper"))
    offline = find_reps(compute_metrics(seq))
    assert [r.frames for r in summary.reps] == [
        (offline.start[0], offline.bottom[0], offline.end[0])
    ]
    [(_, only)] = display.rep_events
    assert (
        only.kind == NEW
        and only.end < offline.end[0]
        and only.line() == "rep 1: score 100, good rep"
    )
    assert summary.revisions == 0


def test_a_provisional_rep_the_final_data_reject_is_withdrawn() -> None:
    # A 4 s descent and a long half-stand: with the final standing point the "rep" lasts over
    # max_duration_s (12 s), so offline there is no rep at all.
    seq = knee_profile([0, 1.0, 5.0, 5.3, 7.0, 12.5, 13.2, 15.0], [0, 0, 100, 100, 12, 12, 0, 0])
    summary, session, display, _, _ = live(seq)
    assert len(find_reps(compute_metrics(seq))) == 0
    kinds = [e.kind for _, e in display.rep_events]
    assert kinds == [NEW, WITHDRAWN] and summary.reps == [] and session.reps == []
    assert (
        display.rep_events[1][1].line()
        == "rep 1 withdrawn: not a full repetition on the final data"
    )


def test_a_borderline_check_gives_no_fault_cue() -> None:
    """A 100 deg rep judged ">= 110" by the 3-D knee angle from the front, whose measurement error
    there (19.5 deg, rules/measurement_error.toml) covers the 10 deg gap: borderline, so no cue
    and half the rule's weight; judged ">= 130" it fails with the cue."""
    seq = knee_profile([0, 1.0, 2.5, 2.8, 4.3, 6.0], [0, 0, 100, 100, 0, 0])
    _, _, display, _, _ = live(seq, rules=one_rule("knee_flexion_left", ">=", 110.0, "Deeper"))
    [(_, event)] = display.rep_events
    assert event.failed == () and event.cue == "" and event.score == pytest.approx(50.0)
    _, _, display, _, _ = live(seq, rules=one_rule("knee_flexion_left", ">=", 130.0, "Deeper"))
    [(_, event)] = display.rep_events
    assert event.failed == ("only",) and event.cue == "Deeper" and event.score == 0.0
