"""Report media: frames decoded again by seeking, and bottom-of-rep stills."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.core.metrics import shown_knee_bend
from formcheck.core.metricset import Metric, MetricSet
from formcheck.media.annotate import tag_rows, tag_scale
from formcheck.media.video import frames_at, read_frames
from formcheck.media.videowriter import VideoWriter
from formcheck.report.media import rep_still, resize_longest


def _level(i: int) -> int:
    return (i * 7) % 250


@pytest.fixture(scope="module")
def numbered_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 frames at 30 fps; frame i is a flat grey of level ``_level(i)``; keyframes every 2 s."""
    path = tmp_path_factory.mktemp("media") / "numbered.mp4"
    with VideoWriter(path, fps=30, size=(64, 48), crf=10) as writer:
        for i in range(300):
            writer.write(np.full((48, 64, 3), _level(i), np.uint8))
    return path


def test_frames_at_returns_the_frames_at_those_times(numbered_video: Path) -> None:
    times = [t for t, _ in read_frames(numbered_video)]
    picks = [5, 100, 299, 37, 38, 150]  # unsorted, neighbours, the last frame, across keyframes
    got = frames_at(numbered_video, [times[i] for i in picks])
    assert sorted(got) == sorted(times[i] for i in picks)
    for i in picks:
        assert got[times[i]].shape == (48, 64, 3)
        assert got[times[i]].mean() == pytest.approx(_level(i), abs=2.5), i


def test_frames_at_nothing_wanted(numbered_video: Path) -> None:
    assert frames_at(numbered_video, []) == {}


def test_resize_longest_keeps_aspect() -> None:
    small, scale = resize_longest(np.zeros((1920, 1080, 3), np.uint8), 720)
    assert small.shape == (720, 405, 3) and scale == pytest.approx(0.375)
    same, one = resize_longest(np.zeros((100, 50, 3), np.uint8), 720)
    assert same.shape == (100, 50, 3) and one == 1.0


def test_rep_still_is_a_jpeg_with_the_failing_angle_in_red_and_its_label_above() -> None:
    frame = np.full((1440, 960, 3), 128, np.uint8)
    pts = np.full((33, 2), np.nan)
    pts[[23, 25, 27]] = [[600, 700], [640, 1000], [600, 1300]]  # left hip, knee, ankle
    label = "Left knee inward 14 deg"
    jpeg = rep_still(frame, pts, [("fppa_left", label, True)])
    img = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    # cropped around the points (40x600 box + 15 % margins, widened to 3:4: 585x780 from x=327, y=610),
    # scaled to STILL_SIZE (720 / 780), under a strip one label high
    scale = tag_scale(np.zeros((720, 540, 3), np.uint8), [label])
    margin, step = tag_rows(scale)
    strip = margin + step
    assert img.shape == (720 + strip, 540, 3)
    s = 720 / 780
    r, g, b = img[strip + round((850 - 610) * s), round((620 - 327) * s)].astype(int)  # the thigh
    assert r > 180 and g < 110 and b < 110
    # the label: white text on the dark strip, with a red bar at its left; the picture untouched
    top = img[:strip].astype(int)
    assert (top.max(axis=2) < 80).mean() > 0.6 and (top.min(axis=2) > 200).sum() > 200
    bar = top[margin + 4 : step - 4, margin : margin + 2].reshape(-1, 3)
    assert (bar[:, 0] > 180).all() and (bar[:, 1] < 110).all()
    assert abs(img[strip + 5 : strip + 40, 5:60].astype(int) - 128).max() < 12  # grey background


def test_shown_knee_bend_hides_the_unreliable_straight_leg_reading_from_the_front() -> None:
    """By foreshortening a straight leg reads 10-25 deg: below FRONT_BEND_MIN_DEG nothing is written
    beside the knee in front-view frames; from the side the image angle is exact and always shown."""
    from formcheck.core.metricset import VIEW_FRONT, VIEW_SIDE

    t = np.arange(6) / 30
    bend = np.array([18.0, 23.0, 29.0, 31.0, 95.0, np.nan])

    def metric(name: str) -> Metric:
        return Metric(name, bend, np.isfinite(bend), "deg")

    def metrics(view: int) -> MetricSet:
        return MetricSet(
            t,
            np.full(6, view, np.int8),
            {f"knee_bend_{side}": metric(f"knee_bend_{side}") for side in ("left", "right")},
        )

    front = shown_knee_bend(metrics(VIEW_FRONT))
    assert front.shape == (6, 2)
    np.testing.assert_array_equal(front[:, 0], [np.nan, np.nan, np.nan, 31.0, 95.0, np.nan])
    np.testing.assert_array_equal(shown_knee_bend(metrics(VIEW_SIDE))[:, 1], bend)


def test_person_box_keeps_aspect_and_frame() -> None:
    from formcheck.report.media import person_box

    pts = np.full((33, 2), np.nan)
    pts[[0, 28]] = [[100, 100], [200, 500]]
    # box 100x400 -> 130x520 with margins -> 390x520 at 3:4 around (150, 300), clipped at x = 0
    assert person_box(pts, 1000, 1000) == (0, 40, 345, 560)
    assert person_box(np.full((33, 2), np.nan), 640, 480) == (0, 0, 640, 480)


def test_still_marks_name_the_side_and_the_measure() -> None:
    """The failing knee-tracking angle is labelled ("Left knee inward 19 deg", not a bare "19 deg");
    a rep that passed everything shows its knee bend, labelled too."""
    import re

    from formcheck.core.analysis import analyze
    from formcheck.core.ruleset import load_rules
    from formcheck.report.pipeline import _still_marks
    from formcheck.testing import squat_sequence

    rules = load_rules()
    caving = analyze(squat_sequence(n_reps=1, valgus_deg=20.0, heel_height_cm=7.6), rules)
    marks = _still_marks(caving, 0)
    (inward,) = [m for m in marks if m[0].startswith("knee_deviation_")]
    assert inward[2] is True
    assert re.fullmatch(r"(Left|Right) knee inward \d+ deg", inward[1]), inward[1]
    assert inward[1].startswith(inward[0].removeprefix("knee_deviation_").capitalize())

    good = analyze(squat_sequence(n_reps=1, heel_height_cm=7.6, peak_knee_flexion=150.0), rules)
    rep = good.scores.rep(0)
    assert not [n for n, r in rep.results.items() if r.status == "fail"]
    (bend,) = _still_marks(good, 0)
    assert bend[0] in ("knee_bend_left", "knee_bend_right") and bend[2] is False
    assert re.fullmatch(r"(Left|Right) knee bend \d+ deg", bend[1]), bend[1]
