"""Several people in the frame: keep each one's identity over time and pick the squatter.

The pose model may find up to a few people per frame (the squatter, a partner standing beside,
someone walking behind, a mirror reflection). Each detection is described by three numbers in
pixels: the hip centre, the shoulder centre and the torso length (shoulder centre to hip centre,
a body-size measure that does not change in a squat). `IdentityTracker` links the detections of
consecutive frames into tracks (one per person) by Hungarian matching on those; `choose` scores
every track and names the one to analyse.

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
from scipy.optimize import linear_sum_assignment

from .landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER

#: A person must be seen for this long (seconds) to count as one: shorter tracks are the pose
#: model's fleeting false detections (a coat on a hook, a poster) or someone crossing an edge.
MIN_TRACK_S = 0.5
#: A track keeps its identity through gaps this long (seconds): a squatter hidden for a moment by
#: someone walking past, or missed by the detector on a few blurred frames.
MAX_GAP_S = 1.0
#: How far a person can move between two sightings, in torso lengths: half a torso of
#: measurement jitter at once, plus walking speed (about 1.5 m/s, 3 torso lengths per second).
GATE_TORSO = 0.5
GATE_TORSO_PER_S = 3.0
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


class IdentityTracker:
    """Links each frame's detections to the people seen before (one integer id per person).

    ``fps`` sets how many frames :data:`MAX_GAP_S` is. `update` is called once per frame; ids
    count up from 0 in order of first appearance.
    """

    def __init__(self, fps: float) -> None:
        self.fps = float(fps)
        self.hip = np.empty((0, 2))
        self.shoulder = np.empty((0, 2))
        self.size = np.empty(0)
        self.last = np.empty(0, dtype=np.int64)  # frame index each track was last seen on
        self.frame = -1

    def update(self, hip: np.ndarray, shoulder: np.ndarray, size: np.ndarray) -> np.ndarray:
        """Ids ``(P,)`` of this frame's ``P`` detections (``hip``, ``shoulder`` ``(P, 2)``,
        ``size`` ``(P,)`` from `body_points`; rows with NaN get id -1)."""
        self.frame += 1
        ids = np.full(len(size), -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(hip).all(1) & np.isfinite(shoulder).all(1) & (size > 0))
        gap_s = (self.frame - self.last) / self.fps
        alive = np.flatnonzero(gap_s <= MAX_GAP_S)
        if len(ok) and len(alive):
            ref = self.size[alive][:, None]
            moved = (
                np.linalg.norm(self.hip[alive][:, None] - hip[ok][None], axis=-1)
                + np.linalg.norm(self.shoulder[alive][:, None] - shoulder[ok][None], axis=-1)
            ) / (2 * ref)
            cost = moved + np.abs(np.log(size[ok][None] / ref))
            gate = (GATE_TORSO + GATE_TORSO_PER_S * gap_s[alive])[:, None]
            cost = np.where(cost <= gate, cost, 1e6)
            rows, cols = linear_sum_assignment(cost)
            keep = cost[rows, cols] < 1e6
            ids[ok[cols[keep]]] = alive[rows[keep]]
        new = ok[ids[ok] < 0]
        ids[new] = len(self.size) + np.arange(len(new))
        self.hip = np.concatenate([self.hip, np.empty((len(new), 2))])
        self.shoulder = np.concatenate([self.shoulder, np.empty((len(new), 2))])
        self.size = np.concatenate([self.size, np.empty(len(new))])
        self.last = np.concatenate([self.last, np.empty(len(new), dtype=np.int64)])
        seen = ids[ok]
        self.hip[seen], self.shoulder[seen] = hip[ok], shoulder[ok]
        self.size[seen], self.last[seen] = size[ok], self.frame
        return ids


def track(pixels: np.ndarray, fps: float) -> np.ndarray:
    """Person ids ``(T, K)`` (-1: no detection) of up to ``K`` detections per frame, landmarks
    in pixels ``(T, K, 33, 2)`` (NaN rows where fewer were found).

    The features of all frames are computed at once; the matching itself must run frame after
    frame (who someone is depends on who they were), one small assignment problem per frame.
    """
    hip, shoulder, size = body_points(pixels)
    tracker = IdentityTracker(fps)
    return np.stack([tracker.update(hip[t], shoulder[t], size[t]) for t in range(len(pixels))])


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
    where they were not seen), ``people`` everyone seen (best first, the chosen one first) and
    ``at_once`` the most of them seen on one frame (the count to report: someone hidden for
    longer than :data:`MAX_GAP_S` comes back as a new track, but is never two people at once)."""

    slot: np.ndarray
    people: list[Person]
    at_once: int


def choose(pixels: np.ndarray, fps: float, width: int) -> Choice:
    """Which detection of each frame is the person to analyse.

    ``pixels`` ``(T, K, 33, 2)``: up to ``K`` people per frame in pixels (NaN rows where fewer
    were found).
    """
    ids = track(pixels, fps)
    seen = people(ids, pixels, fps, width)
    if not seen:
        return Choice(np.full(len(pixels), -1, dtype=np.int64), [], 0)
    mine = ids == seen[0].id
    slot = np.where(mine.any(axis=1), mine.argmax(axis=1), -1)
    counted = np.isin(ids, [p.id for p in seen])
    return Choice(slot, seen, int(counted.sum(axis=1).max()))
