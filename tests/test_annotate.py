"""annotate: per-frame tracks, face ellipses with gaps, blurring, and what the annotator draws."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.landmarks import (
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
)
from formcheck.media.annotate import (
    Annotator,
    Overlay,
    blur_ellipse,
    draw_measure,
    face_ellipses,
    metric_label,
    rep_tracks,
    wrap_to_width,
)

W, H = 320, 480


def _figure() -> np.ndarray:
    """A standing figure facing the camera, ``(33, 2)`` pixels; face points around (160, 60)."""
    p = np.full((33, 2), np.nan)
    face = np.array(
        [
            [160, 60],
            [155, 55],
            [150, 55],
            [145, 55],
            [165, 55],
            [170, 55],
            [175, 55],
            [140, 60],
            [180, 60],
            [155, 70],
            [165, 70],
        ],
        dtype=float,
    )
    p[:11] = face
    p[[LEFT_SHOULDER, RIGHT_SHOULDER]] = [[200, 110], [120, 110]]
    p[[13, 14, 15, 16]] = [[210, 170], [110, 170], [215, 230], [105, 230]]
    p[[LEFT_HIP, RIGHT_HIP]] = [[185, 250], [135, 250]]
    p[[LEFT_KNEE, RIGHT_KNEE]] = [[190, 340], [130, 340]]
    p[[27, 28, 29, 30, 31, 32]] = [
        [190, 430],
        [130, 430],
        [192, 440],
        [128, 440],
        [195, 450],
        [125, 450],
    ]
    return p


def test_rep_tracks_counts_and_holds_cues() -> None:
    spans = np.array([[2, 5], [8, 11]])
    rep, cue = rep_tracks(14, spans, np.array([1, -1]), hold=2)
    assert rep.tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert cue.tolist() == [-1, -1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1]


def test_rep_tracks_without_reps() -> None:
    rep, cue = rep_tracks(3, np.empty((0, 2)), np.empty(0), hold=5)
    assert rep.tolist() == [0, 0, 0] and cue.tolist() == [-1, -1, -1]


def test_face_ellipses_interpolate_over_missing_frames() -> None:
    fig = _figure()
    pix = np.stack([fig + [dx, 0] for dx in (0, 10, 20, 30, 40)])
    pix[1:4, :11] = np.nan  # face lost on three frames
    ell = face_ellipses(pix)
    assert ell is not None and ell.shape == (5, 5)
    np.testing.assert_allclose(ell[:, 0], [160, 170, 180, 190, 200])
    assert np.all(ell[:, 2] >= 20) and np.all(ell[:, 3] > ell[:, 2])  # taller than wide
    assert ell[0, 1] < 60  # centred above the eyes/nose mean: covers the forehead
    np.testing.assert_allclose(ell[2, 2:], ell[0, 2:])


def test_face_ellipses_hold_ends_and_none_when_never_seen() -> None:
    pix = np.stack([_figure()] * 4)
    pix[:2, :11] = np.nan
    ell = face_ellipses(pix)
    assert ell is not None
    np.testing.assert_allclose(ell[0], ell[3])
    pix[:, :11] = np.nan
    assert face_ellipses(pix) is None


def test_blur_ellipse_destroys_detail_inside_only() -> None:
    yy, xx = np.mgrid[:H, :W]
    frame = (((yy // 2 + xx // 2) % 2) * 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    original = frame.copy()
    blur_ellipse(frame, np.array([160, 60, 40, 50, 0]))
    inside = frame[40:80, 140:180].astype(float)
    assert inside.std() < 0.1 * original[40:80, 140:180].std()
    np.testing.assert_array_equal(frame[200:, :], original[200:, :])
    np.testing.assert_array_equal(frame[:, :110], original[:, :110])


def test_blur_ellipse_off_frame_is_harmless() -> None:
    frame = np.full((H, W, 3), 7, np.uint8)
    blur_ellipse(frame, np.array([-500, -500, 40, 50, 0]))
    assert (frame == 7).all()


def _overlay(n: int = 3, faces: bool = False, shift: float = 0.0, cue: str = "") -> Overlay:
    """`_figure` on ``n`` frames, moved up by ``shift`` pixels; the cue shows on frame 1."""
    pix = np.stack([_figure() - [0.0, shift]] * n)
    return Overlay(
        pixels=pix,
        knee_angle=np.tile([[95.0, np.nan]], (n, 1)),
        rep=np.array([0, 1, 1])[:n],
        n_reps=1,
        cue=np.array([-1, 0, -1])[:n],
        cues=(cue or "Push your knees out over your toes",),
        faces=face_ellipses(pix) if faces else None,
    )


def _dark_rows(frame: np.ndarray, x: int) -> np.ndarray:
    """Rows where column ``x`` of a grey-128 frame was darkened (a panel)."""
    return np.flatnonzero(frame[:, x].max(axis=1) < 100)


def test_annotator_draws_skeleton_counter_and_cue_only_when_given() -> None:
    ann = Annotator(_overlay(shift=60))  # feet at y 390 of 480: room for the cue below them
    plain = np.full((H, W, 3), 128, np.uint8)
    f0 = ann.annotate(plain.copy(), 0)
    f1 = ann.annotate(plain.copy(), 1)
    # skeleton: a thigh pixel differs from the background
    assert not (f0[235, 187] == 128).all()
    # rep counter panel top left darkened
    assert f0[3, 3].max() < 128
    # cue banner at the bottom only on frame 1, below the feet
    assert (f0[H - 3, W // 2] == 128).all()
    assert f1[H - 3, W // 2].max() < 128
    assert _dark_rows(f1, W - 5).min() > 390
    # knee label: a dark tag with white text on the left knee's outer side (image right), none for
    # the NaN right knee
    tag = f0[265:295, 200:300]
    assert (tag.max(axis=2) < 60).mean() > 0.4 and (tag.min(axis=2) > 200).any()
    assert (f0[265:295, 20:100] == 128).all()


def test_cue_bar_never_covers_the_legs_and_uses_the_whole_width() -> None:
    """Feet near the bottom (as in a side view): the cue moves to the top, right of the counter;
    wrapped by its pixel width, not at half the frame."""
    long = "Go deeper: bring your hamstrings towards your calves"
    ann = Annotator(_overlay(cue=long))  # feet at y 450 of 480
    f1 = ann.annotate(np.full((H, W, 3), 128, np.uint8), 1)
    rows = _dark_rows(f1, W - 5)
    assert rows.min() == 0 and rows.max() < 250  # above the hips, nowhere near the knees and feet
    assert (f1[300:, :] == 128).all(axis=2)[:, :100].all()  # nothing drawn below the knees' tags
    wide = Annotator(_overlay(cue=long, shift=300))
    g = np.full((H, 2 * W, 3), 128, np.uint8)
    wide_frame = wide.annotate(g, 1)
    r, g, b = (wide_frame[:, :, c].astype(int) for c in range(3))
    yellow = (r > 230) & (g > 200) & (b < 160)  # the cue's text (255, 230, 120)
    assert np.flatnonzero(yellow.any(axis=0)).max() > 1.5 * W  # lines run past half the width
    assert np.flatnonzero(yellow.any(axis=1)).min() > 300  # at the bottom: the legs end at 150
    lines = wrap_to_width(long, 2 * W - 20, 1.0)
    assert sum(map(len, lines)) + len(lines) - 1 == len(long)
    assert len(wrap_to_width(long, 10_000, 1.0)) == 1 and len(wrap_to_width(long, 300, 1.0)) > 2


def test_annotator_blurs_faces_when_asked() -> None:
    yy, xx = np.mgrid[:H, :W]
    frame = (((yy // 2 + xx // 2) % 2) * 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    out = Annotator(_overlay(faces=True)).annotate(frame.copy(), 0)
    assert out[45:62, 150:170].std() < 0.25 * frame[45:62, 150:170].std()
    kept = Annotator(_overlay(faces=False)).annotate(frame.copy(), 0)
    np.testing.assert_array_equal(kept[45:52, 150:170], frame[45:52, 150:170])


def test_draw_measure_highlights_the_metric_landmarks() -> None:
    frame = np.full((H, W, 3), 128, np.uint8)
    draw_measure(frame, _figure(), "fppa_left", "knee 12 deg inward")
    assert tuple(frame[295, 187]) == (235, 50, 50)  # the red thigh line
    unknown = np.full((H, W, 3), 128, np.uint8)
    draw_measure(unknown, _figure(), "no_such_metric", "x")
    assert (unknown == 128).all()


def test_metric_labels_name_the_side_and_the_measure() -> None:
    assert metric_label("fppa_left") == "Left knee inward"
    assert metric_label("knee_flexion_front_right") == "Right knee bend"
    assert metric_label("trunk_lean") == "Trunk lean"


def test_overlay_validates_shapes() -> None:
    with pytest.raises(ValueError, match=r"knee_angle: expected shape \(2, 2\)"):
        Overlay(
            pixels=np.zeros((2, 33, 2)),
            knee_angle=np.zeros((3, 2)),
            rep=np.zeros(2, int),
            n_reps=0,
            cue=np.zeros(2, int),
            cues=(),
        )
