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

import functools
import warnings
from collections.abc import Sequence
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
    "knee_flexion_level_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_flexion_level_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "knee_bend_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_bend_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "fppa_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "fppa_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
    "knee_deviation_left": (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    "knee_deviation_right": (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
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
    "thigh_from_horizontal": (LEFT_HIP, LEFT_KNEE, RIGHT_HIP, RIGHT_KNEE),
    "hip_drop": (LEFT_HIP, RIGHT_HIP),
    "stance_width": (LEFT_ANKLE, RIGHT_ANKLE),
}


#: What each metric is called on a picture (short, ASCII), by base name (no ``_left``/``_right``).
METRIC_LABELS: dict[str, str] = {
    "knee_bend": "Knee bend",
    "knee_flexion": "Knee bend",
    "knee_flexion_image": "Knee bend",
    "knee_flexion_front": "Knee bend",
    "knee_flexion_level": "Knee bend",
    "fppa": "Knee inward",
    "knee_deviation": "Knee inward",
    "medial_knee_shift": "Knee inward",
    "foot_progression": "Toes out",
    "heel_elevation": "Heel raised",
    "foot_pitch": "Heel raised",
    "trunk_lean": "Trunk lean",
    "hip_above_knee": "Hip above knee",
    "thigh_from_horizontal": "Thigh above level",
    "hip_drop": "Hip drop",
    "stance_width": "Stance",
}


def metric_label(metric: str) -> str:
    """``"fppa_left"`` -> ``"Left knee inward"``: `METRIC_LABELS` with the subject's side."""
    for side in ("left", "right"):
        if metric.endswith(f"_{side}"):
            base = METRIC_LABELS.get(metric.removesuffix(f"_{side}"), metric)
            return f"{side.capitalize()} {base[0].lower()}{base[1:]}"
    return METRIC_LABELS.get(metric, metric)


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
    """Darken ``frame[y0:y1, x0:x1]`` to ``1 - alpha`` of its brightness, in place (OpenCV's
    saturating uint8 scaling: a quarter of the float-array arithmetic's CPU per frame)."""
    import cv2

    region = frame[max(y0, 0) : y1, max(x0, 0) : x1]
    if region.size:
        region[:] = cv2.convertScaleAbs(region, alpha=1 - alpha)


def label_scale(frame: np.ndarray) -> float:
    """Font scale of the labels: about 1/22 of the frame's short side tall (Hershey simplex is
    ~22 px at scale 1), so a 360-pixel-high video shown 220 pixels high on a phone still has
    10-pixel text; never below 0.6."""
    return max(min(frame.shape[:2]) / 450, 0.6)


@functools.lru_cache(maxsize=256)  # the same few labels on every frame of a video
def _tag_size(text: str, scale: float) -> tuple[int, int, int]:
    """Width, height and padding in pixels of `draw_tag`'s box for ``text``."""
    import cv2

    thick = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(3, round(th * 0.35))
    return tw + 3 * pad, th + base + 2 * pad, pad


def tag_rows(scale: float) -> tuple[int, int]:
    """Margin and row pitch in pixels of tags stacked in a corner at font ``scale``."""
    _, bh, pad = _tag_size("Ag", scale)
    return pad, bh + pad


def tag_scale(frame: np.ndarray, labels: Sequence[str]) -> float:
    """`label_scale` of ``frame``, made smaller where needed so each of ``labels`` fits its width
    as a `draw_tag`."""
    scale = label_scale(frame)
    width = frame.shape[1]
    for text in labels:
        bw = _tag_size(_plain(text), scale)[0]
        if bw > width:
            scale *= 0.97 * width / bw
    return scale


def draw_tag(
    frame: np.ndarray, text: str, x: int, y: int, scale: float, colour=WHITE
) -> tuple[int, int, int, int]:
    """White ``text`` on a dark box whose left edge is a bar of ``colour``, top-left corner at
    ``(x, y)`` moved inside the frame; readable over any background. Returns the box
    ``(x0, y0, x1, y1)``."""
    import cv2

    h, w = frame.shape[:2]
    bw, bh, pad = _tag_size(text, scale)
    x0, y0 = int(np.clip(x, 0, max(w - bw, 0))), int(np.clip(y, 0, max(h - bh, 0)))
    x1, y1 = min(x0 + bw, w), min(y0 + bh, h)
    _panel(frame, x0, y0, x1, y1, alpha=0.72)
    frame[y0:y1, x0 : x0 + max(2, pad // 2)] = colour
    thick = max(1, round(scale * 1.6))
    (_, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    org = (x0 + 2 * pad, y0 + pad + th)
    cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, WHITE, thick, cv2.LINE_AA)
    return x0, y0, x1, y1


def _bone_colour(a: int, b: int) -> tuple[int, int, int]:
    """Subject's left side blue, right side orange, across the body grey (left indices are odd)."""
    if a and b and a % 2 == b % 2:
        return LEFT_COLOUR if a % 2 else RIGHT_COLOUR
    return CENTRE_COLOUR


def draw_skeleton(frame: np.ndarray, pts: np.ndarray, thickness: int) -> np.ndarray:
    """Draw the bones of ``pts`` ``(33, 2)`` (pixels; NaN points are skipped)."""
    import cv2

    known = np.isfinite(pts).all(axis=1).tolist()
    ip = [tuple(p) for p in np.round(np.nan_to_num(pts)).astype(int).tolist()]
    for a, b in SKELETON:
        if known[a] and known[b]:
            cv2.line(frame, ip[a], ip[b], _bone_colour(a, b), thickness, cv2.LINE_AA)
    for k in range(11, len(ip)):
        if known[k]:
            cv2.circle(frame, ip[k], thickness + 1, WHITE, -1, cv2.LINE_AA)
    return frame


def draw_measure(
    frame: np.ndarray,
    pts: np.ndarray,
    metric: str,
    label: str,
    colour=FAIL_COLOUR,
    row: int = 0,
    scale: float | None = None,
) -> np.ndarray:
    """Highlight the landmarks that define ``metric`` (see `METRIC_LANDMARKS`) in ``colour`` and
    write ``label`` as a tag in the frame's top-left corner (``row`` 0, 1, ... stacks several;
    font ``scale``, default `tag_scale`), away from the highlighted angle; its bar has the same
    colour. `formcheck.report.media.rep_still` gives the tags a strip of their own."""
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
    scale = scale or tag_scale(frame, [label])
    top, step = tag_rows(scale)
    draw_tag(frame, _plain(label), top, top + row * step, scale, colour)
    return frame


#: Landmarks of the legs and feet: the cue bar must not cover them (the heel and knee checks look
#: there).
_LEGS = (
    LEFT_KNEE,
    RIGHT_KNEE,
    LEFT_ANKLE,
    RIGHT_ANKLE,
    LEFT_HEEL,
    RIGHT_HEEL,
    LEFT_FOOT_INDEX,
    RIGHT_FOOT_INDEX,
)


def wrap_to_width(text: str, width: int, scale: float, thick: int = 2) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide in Hershey simplex at
    ``scale`` (a single word wider than that stays whole)."""
    return list(_wrapped(text, width, scale, thick))


@functools.lru_cache(maxsize=64)  # a video shows a few cues, each on many frames
def _wrapped(text: str, width: int, scale: float, thick: int) -> tuple[str, ...]:
    import cv2

    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        fits = cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] <= width
        if lines and fits:
            lines[-1] = trial
        else:
            lines.append(word)
    return tuple(lines)


class Annotator:
    """Draws an `Overlay` on frames: ``annotator.annotate(frame, i)`` for frame ``i``.

    The cue bar goes at the bottom of the frame unless it would cover the legs or feet there on
    most frames (lowest leg landmark, 90th percentile over the overlay); then at the top.
    """

    def __init__(self, overlay: Overlay) -> None:
        self.overlay = overlay
        legs = overlay.pixels[:, _LEGS, 1]
        seen = np.isfinite(legs).any(axis=1)
        #: y in pixels below which the legs do not show on 90 % of the frames (-inf: never seen)
        self.legs_bottom = (
            float(np.percentile(np.nanmax(legs[seen], axis=1), 90)) if seen.any() else -np.inf
        )
        self._cues = tuple(_plain(c) for c in overlay.cues)  # as drawn, converted once

    def annotate(self, frame: np.ndarray, i: int) -> np.ndarray:
        """Draw frame ``i``'s overlay on ``frame`` (RGB uint8, in place) and return it."""
        ov = self.overlay
        h = frame.shape[0]
        if ov.faces is not None:
            blur_ellipse(frame, ov.faces[i])
        pts = ov.pixels[i]
        draw_skeleton(frame, pts, max(2, h // 300))
        scale = label_scale(frame)
        knees = pts[[LEFT_KNEE, RIGHT_KNEE]]
        middle = np.nanmean(knees[:, 0]) if np.isfinite(knees[:, 0]).any() else 0.0
        for side, knee in ((0, LEFT_KNEE), (1, RIGHT_KNEE)):
            angle, p = ov.knee_angle[i, side], pts[knee]
            if np.isfinite(angle) and np.isfinite(p).all():
                label = f"{angle:.0f} deg"
                bw, bh, _ = _tag_size(label, scale)
                gap = max(8, h // 60)
                # beside the knee, on its outer side (the other knee is on the inner one)
                x = p[0] + gap if p[0] >= middle else p[0] - gap - bw
                colour = LEFT_COLOUR if side == 0 else RIGHT_COLOUR
                draw_tag(frame, label, round(x), round(p[1] - bh / 2), scale, colour)
        counter_w = self._counter(frame, f"Rep {ov.rep[i]}/{ov.n_reps}") if ov.n_reps else 0
        if ov.cue[i] >= 0:
            self._cue(frame, self._cues[ov.cue[i]], scale, counter_w)
        return frame

    @staticmethod
    def _counter(frame: np.ndarray, counter: str) -> int:
        """Draw the rep counter in the top-left corner; returns its width in pixels."""
        import cv2

        h, w = frame.shape[:2]
        big = max(min(h, w) / 600, 0.7)
        (tw, th), _ = cv2.getTextSize(counter, cv2.FONT_HERSHEY_SIMPLEX, big, 3)
        pad = int(th * 0.6)
        _panel(frame, 0, 0, tw + 3 * pad, th + 3 * pad)
        _text(frame, counter, (pad + pad // 2, th + pad + pad // 2), big, WHITE, 3)
        return tw + 3 * pad

    def _cue(self, frame: np.ndarray, text: str, scale: float, counter_w: int = 0) -> None:
        """The cue in a bar across the frame, wrapped to its width (3 lines at most): at the
        bottom unless that covers the legs, else at the top, right of the rep counter."""
        import cv2

        h, w = frame.shape[:2]
        big = scale * 1.15
        thick = max(2, round(big * 1.8))
        margin = max(8, w // 60)
        (_, ch), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, big, thick)
        line_h = int((ch + base) * 1.45)
        lines = wrap_to_width(text, w - 2 * margin, big, thick)[:3]
        x0, top = 0, h - line_h * len(lines) - margin
        if top < self.legs_bottom:  # the legs show there: the top of the frame instead
            x0 = counter_w
            lines = wrap_to_width(text, w - x0 - 2 * margin, big, thick)[:3]
            top = 0
        _panel(frame, x0, top, w, top + line_h * len(lines) + margin, alpha=0.75)
        for k, line in enumerate(lines):
            y = top + margin // 2 + line_h * k + ch + (line_h - ch - base) // 2
            _text(frame, line, (x0 + margin, y), big, (255, 230, 120), thick)
