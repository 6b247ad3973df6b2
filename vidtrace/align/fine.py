"""Fine-rate refinement of a segment (seed 001: coarse 1 fps retrieval, 5 fps localisation).

A stage-2 method finds a segment on the reference's index-rate frames (1 per second by default),
so its reference boundaries are only as good as that sampling. Given the reference's frames at a
finer rate around the segment (stored in the library, or decoded from the file), the segment's
line is searched again on the finer similarity matrix (`refine_line`), and its ends are moved
along the new line (`refine_ends`), at most `FINE_END_SLACK_S` beyond the coarse ends.
"""

from dataclasses import replace

import numpy as np

from vidtrace.align.base import AlignParams, Segment, line_bounds, query_bounds
from vidtrace.align.refine import refine_ends, refine_line

FINE_MARGIN_S = 3.0  # reference seconds kept either side of the coarse segment
FINE_END_SLACK_S = 2.0  # how far the query ends may move beyond the coarse ones


def fine_window(seg: Segment, ref_duration: float) -> tuple[float, float]:
    """The reference time range whose fine-rate frames the refinement of `seg` needs."""
    return (max(0.0, seg.ref_start - FINE_MARGIN_S),
            min(ref_duration, seg.ref_end + FINE_MARGIN_S) if ref_duration > 0
            else seg.ref_end + FINE_MARGIN_S)


def refine_fine(seg: Segment, q_times: np.ndarray, q_vectors: np.ndarray, f_times: np.ndarray,
                f_vectors: np.ndarray, p: AlignParams, query_duration: float,
                ref_duration: float) -> Segment:
    """`seg` with its line and ends refined against fine-rate reference frames (times
    f_times float64[F], vectors float32[F, d], covering at least `fine_window(seg)`); the
    score and hit count are kept. Returned unchanged when there is too little to refine on."""
    half = p.query_period_s / 2
    rows = np.flatnonzero((q_times >= seg.query_start + half - 1e-6)
                          & (q_times <= seg.query_end - half + 1e-6))
    if len(rows) < 2 or len(f_times) < 2:
        return seg
    S = q_vectors @ f_vectors.T
    a = seg.speed
    # the coarse line through the segment's centre (its reference ends may be clipped)
    qc, rc = (seg.query_start + seg.query_end) / 2, (seg.ref_start + seg.ref_end) / 2
    a, b = refine_line(q_times, f_times, S, rows, a, rc - a * qc, p.min_speed, p.max_speed)
    slack = round(FINE_END_SLACK_S / p.query_period_s)
    limit = (max(0, int(rows[0]) - slack), min(len(q_times) - 1, int(rows[-1]) + slack))
    lo, hi = refine_ends(q_times, f_times, S, int(rows[0]), int(rows[-1]), a, b, p.floor, limit)
    q0, q1 = query_bounds(float(q_times[lo]), float(q_times[hi]), p, query_duration)
    q0, q1, r0, r1 = line_bounds(q0, q1, a, b, ref_duration)
    if q1 <= q0:
        return seg
    return replace(seg, query_start=q0, query_end=q1, ref_start=r0, ref_end=r1, speed=a)
