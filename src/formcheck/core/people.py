"""Several people in the frame: keep each one's identity over time and pick the squatter.

The pose model may find up to a few people per frame (the squatter, a partner standing beside,
someone walking behind, a mirror reflection). Each detection is described by the box around
its landmarks, its hip centre and its torso length (shoulder centre to hip centre, a body-size
measure that does not change in a squat), in pixels. `IdentityTracker` links the detections of
consecutive frames into tracks (one per person) by Hungarian matching on the overlap of their
whole-body boxes, `stitch` joins the pieces a person's track breaks into, `choose` scores every
person and names the one to analyse, and `squatter_slots` decides frame by frame whether the
one-person landmarker's pose is that person's.

Why these measures (image y points down, all lengths in pixels):

- *Vertical hip motion relative to body size*: in a squat the hips go down and up by 10-50 cm
  (a quarter to a deep squat, 0.2-1.0 torso lengths of about 50 cm), while someone standing
  still or walking across the room keeps them within the ~5 cm bob of gait (about 0.1 torso).
  Measured as the 5th-95th percentile range of the hip centre's height over the track, divided
  by the track's median torso length.
- *Size*: of two people making the same motion the larger one is nearer the camera; a mirror
  reflection is always farther away than the person in front of it (the light travels to the
  mirror and back), so it is smaller.
- *Centre*: people film the one they mean to analyse near the middle of the frame; the
  centre counts for at most a factor of two, less than motion or size.
- *Coverage*: the share of the clip's frames the person is in; a passer-by seen for two
  seconds of a minute-long set is not the subject.

A track's score is the product coverage x hip motion x relative size x centrality, the hip
motion floored at 0.05 torso lengths (measurement noise) so that when nobody squats the main
subject (present throughout, large, central) is still the one analysed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER

#: A person must be seen for this long (seconds) to count as one: shorter tracks are the pose
#: model's fleeting false detections (a coat on a hook, a poster) or someone crossing an edge.
MIN_TRACK_S = 0.5
#: A track keeps its identity through gaps this long (seconds): a squatter hidden for a moment by
#: someone walking past, or missed by the detector on a few blurred frames.
MAX_GAP_S = 1.0
#: Least overlap (intersection over union of the whole-body boxes) of a detection with a track's
#: last box for it to be that person: from one frame to the next the same person's box overlaps
#: by 0.7 or more even in a fast squat or a burpee; two people side by side do not overlap.
MIN_IOU = 0.2
#: A track's box grows by this many of its heights per second unseen (walking speed, about
#: 1.5 m/s, is close to one body height per second).
WALK_HEIGHTS_PER_S = 1.0
#: Tracks that continue one another may be this far apart in time (seconds): a squatter lost for
#: a couple of seconds behind a rack or a passer-by is still the same person.
STITCH_GAP_S = 3.0
#: Share of the smaller box inside the other for one track to continue another (see `stitch`).
MIN_OVERLAP = 0.5
#: A pose whose box lies this much (share of its area) inside another pose's box on the same
#: frame is the same body found twice: the model does that for people lying or crouching (on
#: burpee_front_5 its second poses lie 0.89 or more inside the first on 9 frames in 10). Someone
#: passing right behind the squatter is not counted apart only while hidden behind them.
DUPLICATE_OVERLAP = 0.8
#: Hip motion below this (torso lengths) is measurement noise (see the module docstring).
MOTION_FLOOR = 0.05
#: The centrality factor at the left or right edge of the frame (1 in the middle).
EDGE_CENTRALITY = 0.5


def body_points(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hip centre ``(..., 2)``, shoulder centre ``(..., 2)`` and torso length ``(...)`` from
    landmarks in pixels ``(..., 33, 2)`` (NaN where the landmarks are)."""
    hip = 0.5 * (pixels[..., LEFT_HIP, :] + pixels[..., RIGHT_HIP, :])
    shoulder = 0.5 * (pixels[..., LEFT_SHOULDER, :] + pixels[..., RIGHT_SHOULDER, :])
    return hip, shoulder, np.linalg.norm(shoulder - hip, axis=-1)


def boxes(pixels: np.ndarray) -> np.ndarray:
    """Box ``(..., 4)`` = x0, y0, x1, y1 around all 33 landmarks in pixels ``(..., 33, 2)``."""
    with np.errstate(invalid="ignore"):
        return np.concatenate([pixels.min(axis=-2), pixels.max(axis=-2)], axis=-1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes ``a`` ``(N, 4)`` and ``b`` ``(P, 4)``: ``(N, P)``."""
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=-1)[:, None]
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=-1)[None, :]
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


class IdentityTracker:
    """Links each frame's detections to the people seen before (one integer id per person).

    A detection is matched to the track whose last box it overlaps most (Hungarian matching on
    1 - IoU), if it overlaps it by at least :data:`MIN_IOU`; a track not seen for a while has its
    box grown by how far a person walks meanwhile. Boxes around the whole body, not the hips and
    shoulders: when plates, a rack or another person hide part of the body the model's hip and
    shoulder estimates jump from frame to frame while the body's extent hardly changes.
    ``fps`` sets how many frames :data:`MAX_GAP_S` is. `update` is called once per frame; ids
    count up from 0 in order of first appearance.
    """

    def __init__(self, fps: float) -> None:
        self.fps = float(fps)
        self.box = np.empty((0, 4))
        self.last = np.empty(0, dtype=np.int64)  # frame index each track was last seen on
        self.frame = -1

    def update(self, box: np.ndarray) -> np.ndarray:
        """Ids ``(P,)`` of this frame's ``P`` detections, ``box`` ``(P, 4)`` from `boxes` (rows
        with NaN get id -1)."""
        self.frame += 1
        ids = np.full(len(box), -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(box).all(1) & np.all(box[:, 2:] > box[:, :2], axis=1))
        gap_s = (self.frame - self.last) / self.fps
        alive = np.flatnonzero(gap_s <= MAX_GAP_S)
        if len(ok) and len(alive):
            # here, not at the top: scipy.optimize is slow to import, and the one-person path
            # (every `formcheck.media.pose` process) never tracks people
            from scipy.optimize import linear_sum_assignment

            old = self.box[alive]
            grow = (WALK_HEIGHTS_PER_S * (gap_s[alive] - 1 / self.fps))[:, None] * (
                old[:, 3:4] - old[:, 1:2]
            )
            iou = box_iou(old + np.concatenate([-grow, -grow, grow, grow], axis=1), box[ok])
            cost = np.where(iou >= MIN_IOU, 1.0 - iou, 1e6)
            rows, cols = linear_sum_assignment(cost)
            keep = cost[rows, cols] < 1e6
            ids[ok[cols[keep]]] = alive[rows[keep]]
        new = ok[ids[ok] < 0]
        ids[new] = len(self.last) + np.arange(len(new))
        self.box = np.concatenate([self.box, np.empty((len(new), 4))])
        self.last = np.concatenate([self.last, np.empty(len(new), dtype=np.int64)])
        self.box[ids[ok]], self.last[ids[ok]] = box[ok], self.frame
        return ids


def track(pixels: np.ndarray, fps: float) -> np.ndarray:
    """Person ids ``(T, K)`` (-1: no detection) of up to ``K`` detections per frame, landmarks
    in pixels ``(T, K, 33, 2)`` (NaN rows where fewer were found).

    The boxes of all frames are computed at once; the matching itself must run frame after
    frame (who someone is depends on who they were), one small assignment problem per frame.
    """
    tracker = IdentityTracker(fps)
    return np.stack([tracker.update(b) for b in boxes(pixels)])


def stitch(ids: np.ndarray, pixels: np.ndarray, fps: float) -> np.ndarray:
    """``ids`` with tracks that continue one another relabelled as one person.

    A track B continues an earlier track A when B starts after A's last frame, at most
    :data:`STITCH_GAP_S` later, and B's first box lies mostly (:data:`MIN_OVERLAP` of the smaller
    box) inside A's last box grown by walking distance (of several such A, the one whose box centre
    was nearest). That joins the pieces a person's track
    breaks into when the model loses them for over :data:`MAX_GAP_S` or their box jumps (a rack
    hides the legs and the model draws only the upper body); two people seen on the same frame
    are never joined. Tracks are taken in order of appearance, so this loops over tracks, not
    frames.
    """
    box = boxes(pixels)
    pids = np.unique(ids[ids >= 0])
    if len(pids) < 2:
        return ids
    frames = [np.flatnonzero((ids == p).any(axis=1)) for p in pids]
    first = np.array([f[0] for f in frames])
    last = np.array([f[-1] for f in frames])
    first_box = np.stack([box[f[0]][ids[f[0]] == p][0] for f, p in zip(frames, pids, strict=True)])
    last_box = np.stack([box[f[-1]][ids[f[-1]] == p][0] for f, p in zip(frames, pids, strict=True)])
    label = pids.copy()
    head_last, head_box = {}, {}  # per person: last frame and box of their latest track
    for k in np.argsort(first, kind="stable"):
        gap_s = np.array([(first[k] - head_last[h]) / fps for h in head_last])
        heads = [h for h, g in zip(head_last, gap_s, strict=True) if 0 < g <= STITCH_GAP_S]
        best, best_distance = None, np.inf
        for h in heads:
            old = head_box[h]
            height = old[3] - old[1]
            grow = WALK_HEIGHTS_PER_S * (first[k] - head_last[h]) / fps * height
            overlap = _overlap_of_smaller(old + np.array([-grow, -grow, grow, grow]), first_box[k])
            # of the people it may be, the one whose box centre was nearest
            distance = np.linalg.norm(_centre(old) - _centre(first_box[k])) / height
            if overlap >= MIN_OVERLAP and distance < best_distance:
                best, best_distance = h, distance
        label[k] = pids[k] if best is None else best
        head_last[label[k]], head_box[label[k]] = last[k], last_box[k]
    relabel = np.full(int(pids.max()) + 2, -1, dtype=np.int64)
    relabel[pids] = label
    return np.where(ids >= 0, relabel[ids], -1)


def _centre(box: np.ndarray) -> np.ndarray:
    return 0.5 * (box[:2] + box[2:])


def _overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection of boxes ``a`` and ``b`` ``(4,)`` over the smaller one's area."""
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    smaller = min(np.prod(a[2:] - a[:2]), np.prod(b[2:] - b[:2]))
    return float(inter / max(smaller, 1e-9))


def distinct(box: np.ndarray) -> np.ndarray:
    """``(..., K)`` bool: detection ``k`` (boxes ``(..., K, 4)``, NaN rows where none) is a body
    of its own, not a duplicate of an earlier one on the same frame (see
    :data:`DUPLICATE_OVERLAP`)."""
    lo = np.maximum(box[..., :, None, :2], box[..., None, :, :2])
    hi = np.minimum(box[..., :, None, 2:], box[..., None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)  # (..., K, K)
    area = np.prod(box[..., 2:] - box[..., :2], axis=-1)
    smaller = np.minimum(area[..., :, None], area[..., None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = inter / smaller >= DUPLICATE_OVERLAP
    k = box.shape[-2]
    earlier = np.tril(np.ones((k, k), dtype=bool), -1)  # [j, i]: i before j
    valid = np.isfinite(box).all(axis=-1)
    return valid & ~np.any(inside & earlier & valid[..., None, :], axis=-1)


@dataclass(frozen=True)
class Person:
    """One tracked person: id, frames seen, and the measures `choose` scores (see the module
    docstring): hip motion in torso lengths, median torso length in pixels, median hip x as a
    share of the image width (0 left, 1 right)."""

    id: int
    frames: int
    coverage: float
    hip_motion: float
    torso_px: float
    x: float
    score: float = 0.0

    @property
    def position(self) -> str:
        """Where in the frame, as the viewer sees it: ``left``, ``centre`` or ``right``."""
        return "left" if self.x < 1 / 3 else "right" if self.x > 2 / 3 else "centre"


def people(ids: np.ndarray, pixels: np.ndarray, fps: float, width: int) -> list[Person]:
    """The people seen for at least :data:`MIN_TRACK_S` (all people seen when none was seen that
    long), scored, best first.

    ``ids`` ``(T, K)`` from `track`, ``pixels`` ``(T, K, 33, 2)``, ``width`` the image width in
    pixels.
    """
    hip, shoulder, size = body_points(pixels)
    n = len(ids)
    pids, counts = np.unique(ids[ids >= 0], return_counts=True)
    lasting = counts >= MIN_TRACK_S * fps
    if lasting.any():
        pids, counts = pids[lasting], counts[lasting]
    found = []
    for pid, frames in zip(pids.tolist(), counts.tolist(), strict=True):
        mine = ids == pid
        torso = float(np.median(size[mine]))
        low, high = np.percentile(hip[mine][:, 1], [5, 95])
        found.append(
            Person(
                id=int(pid),
                frames=frames,
                coverage=frames / n,
                hip_motion=float(high - low) / torso,
                torso_px=torso,
                x=float(np.median(hip[mine][:, 0])) / width,
            )
        )
    if not found:
        return []
    largest = max(p.torso_px for p in found)
    scored = [replace(p, score=_score(p, largest)) for p in found]
    return sorted(scored, key=lambda p: -p.score)


def _score(p: Person, largest_px: float) -> float:
    centrality = 1.0 - (1.0 - EDGE_CENTRALITY) * min(abs(p.x - 0.5) * 2, 1.0)
    return p.coverage * max(p.hip_motion, MOTION_FLOOR) * (p.torso_px / largest_px) * centrality


@dataclass(frozen=True)
class Choice:
    """Who is analysed: ``slot`` ``(T,)`` of the chosen person's detection on each frame (-1
    where they were not seen), ``people`` everyone seen (best first, the chosen one first),
    ``at_once`` the most of them seen together (on frames adding up to :data:`MIN_TRACK_S`: the
    count to report; someone hidden for a long while may come back as a new track, but is never
    two people at once) and ``ids``
    ``(T, K)`` the person each detection belongs to (-1: none, or seen too briefly to count)."""

    slot: np.ndarray
    people: list[Person]
    at_once: int
    ids: np.ndarray


def choose(pixels: np.ndarray, fps: float, width: int) -> Choice:
    """Which detection of each frame is the person to analyse.

    ``pixels`` ``(T, K, 33, 2)``: up to ``K`` people per frame in pixels (NaN rows where fewer
    were found).
    """
    ids = stitch(track(pixels, fps), pixels, fps)
    seen = people(ids, pixels, fps, width)
    ids = np.where(np.isin(ids, [p.id for p in seen]), ids, -1)
    if not seen:
        return Choice(np.full(len(pixels), -1, dtype=np.int64), [], 0, ids)
    mine = ids == seen[0].id
    slot = np.where(mine.any(axis=1), mine.argmax(axis=1), -1)
    return Choice(
        slot, seen, _at_once(((ids >= 0) & distinct(boxes(pixels))).sum(axis=1), fps), ids
    )


def _at_once(counts: np.ndarray, fps: float) -> int:
    """The most people in view together on frames adding up to :data:`MIN_TRACK_S` (one frame
    with a stray second pose is not two people): ``counts`` ``(T,)`` people per frame."""
    need = min(max(1, round(MIN_TRACK_S * fps)), len(counts))
    return int(np.sort(counts)[::-1][need - 1]) if need else 0


def squatter_slots(primary: np.ndarray, pixels: np.ndarray, chosen: Choice) -> np.ndarray:
    """Per frame, whose landmarks to analyse: 0 the one-person landmarker's (``primary``
    ``(T, 33, 2)``), ``1 + k`` the ``k``-th of ``pixels`` ``(T, K, 33, 2)`` (the several-people
    landmarker's, ``chosen`` from `choose`), -1 none.

    The one-person landmarks are kept unless they are someone else's: their box overlaps
    (:data:`MIN_IOU`) most a detection of another counted person, one who stays elsewhere in the
    frame (their median box overlaps the chosen person's by less than :data:`MIN_IOU`; pieces of
    the squatter's own track that were not stitched together stay where the squatter is). Then
    the chosen person's own detection is used where there is one.
    """
    box = boxes(pixels)
    iou = _frame_iou(boxes(primary), box)  # (T, K), NaN where either is missing
    best = np.nanargmax(np.where(np.isnan(iou), -1.0, iou), axis=1)
    best_iou = np.take_along_axis(np.nan_to_num(iou, nan=0.0), best[:, None], axis=1)[:, 0]
    owner = np.take_along_axis(chosen.ids, best[:, None], axis=1)[:, 0]
    if not chosen.people:
        return np.where(np.isfinite(primary).all(axis=(1, 2)), 0, -1).astype(np.int64)
    squatter = chosen.people[0].id
    ids = [p.id for p in chosen.people]
    usual = np.stack([np.median(box[chosen.ids == p], axis=0) for p in ids])  # (N, 4)
    elsewhere = box_iou(usual, usual[:1])[:, 0] < MIN_IOU
    lookup = np.zeros(max(ids) + 2, dtype=bool)
    lookup[ids] = elsewhere
    someone_else = (best_iou >= MIN_IOU) & (owner >= 0) & (owner != squatter) & lookup[owner]
    found = np.isfinite(primary).all(axis=(1, 2))
    return np.where(
        found & ~someone_else, 0, np.where(chosen.slot >= 0, 1 + chosen.slot, -1)
    ).astype(np.int64)


def _frame_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a[t]`` ``(T, 4)`` with each box ``b[t, k]`` ``(T, K, 4)``: ``(T, K)``."""
    lo = np.maximum(a[:, None, :2], b[..., :2])
    hi = np.minimum(a[:, None, 2:], b[..., 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=-1)[:, None]
    area_b = np.prod(b[..., 2:] - b[..., :2], axis=-1)
    return inter / np.maximum(area_a + area_b - inter, 1e-9)
