"""`formcheck.core.people`: identities kept over time and the squatter chosen, on analytic
landmark tracks (a squatter, someone standing beside, someone walking behind, a reflection)
whose detections come in a shuffled order on every frame, as the pose model gives them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from formcheck.core.landmarks import (
    LEFT_HIP,
    LEFT_SHOULDER,
    NUM_LANDMARKS,
    RIGHT_HIP,
    RIGHT_SHOULDER,
)
from formcheck.core.people import (
    IdentityTracker,
    boxes,
    choose,
    distinct,
    squatter_slots,
    stitch,
    track,
)

FPS = 30.0
T = 240  # 8 s
WIDTH, HEIGHT = 640, 480


def _figure(x: np.ndarray, hip_y: np.ndarray, torso: float) -> np.ndarray:
    """``(T, 33, 2)`` pixels: hips at ``(x, hip_y)``, shoulders one ``torso`` above, the other
    landmarks spread around them (only hips and shoulders matter here)."""
    t = len(x)
    pts = np.zeros((t, NUM_LANDMARKS, 2))
    pts[..., 0] = x[:, None] + np.linspace(-0.3, 0.3, NUM_LANDMARKS) * torso
    pts[..., 1] = hip_y[:, None] + np.linspace(-1.5, 1.8, NUM_LANDMARKS) * torso
    half = 0.2 * torso
    pts[:, LEFT_HIP] = np.c_[x + half, hip_y]
    pts[:, RIGHT_HIP] = np.c_[x - half, hip_y]
    pts[:, LEFT_SHOULDER] = np.c_[x + 1.2 * half, hip_y - torso]
    pts[:, RIGHT_SHOULDER] = np.c_[x - 1.2 * half, hip_y - torso]
    return pts


def _squatter(x0: float = 320.0, torso: float = 100.0, reps: int = 4) -> np.ndarray:
    """Hips going 0.8 torso lengths down and up ``reps`` times (a squat to about parallel)."""
    t = np.arange(T) / FPS
    drop = 0.8 * torso * (1 - np.cos(2 * np.pi * reps * t / t[-1])) / 2
    return _figure(np.full(T, x0), 260 + drop, torso)


def _stander(x0: float = 560.0, torso: float = 110.0) -> np.ndarray:
    """Standing still, a little larger (nearer the camera) than the squatter, with 1 px jitter."""
    jitter = np.random.default_rng(3).normal(0, 1.0, T)
    return _figure(np.full(T, x0) + jitter, 250 + jitter, torso)


def _walker(torso: float = 70.0) -> np.ndarray:
    """Walking right to left behind the squatter (smaller: farther) with a 0.1-torso gait bob,
    passing the squatter's position half-way."""
    t = np.arange(T) / FPS
    bob = 0.05 * torso * np.cos(2 * np.pi * 2 * t)
    return _figure(np.linspace(620, 20, T), 200 + bob, torso)


def _reflection(squatter: np.ndarray) -> np.ndarray:
    """The squatter mirrored left-right and shrunk to 0.6 about a point on the wall: the same
    motion, smaller, on the other side of the frame."""
    centre = np.array([150.0, 200.0])
    out = (squatter - np.array([320.0, 260.0])) * 0.6
    out[..., 0] *= -1
    return out + centre


def _shuffled(*figures: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(T, K, 33, 2)`` detections in a random order on every frame, and where figure 0 went."""
    stack = np.stack(figures, axis=1)
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((T, len(figures))), axis=1)
    shuffled = np.take_along_axis(stack, order[:, :, None, None], axis=1)
    return shuffled, np.argmax(order == 0, axis=1)


@pytest.mark.parametrize(
    "others",
    [
        pytest.param(lambda s: [_stander()], id="standing-beside"),
        pytest.param(lambda s: [_walker()], id="walking-behind"),
        pytest.param(lambda s: [_reflection(s)], id="reflection"),
        pytest.param(lambda s: [_stander(), _walker()], id="three-people"),
    ],
)
def test_the_squatter_is_chosen_on_every_frame(others) -> None:
    squatter = _squatter()
    pixels, truth = _shuffled(squatter, *others(squatter))
    chosen = choose(pixels, FPS, WIDTH)
    slot, seen = chosen.slot, chosen.people
    assert len(seen) == chosen.at_once == pixels.shape[1]
    np.testing.assert_array_equal(slot, truth)
    assert seen[0].position == "centre" and seen[0].hip_motion == pytest.approx(0.8, abs=0.05)
    for other in seen[1:]:  # the others stand or walk, or (a reflection) are smaller
        assert other.hip_motion < 0.15 or other.torso_px < 0.7 * seen[0].torso_px


def test_someone_hidden_for_two_seconds_is_stitched_back_into_one_person() -> None:
    squatter, walker = _squatter(), _walker()
    walker[90:150] = np.nan  # two seconds behind the squatter: comes back as a new track
    pixels, truth = _shuffled(squatter, walker, seed=4)
    ids = track(pixels, FPS)
    assert len(np.unique(ids[ids >= 0])) == 3
    assert len(np.unique(stitch(ids, pixels, FPS)[ids >= 0])) == 2
    chosen = choose(pixels, FPS, WIDTH)
    assert len(chosen.people) == chosen.at_once == 2
    np.testing.assert_array_equal(chosen.slot, truth)


def test_people_seen_on_the_same_frames_are_never_stitched() -> None:
    a, b = _squatter(), _stander(x0=330.0)  # overlapping boxes, both in view throughout
    b[:60] = np.nan  # b appears two seconds in, right on top of a
    ids = track(*_shuffled(a, b, seed=5)[:1], FPS)
    stitched = stitch(ids, _shuffled(a, b, seed=5)[0], FPS)
    assert len(np.unique(stitched[stitched >= 0])) == 2


def test_the_one_person_landmarks_are_kept_unless_they_are_someone_elses() -> None:
    squatter, stander = _squatter(), _stander()
    pixels, truth = _shuffled(squatter, stander, seed=6)
    pixels[100:130, :] = np.nan  # the several-people landmarker loses both for a second
    chosen = choose(pixels, FPS, WIDTH)
    on_squatter = squatter.copy()
    on_stander = np.concatenate([squatter[:200], stander[200:]])  # switched to the other person
    assert np.all(squatter_slots(on_squatter, pixels, chosen) == 0)
    slots = squatter_slots(on_stander, pixels, chosen)
    assert np.all(slots[:200] == 0)
    np.testing.assert_array_equal(slots[200:], 1 + truth[200:])


def test_a_person_missing_for_a_moment_keeps_their_identity() -> None:
    squatter, stander = _squatter(), _stander()
    squatter[100:115] = np.nan  # half a second hidden (e.g. someone walking past)
    pixels, truth = _shuffled(squatter, stander, seed=1)
    ids = stitch(track(pixels, FPS), pixels, FPS)
    assert len(np.unique(ids[ids >= 0])) == 2
    chosen = choose(pixels, FPS, WIDTH)
    slot, seen = chosen.slot, chosen.people
    assert np.all(slot[100:115] == -1)
    np.testing.assert_array_equal(np.delete(slot, np.s_[100:115]), np.delete(truth, np.s_[100:115]))
    assert seen[0].coverage == pytest.approx((T - 15) / T)


def test_nobody_squatting_picks_the_main_subject_and_a_passer_by_is_not_counted() -> None:
    subject = _figure(np.full(T, 300.0), np.full(T, 260.0), 100.0)  # still, central, throughout
    passer = np.full_like(subject, np.nan)
    passer[:10] = _walker()[:10]  # a third of a second at the edge: a fleeting detection
    pixels, truth = _shuffled(subject, passer, seed=2)
    chosen = choose(pixels, FPS, WIDTH)
    slot, seen = chosen.slot, chosen.people
    assert len(seen) == chosen.at_once == 1
    np.testing.assert_array_equal(slot, truth)


def test_no_detections_at_all() -> None:
    chosen = choose(np.full((20, 3, NUM_LANDMARKS, 2), np.nan), FPS, WIDTH)
    assert chosen.people == [] and chosen.at_once == 0 and np.all(chosen.slot == -1)


def test_tracker_ids_count_up_in_order_of_first_appearance() -> None:
    box = boxes(np.stack([_squatter(), _stander()], axis=1))
    tracker = IdentityTracker(FPS)
    assert tracker.update(box[0, :1]).tolist() == [0]
    assert tracker.update(box[1, ::-1]).tolist() == [1, 0]
    assert tracker.update(np.full((1, 4), np.nan)).tolist() == [-1]


def _seq(meta: dict[str, str]):
    from formcheck.core.sequence import PoseSequence

    nan = np.full((3, NUM_LANDMARKS, 3), np.nan)
    return PoseSequence(
        nan,
        nan.copy(),
        np.full((3, NUM_LANDMARKS), np.nan),
        np.arange(3) / FPS,
        FPS,
        (WIDTH, HEIGHT),
        meta=meta,
    )


def test_the_report_says_how_many_people_and_which_one_was_analysed() -> None:
    from test_report import make_report

    from formcheck.report.build import people_section
    from formcheck.report.html import render_html
    from formcheck.report.schema import SCHEMA_VERSION, validate

    tracked = [
        {
            "position": "centre",
            "coverage": 0.78,
            "hip_motion": 0.8,
            "torso_px": 268.5,
            "score": 0.2,
        },
        {"position": "right", "coverage": 1.0, "hip_motion": 0.17, "torso_px": 325.9, "score": 0.1},
    ]
    meta = {"people_seen": "2", "people": json.dumps(tracked)}
    section = people_section(_seq(meta))
    assert section["people"]["note"] == (
        "2 people in view; analysed the one in the centre of the frame, who moves up and down the most"
    )
    report = {**make_report(), **section, "schema_version": SCHEMA_VERSION}
    validate(report)
    assert section["people"]["note"] in render_html(report)
    alone = {**make_report(), **people_section(_seq({"people_seen": "1"}))}
    validate(alone)
    assert alone["people"] == {
        "seen": 1,
        "analysed": None,
        "note": "1 person in view",
        "tracked": [],
    }
    assert "in view" not in render_html(alone)  # one person: nothing to say on the page
    assert people_section(_seq({})) == {}  # an old cache does not say


def test_a_report_with_a_bad_people_entry_is_refused() -> None:
    from test_report import make_report

    from formcheck.report.schema import errors

    report = {**make_report(), "people": {"seen": -1, "analysed": "middle", "note": "x"}}
    assert len(errors(report)) == 2


def test_a_body_found_twice_on_a_frame_counts_once() -> None:
    squatter = _squatter()
    upper = squatter.copy()
    upper[:, 23:] = upper[:, 12:13]  # the same body again, legs drawn up at the shoulders
    pixels = np.stack([squatter, upper], axis=1)
    assert distinct(boxes(pixels)).tolist() == [[True, False]] * T
    assert choose(pixels, FPS, WIDTH).at_once == 1
    apart = np.stack([squatter, _stander()], axis=1)
    assert distinct(boxes(apart)).all()
