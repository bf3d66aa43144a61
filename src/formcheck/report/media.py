"""Pictures for the report: frames decoded again at chosen times, and bottom-of-rep stills.

`frames_at` seeks to each wanted frame (the nearest keyframe before it, then decodes
forward), so a handful of stills from a long 1080p video costs a few dozen decoded frames,
not the whole video. Frames come out upright, as ``formcheck.video.read_frames`` gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..annotate import FAIL_COLOUR, PASS_COLOUR, draw_measure, draw_skeleton

#: Longest side of a still in the report, pixels.
STILL_SIZE = 720
#: Wanted frames closer than this (seconds) to the last decoded one are reached by decoding on, not seeking.
SEEK_AHEAD_S = 1.0
#: Frames other frames do not reference are skipped until this close (seconds) to a wanted one,
#: which roughly halves the frames decoded to reach it from its keyframe.
NEAR_S = 0.3


def frames_at(path: str | Path, times_s: Sequence[float]) -> dict[float, np.ndarray]:
    """Upright RGB frames at ``times_s`` (seconds from the first frame, as in `PoseSequence`).

    Each time maps to the first frame at or after it (within half a frame period).
    """

    from ..video import _open, _rotation, _upright

    wanted = sorted(set(float(t) for t in times_s))
    out: dict[float, np.ndarray] = {}
    if not wanted:
        return out
    path = Path(path)
    container, stream = _open(path)
    with container:
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        first = next(container.decode(stream))
        t0 = float(first.time or 0.0)
        rate = stream.average_rate or stream.guessed_rate
        half = 0.5 / float(rate) if rate else 0.02
        frames = None
        current = -np.inf
        for t in wanted:
            target = t0 + t
            if frames is None or target - current > SEEK_AHEAD_S:
                container.seek(int(target / float(stream.time_base)), stream=stream, backward=True)
                frames = container.decode(stream)
            best = None
            ctx.skip_frame = "NONREF" if target - current > NEAR_S else "DEFAULT"
            for frame in frames:
                best = frame
                current = float(frame.time) if frame.pts is not None else current
                if current >= target - NEAR_S:
                    ctx.skip_frame = "DEFAULT"  # decode every frame near the wanted one
                if current >= target - half:
                    break
            if best is not None:
                out[t] = _upright(best.to_ndarray(format="rgb24"), _rotation(best))
    return out


def resize_longest(frame: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """``frame`` scaled down so its longest side is at most ``longest``; returns it and the scale."""
    import cv2

    h, w = frame.shape[:2]
    scale = min(1.0, longest / max(h, w))
    if scale >= 1.0:
        return frame, 1.0
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA)), scale


def person_box(pixels: np.ndarray, width: int, height: int, margin: float = 0.15,
               aspect: float = 0.75) -> tuple[int, int, int, int]:  # fmt: skip
    """``(x0, y0, x1, y1)`` crop around the landmarks ``pixels`` ``(33, 2)``: their bounding box
    grown by ``margin`` of its size on each side and widened or heightened towards ``width /
    height = aspect``, clipped to the frame. The whole frame when no landmark is known."""
    known = pixels[np.isfinite(pixels).all(axis=1)]
    if len(known) < 2:
        return 0, 0, width, height
    (lx, ly), (hx, hy) = known.min(axis=0), known.max(axis=0)
    cx, cy = (lx + hx) / 2, (ly + hy) / 2
    w = (hx - lx) * (1 + 2 * margin)
    h = (hy - ly) * (1 + 2 * margin)
    w, h = max(w, h * aspect, 32.0), max(h, w / aspect, 32.0)
    x0, x1 = int(max(cx - w / 2, 0)), int(min(cx + w / 2, width))
    y0, y1 = int(max(cy - h / 2, 0)), int(min(cy + h / 2, height))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0, 0, width, height
    return x0, y0, x1, y1


def rep_still(frame: np.ndarray, pixels: np.ndarray, marks: Sequence[tuple[str, str, bool]],
              blur: np.ndarray | None = None) -> bytes:  # fmt: skip
    """JPEG of a rep's bottom frame, cropped to the person, with the skeleton and each
    ``(metric, label, failed)`` mark drawn.

    ``pixels`` ``(33, 2)`` landmark pixels in ``frame``'s full resolution; ``blur`` an optional
    head ellipse (same resolution) to blur first.
    """
    import cv2

    from ..annotate import blur_ellipse

    x0, y0, x1, y1 = person_box(pixels, frame.shape[1], frame.shape[0])
    crop = frame[y0:y1, x0:x1]
    offset = np.array([x0, y0], dtype=float)
    img, scale = resize_longest(np.ascontiguousarray(crop), STILL_SIZE)
    img = img.copy()
    if blur is not None:
        b = np.asarray(blur, dtype=float).copy()
        b[:2] -= offset
        b[:4] *= scale
        blur_ellipse(img, b)
    pts = (pixels - offset) * scale
    draw_skeleton(img, pts, max(2, img.shape[0] // 300))
    for metric, label, failed in marks:
        draw_measure(img, pts, metric, label, FAIL_COLOUR if failed else PASS_COLOUR)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG still")
    return jpeg.tobytes()
