"""Pictures for the report: bottom-of-rep stills (frames from ``formcheck.media.video.frames_at``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..media.annotate import (
    FAIL_COLOUR,
    PASS_COLOUR,
    draw_measure,
    draw_skeleton,
    tag_rows,
    tag_scale,
)

#: Longest side of a still in the report, pixels.
STILL_SIZE = 720


def resize_longest(frame: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """``frame`` scaled down so its longest side is at most ``longest``; returns it and the scale."""
    import cv2

    h, w = frame.shape[:2]
    scale = min(1.0, longest / max(h, w))
    if scale >= 1.0:
        return frame, 1.0
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA)), scale


def person_box(
    pixels: np.ndarray, width: int, height: int, margin: float = 0.15, aspect: float = 0.75
) -> tuple[int, int, int, int]:
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


def rep_still(
    frame: np.ndarray,
    pixels: np.ndarray,
    marks: Sequence[tuple[str, str, bool]],
    blur: np.ndarray | None = None,
) -> bytes:
    """JPEG of a rep's bottom frame, cropped to the person, with the skeleton and each
    ``(metric, label, failed)`` mark drawn: the angle in red (failed) or green on the body, its
    label in a dark strip added above the picture.

    ``pixels`` ``(33, 2)`` landmark pixels in ``frame``'s full resolution; ``blur`` an optional
    head ellipse (same resolution) to blur first.
    """
    import cv2

    from ..media.annotate import blur_ellipse

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
    if marks:  # the labels get a dark strip above the picture: they cover nothing of the person
        font = tag_scale(img, [label for _, label, _ in marks])
        margin, step = tag_rows(font)
        strip = np.full((margin + step * len(marks), img.shape[1], 3), 40, np.uint8)
        img = np.concatenate([strip, img])
        pts = pts + [0.0, float(strip.shape[0])]
    for row, (metric, label, failed) in enumerate(marks):
        colour = FAIL_COLOUR if failed else PASS_COLOUR
        draw_measure(img, pts, metric, label, colour, row=row, scale=font)
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82]
    )
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG still")
    return jpeg.tobytes()
