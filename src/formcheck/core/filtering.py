"""Signal quality: confidence gating, short-gap interpolation, zero-phase low-pass
filtering and repair of left/right leg swaps, on whole arrays (no per-frame loops).

`formcheck.core.metrics.compute_metrics` chains them on the landmarks it uses; each
takes arrays with time along an axis and leaves NaN where nothing can be said.

Notes
-----
- Gating: MediaPipe's visibility is a per-landmark probability of being
  visible; below ``VISIBILITY_THRESHOLD`` = 0.5 (the threshold MediaPipe's own
  drawing utilities use) the position is a guess and is set to NaN. So is a
  landmark outside the picture (`in_picture`), whatever its visibility: the model
  extrapolates a joint the frame cuts off (the ankles of a real side-view squat
  filmed with the feet below the frame's edge read visibility 0.67 there), and
  knee angles, depth and lockout built on that guess read 3-16 deg off.
- Gaps up to ``MAX_GAP_S`` = 0.2 s are bridged linearly: at squat speeds
  (a rep lasts 2-4 s) a joint moves a few centimetres in 0.2 s, so a straight
  line is within the landmark noise; longer gaps stay NaN.
- Low-pass: 2nd-order Butterworth run forwards and backwards (zero phase, so
  the bottom of a rep is not delayed), cut-off ``CUTOFF_HZ`` = 6 Hz, the value
  Winter recommends for human movement kinematics; a squat's own content lies
  below ~2 Hz, so 6 Hz keeps its shape and removes MediaPipe's frame-to-frame
  jitter. The cut-off is in Hz, so the normalised frequency follows the fps;
  below ~13 fps (cut-off above 0.9 x Nyquist) the data are left unfiltered.
  Each contiguous finite run is filtered on its own (NaN never leaks into it);
  runs shorter than ``MIN_RUN`` frames are left as they are.
- Leg swaps: MediaPipe sometimes labels the left leg as the right for a few
  frames (mostly in side views). A frame where exchanging the two legs makes
  the motion from the previous frame much smoother is a swap boundary; a pair
  of boundaries at most ``MAX_SWAP_S`` apart encloses a swapped stretch, which
  is swapped back.
"""

from __future__ import annotations

import numpy as np

VISIBILITY_THRESHOLD = 0.5
MAX_GAP_S = 0.2
CUTOFF_HZ = 6.0
FILTER_ORDER = 2
MIN_RUN = 10
MAX_SWAP_S = 1.0
#: World distances are divided by this (a shank, metres) to compare them with image distances
#: divided by the shank length in pixels.
SHANK_M = 0.4


def in_picture(xy: np.ndarray) -> np.ndarray:
    """Where a landmark lies inside the picture: both normalised image coordinates in [0, 1].

    Parameters
    ----------
    xy : np.ndarray
        ``(..., 2)`` normalised image x and y (0-1 across the frame); NaN where unknown.

    Returns
    -------
    np.ndarray
        ``(...)`` bool, False outside the frame and where unknown.
    """
    xy = np.asarray(xy, dtype=np.float64)
    return ((xy >= 0.0) & (xy <= 1.0)).all(axis=-1)


def gate(
    points: np.ndarray, visibility: np.ndarray, threshold: float = VISIBILITY_THRESHOLD
) -> np.ndarray:
    """Landmark positions with NaN wherever the landmark is unlikely to be visible.

    Parameters
    ----------
    points : np.ndarray
        ``(T, K, C)`` positions of K landmarks over T frames, in any unit.
    visibility : np.ndarray
        ``(T, K)`` MediaPipe visibility, the probability (0-1) that each landmark is visible.
    threshold : float
        Lowest visibility kept (0-1); default `VISIBILITY_THRESHOLD`.

    Returns
    -------
    np.ndarray
        ``(T, K, C)`` float64 copy of ``points``, NaN where ``visibility < threshold``.

    Raises
    ------
    ValueError
        If ``visibility`` is not ``points.shape[:-1]``.
    """
    points = np.asarray(points, dtype=np.float64)
    vis = np.asarray(visibility, dtype=np.float64)
    if vis.shape != points.shape[:-1]:
        raise ValueError(f"visibility: expected shape {points.shape[:-1]}, got {vis.shape}")
    return np.where((vis >= threshold)[..., None], points, np.nan)


def max_gap_frames(fps: float, max_gap_s: float = MAX_GAP_S) -> int:
    """The longest gap, in frames, that interpolation bridges at ``fps``.

    Parameters
    ----------
    fps : float
        Frame rate, frames per second.
    max_gap_s : float
        Longest gap bridged, seconds; default `MAX_GAP_S`.

    Returns
    -------
    int
        ``floor(max_gap_s * fps)`` frames, at least 1.
    """
    return max(1, int(np.floor(max_gap_s * fps + 1e-9)))


def interpolate_gaps(x: np.ndarray, max_gap: int, axis: int = 0) -> np.ndarray:
    """Linear interpolation over NaN gaps of at most ``max_gap`` frames along ``axis``.

    Each series (every index of the other axes) is handled on its own; gaps at
    the start or end, and gaps longer than ``max_gap``, stay NaN.

    Parameters
    ----------
    x : np.ndarray
        Values with time along ``axis``, any shape and unit; NaN where missing.
    max_gap : int
        Longest run of NaN frames filled (`max_gap_frames`).
    axis : int
        The time axis.

    Returns
    -------
    np.ndarray
        A new float64 array of ``x``'s shape and unit with the short gaps filled.
    """
    x = np.asarray(x, dtype=np.float64)
    moved = np.moveaxis(x, axis, -1)
    out = np.array(moved, copy=True)
    flat = out.reshape(-1, out.shape[-1])
    rows = np.flatnonzero(~np.isfinite(flat).all(axis=1))
    if rows.size and flat.shape[1] > 2:
        flat[rows] = interpolate_rows(flat[rows], max_gap)
    return np.moveaxis(flat.reshape(out.shape), -1, axis)


def interpolate_rows(x: np.ndarray, max_gap: int) -> np.ndarray:
    """`interpolate_gaps` on rows of time series (time last).

    Parameters
    ----------
    x : np.ndarray
        ``(M, T)`` float values of M series over T frames, NaN where missing.
    max_gap : int
        Longest run of NaN frames filled (`max_gap_frames`).

    Returns
    -------
    np.ndarray
        A new ``(M, T)`` array in ``x``'s unit with the short gaps filled.
    """
    n = x.shape[1]
    valid = np.isfinite(x)
    if valid.shape[0] > 1 and not (valid != valid[:1]).any():
        # every row shares one NaN pattern (whole frames missing, the usual case):
        # find each gap's ends once on the 1-D mask and gather whole columns
        return _interpolate_shared(x, valid[0], max_gap)
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(valid, idx, n)[:, ::-1], axis=1)[:, ::-1]
    fill = ~valid & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap)
    p = np.clip(prev, 0, n - 1)
    q = np.clip(nxt, 0, n - 1)
    xp = np.take_along_axis(x, p, axis=1)
    xq = np.take_along_axis(x, q, axis=1)
    w = (idx - p) / np.maximum(q - p, 1)
    return np.where(fill, xp + w * (xq - xp), x)


def _interpolate_shared(x: np.ndarray, valid: np.ndarray, max_gap: int) -> np.ndarray:
    """`interpolate_rows` where every row of ``x`` is finite exactly where 1-D ``valid`` is."""
    n = valid.shape[0]
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, idx, -1))
    nxt = np.minimum.accumulate(np.where(valid, idx, n)[::-1])[::-1]
    fill = np.flatnonzero(~valid & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap))
    out = x.copy()
    if fill.size:
        p, q = prev[fill], nxt[fill]
        w = (fill - p) / (q - p)
        out[:, fill] = x[:, p] + w * (x[:, q] - x[:, p])
    return out


def lowpass(
    x: np.ndarray,
    fps: float,
    cutoff_hz: float = CUTOFF_HZ,
    axis: int = 0,
    order: int = FILTER_ORDER,
) -> np.ndarray:
    """Zero-phase Butterworth low-pass along ``axis`` (time), per contiguous finite run.

    NaN stays NaN; runs shorter than ``MIN_RUN`` frames are returned unfiltered;
    if ``cutoff_hz`` is above 0.9 x the Nyquist frequency nothing is filtered.

    Parameters
    ----------
    x : np.ndarray
        Values with time along ``axis``, any shape and unit; NaN where missing.
    fps : float
        Frame rate of ``x``, frames per second.
    cutoff_hz : float
        Cut-off frequency, Hz; default `CUTOFF_HZ`.
    axis : int
        The time axis.
    order : int
        Butterworth order (applied twice, forwards and backwards); default `FILTER_ORDER`.

    Returns
    -------
    np.ndarray
        A new float64 array of ``x``'s shape and unit.

    Raises
    ------
    ValueError
        If ``fps`` or ``cutoff_hz`` is not a positive number.
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps}")
    if not cutoff_hz > 0:
        raise ValueError(f"cutoff_hz: expected a positive number, got {cutoff_hz}")
    x = np.asarray(x, dtype=np.float64)
    moved = np.moveaxis(x, axis, -1)
    flat = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])
    out = lowpass_rows(flat, fps, cutoff_hz, order)
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def lowpass_rows(
    x: np.ndarray, fps: float, cutoff_hz: float = CUTOFF_HZ, order: int = FILTER_ORDER
) -> np.ndarray:
    """`lowpass` of rows of time series (time last); rows with one NaN pattern are filtered
    together.

    Parameters
    ----------
    x : np.ndarray
        ``(M, T)`` values of M series over T frames, any unit; NaN where missing.
    fps : float
        Frame rate, frames per second (positive; not checked here, see `lowpass`).
    cutoff_hz : float
        Cut-off frequency, Hz; default `CUTOFF_HZ`.
    order : int
        Butterworth order; default `FILTER_ORDER`.

    Returns
    -------
    np.ndarray
        A new ``(M, T)`` float64 array in ``x``'s unit.
    """
    from scipy.signal import butter

    x = np.asarray(x, dtype=np.float64)
    wn = cutoff_hz / (fps / 2)
    if wn >= 0.9 or x.shape[1] < MIN_RUN:
        return x.copy()
    sos = butter(order, wn, output="sos")
    full = np.isfinite(np.add.reduce(x, axis=1))  # one pass, no (M, T) temporary
    if full.all():
        return _filtfilt(sos, x)
    finite = np.isfinite(x)
    full = finite.all(axis=1)
    out = x.copy()
    if full.any():
        out[full] = _filtfilt(sos, x[full])
    partial = np.flatnonzero(~full & finite.any(axis=1))
    groups: dict[bytes, list[int]] = {}
    for r in partial:  # a handful of series, not frames
        groups.setdefault(np.packbits(finite[r]).tobytes(), []).append(int(r))
    for rows in groups.values():
        for start, stop in runs(finite[rows[0]]):
            if stop - start >= MIN_RUN:
                out[rows, start:stop] = _filtfilt(sos, x[rows, start:stop])
    return out


def _filtfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=1)`` (odd padding of 3 x taps); a single
    second-order section runs as two plain `lfilter` passes, which is ~1.5x faster."""
    from scipy.signal import lfilter, lfilter_zi, sosfiltfilt

    if sos.shape[0] != 1:
        return sosfiltfilt(sos, x, axis=1)
    b, a = sos[0, :3], sos[0, 3:]
    pad = 9
    if x.shape[1] <= pad:
        return sosfiltfilt(sos, x, axis=1, padlen=x.shape[1] - 1)
    ext = np.concatenate(
        [2 * x[:, :1] - x[:, pad:0:-1], x, 2 * x[:, -1:] - x[:, -2 : -pad - 2 : -1]], axis=1
    )
    zi = lfilter_zi(b, a)
    y, _ = lfilter(b, a, ext, axis=1, zi=zi * ext[:, :1])
    y = y[:, ::-1]
    y, _ = lfilter(b, a, y, axis=1, zi=zi * y[:, :1])
    return y[:, ::-1][:, pad:-pad]


def ragged(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat frame indices of the ranges ``[lo_k, hi_k]`` (inclusive, non-empty), the length of
    each range and the offset where each starts in the flat array: per-range statistics of a
    series without a loop (``np.fmax.reduceat(x[flat], offsets)``).

    Parameters
    ----------
    lo, hi : np.ndarray
        ``(K,)`` int first and last frame of each range, ``lo <= hi``.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, np.ndarray]
        ``flat`` (sum of the lengths,), ``lengths`` (K,) and ``offsets`` (K,).
    """
    lengths = hi - lo + 1
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    flat = np.arange(int(offsets[-1] + lengths[-1]) if lengths.size else 0)
    flat += np.repeat(lo - offsets, lengths)
    return flat, lengths, offsets


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Where a boolean series is True, as runs.

    Parameters
    ----------
    mask : np.ndarray
        ``(T,)`` bool (or values read as bool).

    Returns
    -------
    list[tuple[int, int]]
        ``(start, stop)`` frame indices of every run of True (``stop`` exclusive), in order.
    """
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def drop_short_runs(mask: np.ndarray, min_frames: int) -> np.ndarray:
    """A boolean series without its short runs of True.

    Parameters
    ----------
    mask : np.ndarray
        ``(T,)`` bool.
    min_frames : int
        Shortest run of True kept, frames (1 or less keeps every run).

    Returns
    -------
    np.ndarray
        A new ``(T,)`` bool array: ``mask`` with every run of True shorter than ``min_frames``
        set to False.
    """
    mask = np.asarray(mask, dtype=bool)
    if min_frames <= 1 or mask.size == 0:
        return mask.copy()
    # run starts and stops, interleaved
    edges = np.flatnonzero(np.diff(mask, prepend=False, append=False))
    starts, stops = edges[0::2], edges[1::2]
    short = stops - starts < min_frames
    # +1 at each short run's start, -1 at its stop: the running sum is 1 inside short runs
    step = np.zeros(mask.size + 1, dtype=np.int8)
    step[starts[short]] = 1
    step[stops[short]] = -1
    return mask & (np.cumsum(step[:-1], dtype=np.int8) == 0)


def find_leg_swaps(
    left: np.ndarray,
    right: np.ndarray,
    fps: float,
    *,
    max_swap_s: float = MAX_SWAP_S,
    ratio: float = 0.5,
    margin: float = 0.5,
) -> np.ndarray:
    """``(T,)`` bool: frames whose left and right legs are exchanged.

    ``left`` and ``right`` are ``(T, J, C)`` positions of the same J leg
    landmarks, in comparable units (formcheck uses image pixels / shank length
    in pixels, next to world metres / 0.4 m). At frame t, with p the previous
    frame where both legs are fully known, the jump of the whole leg
    configuration ``d = sqrt(|L_t - L_p|^2 + |R_t - R_p|^2)`` (all landmarks
    and coordinates) is compared with the jump if the legs were exchanged,
    ``d_swap = sqrt(|L_t - R_p|^2 + |R_t - L_p|^2)``: ``d_swap < ratio * d`` and
    ``d - d_swap > margin`` marks a swap boundary. Consecutive boundaries at
    most ``max_swap_s`` apart enclose a swapped stretch; an unpaired boundary
    within ``max_swap_s`` of either end of the sequence marks the stretch
    between it and that end.

    Parameters
    ----------
    left, right : np.ndarray
        ``(T, J, C)`` positions of the same J leg landmarks of each side, in comparable
        units (see above); NaN where missing.
    fps : float
        Frame rate, frames per second.
    max_swap_s : float
        Longest swapped stretch, seconds; default `MAX_SWAP_S`.
    ratio : float
        ``d_swap`` must be below ``ratio * d`` at a boundary (dimensionless).
    margin : float
        ``d - d_swap`` must exceed this at a boundary, in the units of ``left``.

    Returns
    -------
    np.ndarray
        ``(T,)`` bool, True on frames whose legs are exchanged.

    Raises
    ------
    ValueError
        If ``left`` and ``right`` are not of one shape ``(T, J, C)``.
    """
    left = np.asarray(left, dtype=np.float64)
    right = np.asarray(right, dtype=np.float64)
    if left.shape != right.shape or left.ndim != 3:
        raise ValueError(
            f"expected left, right of one shape (T, J, C), got {left.shape} and {right.shape}"
        )
    n = left.shape[0]
    # (J*C, T): a view when the caller's layout is time-last
    lf = np.moveaxis(left, 0, -1).reshape(-1, n)
    rf = np.moveaxis(right, 0, -1).reshape(-1, n)
    return swaps_from_sum_and_difference(
        lf + rf, lf - rf, fps, max_swap_s=max_swap_s, ratio=ratio, margin=margin
    )


def swaps_from_sum_and_difference(
    total: np.ndarray,
    diff: np.ndarray,
    fps: float,
    *,
    max_swap_s: float = MAX_SWAP_S,
    ratio: float = 0.5,
    margin: float = 0.5,
) -> np.ndarray:
    """`find_leg_swaps` from ``(F, T)`` features ``L + R`` and ``L - R`` (time last).

    With S = L + R and D = L - R, ``d^2 = (|dS|^2 + |D_t - D_p|^2) / 2`` and
    ``d_swap^2 = (|dS|^2 + |D_t + D_p|^2) / 2``; any float dtype (float32 is plenty).

    Parameters
    ----------
    total, diff : np.ndarray
        ``(F, T)`` features ``L + R`` and ``L - R`` of the leg landmarks' coordinates over
        T frames (time last), in comparable units; NaN where missing.
    fps : float
        Frame rate, frames per second.
    max_swap_s : float
        Longest swapped stretch, seconds; default `MAX_SWAP_S`.
    ratio : float
        ``d_swap`` must be below ``ratio * d`` at a boundary (dimensionless).
    margin : float
        ``d - d_swap`` must exceed this at a boundary, in the units of the features.

    Returns
    -------
    np.ndarray
        ``(T,)`` bool, True on frames whose legs are exchanged.
    """
    n = total.shape[1]
    swapped = np.zeros(n, dtype=bool)
    if n < 2:
        return swapped
    known = np.isfinite(np.add.reduce(diff, axis=0))
    if known.all():
        t = np.arange(1, n)
        st, sp, dt, dp = total[:, 1:], total[:, :-1], diff[:, 1:], diff[:, :-1]
    else:
        idx = np.arange(n)
        last = np.maximum.accumulate(np.where(known, idx, -1))
        prev = np.concatenate([[-1], last[:-1]])
        t = np.flatnonzero(known & (prev >= 0))
        p = prev[t]
        st, sp, dt, dp = total[:, t], total[:, p], diff[:, t], diff[:, p]

    def sq(a: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->j", a, a)

    moved = sq(st - sp)
    d = np.sqrt((moved + sq(dt - dp)) / 2)
    d_swap = np.sqrt((moved + sq(dt + dp)) / 2)
    events = t[(d_swap < ratio * d) & (d - d_swap > margin)].tolist()
    limit = max(1, int(round(max_swap_s * fps)))
    paired = [False] * len(events)
    i = 0
    while i < len(events) - 1:  # loop over swap boundaries (a few), not frames
        if events[i + 1] - events[i] <= limit:
            swapped[events[i] : events[i + 1]] = True
            paired[i] = paired[i + 1] = True
            i += 2
        else:
            i += 1
    if (
        events
        and not paired[0]
        and events[0] <= limit
        and (len(events) > 1 or events[0] <= n - events[0])
    ):
        swapped[: events[0]] = True  # swapped from the first frame
        paired[0] = True
    if events and not paired[-1] and n - events[-1] <= limit:
        swapped[events[-1] :] = True  # swapped until the last frame
    return swapped
