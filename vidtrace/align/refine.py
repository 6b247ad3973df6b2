"""Sliding-window refinement of a segment's line and ends (seed 001's last step).

A chain of hits fixes a segment roughly; in static shots many reference frames match equally
well and the chain's line can drift. Here every query frame of the segment votes, through the
dense similarity matrix, for the line `ref = a * query + b` that its frames lie on: the line
that maximises the mean similarity along it, searched on a grid around the chain's line. Then
the segment's ends move along that line to the last frames still similar enough.
"""

import numpy as np

SLOPE_STEP, SLOPE_SPAN = 0.01, 0.1  # relative speed searched: a0 +- 0.1 in steps of 0.01
OFFSET_STEP_S, OFFSET_SPAN_S = 0.1, 2.0  # offset searched: b0 +- 2 s in steps of 0.1 s


def line_similarity(r_times: np.ndarray, S: np.ndarray, rows: np.ndarray, q: np.ndarray,
                    x: np.ndarray) -> np.ndarray:
    """Similarity of query rows `rows` (times q) to the reference at times x (same shape as
    rows, or (k, len(rows))), interpolated linearly between reference samples; -1 where x
    falls outside the reference."""
    j = np.clip(np.searchsorted(r_times, x), 1, len(r_times) - 1)
    t0, t1 = r_times[j - 1], r_times[j]
    w = np.clip((x - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
    rows_b = np.broadcast_to(rows, x.shape)
    sim = (1 - w) * S[rows_b, j - 1] + w * S[rows_b, j]
    outside = (x < r_times[0] - 0.5) | (x > r_times[-1] + 0.5)
    return np.where(outside, -1.0, sim)


def near_match(r_times: np.ndarray, S: np.ndarray, rows: np.ndarray, x: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Similarity of query rows `rows` to the better of the two reference samples around
    reference times x (same shape as rows; one sample where x falls on it), and that sample's
    index: (float[len(rows)], int64[len(rows)]); similarity -1 where x lies more than half a
    sampling period outside the reference."""
    last = len(r_times) - 1
    left = np.clip(np.searchsorted(r_times, x, side="right") - 1, 0, last)
    right = np.clip(np.searchsorted(r_times, x, side="left"), 0, last)
    s_left, s_right = S[rows, left], S[rows, right]
    half = (r_times[-1] - r_times[0]) / max(len(r_times) - 1, 1) / 2
    outside = (x < r_times[0] - half) | (x > r_times[-1] + half)
    sim = np.where(outside, -1.0, np.maximum(s_left, s_right))
    return sim, np.where(s_right > s_left, right, left)


def near_similarity(r_times: np.ndarray, S: np.ndarray, rows: np.ndarray, x: np.ndarray
                    ) -> np.ndarray:
    """The similarities of `near_match`: float[len(rows)]."""
    return near_match(r_times, S, rows, x)[0]


def refine_line(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, rows: np.ndarray,
                a0: float, b0: float, min_speed: float, max_speed: float) -> tuple[float, float]:
    """The line (a, b) near (a0, b0) with the highest mean similarity over query rows `rows`."""
    if len(rows) < 2 or len(r_times) < 2:
        return a0, b0
    q = q_times[rows]
    mid = float(np.mean(q))
    slopes = a0 + np.arange(-SLOPE_SPAN, SLOPE_SPAN + 1e-9, SLOPE_STEP)
    if abs(a0 - 1.0) <= SLOPE_SPAN:
        slopes = np.append(slopes, 1.0)  # the most common speed gets an exact trial
    slopes = np.unique(np.clip(slopes, min_speed, max_speed))
    offsets = np.arange(-OFFSET_SPAN_S, OFFSET_SPAN_S + 1e-9, OFFSET_STEP_S)
    best = (-np.inf, 0.0, a0, b0)
    for a in slopes:
        b_centre = a0 * mid + b0 - a * mid  # keep the chain's centre on every trial line
        b = b_centre + offsets
        x = a * q[None, :] + b[:, None]
        score = line_similarity(r_times, S, rows, q, x).mean(axis=1)
        k = int(np.argmax(score))
        closeness = -abs(a - a0) - abs(b[k] - b0)
        if (score[k], closeness) > best[:2]:
            best = (float(score[k]), closeness, float(a), float(b[k]))
    return best[2], best[3]


def refine_ends(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, lo: int, hi: int,
                a: float, b: float, floor: float, limit: tuple[int, int]) -> tuple[int, int]:
    """Query row range [lo, hi] moved along the line: ends whose similarity along it is below
    `floor` are dropped, neighbours at or above it are taken in, staying inside rows
    [limit[0], limit[1]]."""
    def sim(i: int) -> float:
        return float(line_similarity(r_times, S, np.array([i]), q_times[[i]],
                                     np.array([a * q_times[i] + b]))[0])

    while lo < hi and sim(lo) < floor:
        lo += 1
    while hi > lo and sim(hi) < floor:
        hi -= 1
    while lo > limit[0] and sim(lo - 1) >= floor:
        lo -= 1
    while hi < limit[1] and sim(hi + 1) >= floor:
        hi += 1
    return lo, hi
