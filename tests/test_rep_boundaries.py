"""Rep boundaries (issue 11, item 2): a rep ends standing; a mid-descent start counts."""

from __future__ import annotations

import numpy as np
from synthetic_metrics import squat_flexion, squat_metrics

from formcheck.core.reps import RepCounter, Reps, find_candidates, movement_signals, rep_signals


def _three():
    return squat_flexion(n_reps=3, fps=30.0, descent_s=1.0, ascent_s=1.0, stand_s=1.0)


def test_recording_that_starts_mid_descent_counts_the_first_rep():
    flex, bottoms, _ = _three()
    cut = bottoms[0] - 15  # half-way down (0.5 s of the 1 s descent), then up to standing
    reps, rejected = find_candidates(squat_metrics(flex[cut:]))
    np.testing.assert_array_equal(reps.bottom + cut, bottoms)
    assert reps.start[0] == 0 and len(rejected) == 0


def test_recording_that_starts_at_the_bottom_does_not_count_the_rise():
    """Decided (`RepParams` notes): with no descent in the recording the rise alone is not a
    rep; the reps after it count."""
    flex, bottoms, _ = _three()
    for cut in (bottoms[0] - 3, bottoms[0], bottoms[0] + 3):  # 0.1 s before the bottom, at, after
        reps, _ = find_candidates(squat_metrics(flex[cut:]))
        np.testing.assert_array_equal(reps.bottom + cut, bottoms[1:])


def test_recording_that_ends_at_the_bottom_does_not_count_the_unfinished_rep():
    flex, bottoms, _ = _three()
    for cut in (bottoms[-1] - 5, bottoms[-1] + 1, bottoms[-1] + 10):  # on the way down, up
        reps, _ = find_candidates(squat_metrics(flex[:cut]))
        np.testing.assert_array_equal(reps.bottom, bottoms[:2])


def held_bottom() -> tuple[np.ndarray, np.ndarray]:
    """Three squats; after the third bottom the knees come up to 65-75 deg and stay there (the
    bottom becomes a lunge, or the person walks off bent), never standing."""
    flex, bottoms, _ = _three()
    tail = np.arange(flex.size - bottoms[-1] - 10)
    flex[bottoms[-1] + 10 :] = 70.0 + 5.0 * np.sin(tail / 5.0)
    return flex, bottoms


def test_a_descent_that_never_returns_to_standing_is_not_a_rep():
    flex, bottoms = held_bottom()
    reps, rejected = find_candidates(squat_metrics(flex))
    np.testing.assert_array_equal(reps.bottom, bottoms[:2])
    assert "unfinished rep" in rejected.movements
    k = rejected.movements.index("unfinished rep")
    assert rejected.reasons[k].startswith("did not stand up: knees still bent")


def test_a_rep_short_of_full_lockout_still_ends_standing():
    flex, bottoms, _ = _three()
    flex[bottoms[1] + 25 :] = np.maximum(flex[bottoms[1] + 25 :], 25.0)  # 25 deg short after rep 2
    reps, _ = find_candidates(squat_metrics(flex))
    np.testing.assert_array_equal(reps.bottom, bottoms)


def test_live_counter_agrees_on_the_held_bottom():
    flex, bottoms = held_bottom()
    m = squat_metrics(flex)
    offline = find_candidates(m)[0]
    knee, hip, trunk = rep_signals(m)
    move = movement_signals(m)
    counter = RepCounter(30.0)
    ts = np.asarray(m.timestamps)
    parts = [counter.push(ts[i : i + 4], knee[i : i + 4], hip[i : i + 4], trunk, move[:, i : i + 4])
             for i in range(0, ts.size, 4)]  # fmt: skip
    got = Reps.concat([*parts, counter.flush()])
    np.testing.assert_array_equal(got.bottom, offline.bottom)
    np.testing.assert_array_equal(got.bottom, bottoms[:2])
