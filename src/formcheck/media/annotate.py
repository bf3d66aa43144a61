"""Draw precomputed analysis results on video frames: skeleton, knee angles, rep counter, cue.

Nothing here measures anything: every number drawn is computed beforehand (metrics,
repetitions, scores) and handed over as per-frame arrays in an `Overlay`. Frames are RGB
``uint8`` arrays ``(H, W, 3)``, modified in place and returned. Pixel coordinates are x to
the right, y down.

Face blurring (``--blur-faces``): `face_ellipses` fits an ellipse over the head from the face
landmarks (nose, eyes, ears, mouth) of every frame, fills frames where the face was not found
by interpolating between the known ones (holding the first/last known position at the ends),
and `blur_ellipse` pixelates and blurs that region so the face cannot be recognised.
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass

import numpy as np

from ..core.landmarks import (
    LEFT_ANKLE,
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_ANKLE,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    SKELETON,
)

FACE = tuple(range(11))  # nose, eyes, ears, mouth

#: RGB colours.
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
LEFT_COLOUR, RIGHT_COLOUR, CENTRE_COLOUR = (80, 170, 255), (255, 160, 60), (230, 230, 230)
FAIL_COLOUR, PASS_COLOUR = (235, 50, 50), (60, 200, 90)

#: Landmarks that show each metric, for drawing the angle a failing rule measured:
#: a triple is an angle at the middle point, a pair is a segment.
METRIC_LANDMARKS: dict[str, tuple[int, ...]] = {
    "knee_flexion_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_flexion_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "knee_flexion_image_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_flexion_image_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "knee_flexion_front_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_flexion_front_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "knee_bend_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_bend_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "fppa_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "fppa_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "medial_knee_shift_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "medial_knee_shift_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "foot_progression_left": (LEFT_HEEL, LEFT_FOOT_INDEX),
    "foot_progression_right": (RIGHT_HEEL, RIGHT_FOOT_INDEX),
    "heel_elevation_left": (LEFT_HEEL, LEFT_FOOT_INDEX),
    "heel_elevation_right": (RIGHT_HEEL, RIGHT_FOOT_INDEX),
    "foot_pitch_left": (LEFT_HEEL, LEFT_FOOT_INDEX),
    "foot_pitch_right": (RIGHT_HEEL, RIGHT_FOOT_INDEX),
    "trunk_lean": (LEFT_SHOULDER, LEFT_HIP, RIGHT_SHOULDER, RIGHT_HIP),
    "hip_above_knee": (LEFT_HIP, LEFT_KNEE, RIGHT_HIP, RIGHT_KNEE),
    "hip_drop": (LEFT_HIP, RIGHT_HIP),
    "stance_width": (LEFT_ANKLE, RIGHT_ANKLE),
}


@dataclass(frozen=True, eq=False)
class Overlay:
    """Everything drawn on a video, per frame (``T`` frames).

    ``pixels`` ``(T, 33, 2)`` landmark pixels (NaN where unknown); ``knee_angle`` ``(T, 2)``
    knee flexion in degrees (left, right; NaN = not shown); ``rep`` ``(T,)`` number of the
    repetition in progress or last finished (0 before the first); ``cue`` ``(T,)`` index into
    ``cues`` of the cue to show (-1 = none); ``faces`` ``(T, 5)`` head ellipses
    ``(cx, cy, half_width, half_height, angle_deg)`` or None to blur nothing.
    """

    pixels: np.ndarray
    knee_angle: np.ndarray
    rep: np.ndarray
    n_reps: int
    cue: np.ndarray
    cues: tuple[str, ...]
    faces: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = self.pixels.shape[0]
        for name, shape in (("knee_angle", (t, 2)), ("rep", (t,)), ("cue", (t,))):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {getattr(self, name).shape}")
        if self.faces is not None and self.faces.shape != (t, 5):
            raise ValueError(f"faces: expected shape {(t, 5)}, got {self.faces.shape}")

    def __len__(self) -> int:
        return self.pixels.shape[0]


def rep_tracks(
    n_frames: int, spans: np.ndarray, rep_cue: np.ndarray, hold: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame rep counter and cue index from repetition frame spans.

    ``spans`` ``(N, 2)`` start and end frame of each repetition (inclusive); ``rep_cue``
    ``(N,)`` cue index per repetition (-1 = none). The counter becomes ``k + 1`` at the start
    of repetition ``k``; its cue shows from the start of the repetition until ``hold`` frames
    after its end (or until the next one starts).
    """
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    frames = np.arange(n_frames)
    rep = np.searchsorted(spans[:, 0], frames, side="right")
    cue = np.full(n_frames, -1, dtype=np.int64)
    if len(spans):
        k = rep - 1
        shown = (k >= 0) & (frames <= spans[np.clip(k, 0, None), 1] + hold)
        cue[shown] = np.asarray(rep_cue, dtype=np.int64)[k[shown]]
    return rep, cue


def face_ellipses(pixels: np.ndarray) -> np.ndarray | None:
    """Head ellipses ``(T, 5)`` from the face landmarks of ``pixels`` ``(T, 33, 2)``.

    The ellipse is centred a little above the mean face landmark and sized from the spread of
    the face landmarks, but never smaller than a fifth of the torso (shoulders to hips), so a
    side view (all face points bunched) still covers the whole head. Frames without a face are
    interpolated; returns None when no frame has one.
    """
    face = pixels[:, FACE, :]
    known = np.isfinite(face).all(axis=2)
    has_face = known.any(axis=1)
    if not has_face.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without a face give NaN
        centre = np.nanmean(face, axis=1)
        spread = np.nanmax(np.linalg.norm(face - centre[:, None, :], axis=2), axis=1)
    shoulders = pixels[:, [LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=1)
    hips = pixels[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1)
    torso = np.nan_to_num(np.linalg.norm(shoulders - hips, axis=1), nan=0.0)
    half_w = np.maximum(1.9 * spread, 0.22 * torso)
    half_h = np.maximum(2.6 * spread, 0.3 * torso)
    ell = np.column_stack(
        [centre[:, 0], centre[:, 1] - 0.25 * half_h, half_w, half_h, np.zeros(len(face))]
    )
    good = has_face & np.isfinite(ell).all(axis=1)
    if not good.any():
        return None
    t = np.arange(len(face))
    return np.column_stack([np.interp(t, t[good], ell[good, j]) for j in range(5)])


def blur_ellipse(frame: np.ndarray, ellipse: np.ndarray) -> np.ndarray:
    """Pixelate and blur the inside of ``ellipse`` ``(cx, cy, half_w, half_h, angle_deg)`` in place."""
    import cv2

    h, w = frame.shape[:2]
    cx, cy, ax, ay, angle = (float(v) for v in ellipse)
    x0, x1 = int(max(cx - ax, 0)), int(min(cx + ax + 1, w))
    y0, y1 = int(max(cy - ay, 0)), int(min(cy + ay + 1, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return frame
    roi = frame[y0:y1, x0:x1]
    rw, rh = x1 - x0, y1 - y0
    block = max(int(max(ax, ay) / 5), 2)  # about ten blocks across the head
    small = cv2.resize(
        roi, (max(rw // block, 1), max(rh // block, 1)), interpolation=cv2.INTER_AREA
    )
    coarse = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
    k = 2 * (block // 2) + 1
    coarse = cv2.GaussianBlur(coarse, (k, k), 0)
    mask = np.zeros((rh, rw), np.uint8)
    cv2.ellipse(
        mask, (round(cx - x0), round(cy - y0)), (round(ax), round(ay)), angle, 0, 360, 255, -1
    )
    roi[mask > 0] = coarse[mask > 0]
    return frame


def _plain(text: str) -> str:
    """Text OpenCV's Hershey fonts can draw (ASCII only)."""
    for a, b in (
        ("°", " deg"),
        ("\u2019", "'"),
        ("\u2018", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2013", "-"),
        ("\u2014", "-"),
    ):
        text = text.replace(a, b)
    return text.encode("ascii", "ignore").decode()


def _text(
    frame: np.ndarray, text: str, org: tuple[int, int], scale: float, colour=WHITE, thick: int = 2
) -> None:
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(frame, text, org, font, scale, BLACK, thick + max(2, thick), cv2.LINE_AA)
    cv2.putText(frame, text, org, font, scale, colour, thick, cv2.LINE_AA)


def _panel(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.6) -> None:
    region = frame[max(y0, 0) : y1, max(x0, 0) : x1]
    region[:] = (region * (1 - alpha)).astype(np.uint8)


def _bone_colour(a: int, b: int) -> tuple[int, int, int]:
    """Subject's left side blue, right side orange, across the body grey (left indices are odd)."""
    if a and b and a % 2 == b % 2:
        return LEFT_COLOUR if a % 2 else RIGHT_COLOUR
    return CENTRE_COLOUR


def draw_skeleton(frame: np.ndarray, pts: np.ndarray, thickness: int) -> np.ndarray:
    """Draw the bones of ``pts`` ``(33, 2)`` (pixels; NaN points are skipped)."""
    import cv2

    for a, b in SKELETON:
        pa, pb = pts[a], pts[b]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        ia, ib = tuple(np.round(pa).astype(int)), tuple(np.round(pb).astype(int))
        cv2.line(frame, ia, ib, _bone_colour(a, b), thickness, cv2.LINE_AA)
    for p in pts[11:]:
        if np.isfinite(p).all():
            cv2.circle(frame, tuple(np.round(p).astype(int)), thickness + 1, WHITE, -1, cv2.LINE_AA)
    return frame


def draw_measure(
    frame: np.ndarray, pts: np.ndarray, metric: str, label: str, colour=FAIL_COLOUR
) -> np.ndarray:
    """Highlight the landmarks that define ``metric`` (see `METRIC_LANDMARKS`) and write ``label``."""
    import cv2

    ids = METRIC_LANDMARKS.get(metric)
    if ids is None:
        return frame
    p = pts[list(ids)]
    if not np.isfinite(p).all():
        return frame
    h = frame.shape[0]
    thick = max(3, h // 150)
    ip = np.round(p).astype(int)
    pairs = [(0, 1), (1, 2)] if len(ids) == 3 else [(0, 1)] if len(ids) == 2 else [(0, 1), (2, 3)]
    for i, j in pairs:
        cv2.line(frame, tuple(ip[i]), tuple(ip[j]), colour, thick, cv2.LINE_AA)
    for q in ip:
        cv2.circle(frame, tuple(q), thick + 2, colour, -1, cv2.LINE_AA)
    anchor = ip[1] if len(ids) == 3 else ip[:2].mean(axis=0).astype(int)
    scale = max(h / 900, 0.6)
    (tw, th), _ = cv2.getTextSize(_plain(label), cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    x = int(np.clip(anchor[0] + 2 * thick, 4, frame.shape[1] - tw - 4))
    y = int(np.clip(anchor[1], th + 4, h - 4))
    _text(frame, _plain(label), (x, y), scale, colour)
    return frame


class Annotator:
    """Draws an `Overlay` on frames: ``annotator.annotate(frame, i)`` for frame ``i``."""

    def __init__(self, overlay: Overlay) -> None:
        self.overlay = overlay

    def annotate(self, frame: np.ndarray, i: int) -> np.ndarray:
        """Draw frame ``i``'s overlay on ``frame`` (RGB uint8, in place) and return it."""
        import cv2

        ov = self.overlay
        h, w = frame.shape[:2]
        if ov.faces is not None:
            blur_ellipse(frame, ov.faces[i])
        pts = ov.pixels[i]
        thick = max(2, h // 300)
        draw_skeleton(frame, pts, thick)
        scale = max(min(h, w) / 800, 0.55)
        for side, knee in ((0, LEFT_KNEE), (1, RIGHT_KNEE)):
            angle, p = ov.knee_angle[i, side], pts[knee]
            if np.isfinite(angle) and np.isfinite(p).all():
                label = f"{angle:.0f} deg"
                (tw, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
                # subject's left knee is on the image right in a front view: write outward
                x = (
                    int(p[0] + 12)
                    if p[0] >= pts[[LEFT_KNEE, RIGHT_KNEE], 0].mean()
                    else int(p[0] - 12 - tw)
                )
                _text(
                    frame,
                    label,
                    (int(np.clip(x, 2, w - tw - 2)), int(p[1])),
                    scale,
                    LEFT_COLOUR if side == 0 else RIGHT_COLOUR,
                )
        if ov.n_reps:
            self._counter(frame, f"Rep {ov.rep[i]}/{ov.n_reps}")
        if ov.cue[i] >= 0:
            self._cue(frame, _plain(ov.cues[ov.cue[i]]), scale)
        return frame

    @staticmethod
    def _counter(frame: np.ndarray, counter: str) -> None:
        import cv2

        h, w = frame.shape[:2]
        big = max(min(h, w) / 600, 0.7)
        (tw, th), _ = cv2.getTextSize(counter, cv2.FONT_HERSHEY_SIMPLEX, big, 3)
        pad = int(th * 0.6)
        _panel(frame, 0, 0, tw + 3 * pad, th + 3 * pad)
        _text(frame, counter, (pad + pad // 2, th + pad + pad // 2), big, WHITE, 3)

    @staticmethod
    def _cue(frame: np.ndarray, text: str, scale: float) -> None:
        import cv2

        h, w = frame.shape[:2]
        (cw, ch), _ = cv2.getTextSize("M" * 10, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        per_line = max(int((w - 20) / (cw / 10)), 10)
        lines = textwrap.wrap(text, per_line)[:3]
        line_h = int(ch * 1.8)
        top = h - line_h * len(lines) - ch
        _panel(frame, 0, top, w, h)
        for k, line in enumerate(lines):
            _text(frame, line, (10, top + ch + line_h * k + ch // 2), scale, (255, 230, 120))
