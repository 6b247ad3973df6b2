"""Rule 7 of the evidence rules (docs/align.md, "Two lines, two segments"): a segment whose rows
two lines explain better is two segments.

A query may hold two pieces of one reference one after the other whose reference times do not
follow on: a recap that shows a stretch again, a re-cut that jumps back or skips. Over footage
that changes slowly (a pan across a still, a slow zoom) every frame looks like its neighbours a
few seconds away, so one line between the two pieces, at a speed that fits neither, can match
every row at 0.9 where each piece's own line matches it at 0.95: the aligner votes for the line
that crosses the most rows, and the pieces are never proposed (on the calibration split a copy
re-cut as reference 22.6-32.0 s then 26.6-39.3 s came out as one 0.55x segment scoring 0.90).

Each row's best reference frame near the segment says where the row belongs. The rows are cut
where two lines, one through each side's best frames (weighted least squares, weights the
similarities), leave the least squared residual; each side's line is then refined like every
line, and the segment becomes the two pieces when all of this holds:
- both pieces pass rules 1-4 on their own;
- the lines do not meet: at the cut they lie more than `JUMP_PERIODS` reference periods apart,
  so a speed that drifts (a single copy fitted by a slightly wrong slope) is never split;
- on each side at least `min_hits` rows match their piece's line better than the segment's
  (by `ROW_GAIN`): a compromise between two pieces fits neither, while where rule 6 joined a
  still to a moving shot only the still's rows gain (they fit any line) and the shot's rows
  gain nothing, so the join stands;
- together the pieces hold more evidence than the segment: their summed similarity exceeds
  its by at least `GAIN` per row of the segment (0.043 per row on the calibration split's
  re-cut, 0.13 on the planted one);
- together the pieces hold the distinct evidence of the segment, less one reference period
  (speed.py: the smaller of query and reference seconds matched): over a slideshow of slow
  pans and zooms, lines at half speed match a 1x copy's rows about as well, a few hundredths
  better here and there, but each holds half the reference seconds (seed 1's q0031: 10 s
  against 17 s); a re-cut's pieces hold what its compromise line holds, or more.
One copy at one speed never gets this far: its two sides' lines meet.
A piece is split again in the same way, up to `MAX_DEPTH` cuts deep.
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from vidtrace.align.base import AlignParams, Segment, fit_line
from vidtrace.align.refine import near_match, refine_line
from vidtrace.align.speed import distinct_evidence

JUMP_PERIODS = 2.0
GAIN = 0.015
_EPS = 1e-6
ROW_GAIN = 0.02
MAX_DEPTH = 2


def two_lines(seg: Segment, checked: Callable[[Segment], tuple[Segment, float] | None],
              support: float, q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
              p: AlignParams, depth: int = 0) -> list[tuple[Segment, float]] | None:
    """The pieces (segment, support) that replace `seg` (support `support`), or None when one
    line explains its rows as well. `checked` applies rules 1-4 to a segment."""
    if depth >= MAX_DEPTH:
        return None
    rows = np.flatnonzero((q_times >= seg.query_start) & (q_times <= seg.query_end))
    if len(rows) < 2 * p.min_hits or len(r_times) < 2:
        return None
    reach = p.max_gap_s + JUMP_PERIODS * p.ref_period_s
    cols = np.flatnonzero((r_times >= seg.ref_start - reach) & (r_times <= seg.ref_end + reach))
    if len(cols) < 2:
        return None
    sub = S[np.ix_(rows, cols)]
    best = np.argmax(sub, axis=1)
    q = q_times[rows]
    r = r_times[cols][best]
    w = np.clip(sub[np.arange(len(rows)), best], 0.0, None)
    k = _change_point(q, r, w, p.min_hits)
    if k is None:
        return None
    lines = [_fit(q[part], r[part], w[part], q_times, r_times, S, rows[part], p)
             for part in (slice(0, k), slice(k, None))]
    if any(line is None for line in lines):
        return None
    (a1, b1), (a2, b2) = lines  # type: ignore[misc]
    cut = (q[k - 1] + q[k]) / 2
    if abs((a1 * cut + b1) - (a2 * cut + b2)) <= JUMP_PERIODS * p.ref_period_s:
        return None
    a, b = seg.speed, seg.ref_start - seg.speed * seg.query_start
    pieces = []
    for (ai, bi), q0, q1, part in (((a1, b1), seg.query_start, cut, rows[:k]),
                                   ((a2, b2), cut, seg.query_end, rows[k:])):
        gain = (near_match(r_times, S, part, ai * q_times[part] + bi)[0]
                - near_match(r_times, S, part, a * q_times[part] + b)[0])
        if np.count_nonzero(gain >= ROW_GAIN) < p.min_hits:
            return None
        got = checked(_on_line(seg, ai, bi, q0, q1))
        if got is None:
            return None
        pieces.append(got)
    if sum(s for _, s in pieces) < support + GAIN * len(rows):
        return None
    # less a reference period: the sample at the cut may count on neither side
    if _distinct(rows, a, b, q_times, r_times, S, p) > p.ref_period_s + _EPS + sum(
            _distinct(part, ai, bi, q_times, r_times, S, p)
            for (ai, bi), part in (((a1, b1), rows[:k]), ((a2, b2), rows[k:]))):
        return None
    out: list[tuple[Segment, float]] = []
    for piece, s in pieces:
        again = two_lines(piece, checked, s, q_times, r_times, S, p, depth + 1)
        out += again if again else [(piece, s)]
    return out


def _distinct(rows: np.ndarray, a: float, b: float, q_times: np.ndarray, r_times: np.ndarray,
              S: np.ndarray, p: AlignParams) -> float:
    """Seconds of distinct evidence (speed.distinct_evidence: the smaller of query and
    reference seconds matched) that the line ref = a * query + b holds over query rows `rows`."""
    return float(distinct_evidence(q_times, r_times, S, rows, a, np.array([b]), p)[0].min())


def _on_line(seg: Segment, a: float, b: float, q0: float, q1: float) -> Segment:
    """Query [q0, q1] of `seg` on the line ref = a * query + b."""
    return replace(seg, query_start=q0, query_end=q1, ref_start=a * q0 + b, ref_end=a * q1 + b,
                   speed=a)


def _change_point(q: np.ndarray, r: np.ndarray, w: np.ndarray, min_rows: int) -> int | None:
    """The index that splits the rows into two runs of at least `min_rows` whose own lines
    (weighted least squares of r on q) leave the least squared residual in all, or None."""
    n = len(q)
    if n < 2 * min_rows:
        return None
    terms = np.stack([w, w * q, w * r, w * q * q, w * q * r, w * r * r])
    before = np.cumsum(terms, axis=1)
    total = before[:, -1:]
    k = np.arange(min_rows, n - min_rows + 1)
    rss = _rss(before[:, k - 1]) + _rss(total - before[:, k - 1])
    return int(k[int(np.argmin(rss))])


def _rss(sums: np.ndarray) -> np.ndarray:
    """Weighted residual sum of squares of the least-squares line of each column of sums
    (rows: sum w, wq, wr, wqq, wqr, wrr)."""
    sw, sq, sr, sqq, sqr, srr = np.maximum(sums[0], 1e-12), *sums[1:]
    var_q = sqq - sq * sq / sw
    cov = sqr - sq * sr / sw
    var_r = srr - sr * sr / sw
    return var_r - np.where(var_q > 1e-12, cov * cov / np.maximum(var_q, 1e-12), 0.0)


def _fit(q: np.ndarray, r: np.ndarray, w: np.ndarray, q_times: np.ndarray,
         r_times: np.ndarray, S: np.ndarray, rows: np.ndarray, p: AlignParams
         ) -> tuple[float, float] | None:
    """The line of one side: weighted least squares through its rows' best frames, the slope
    kept in the speed range (`base.fit_line`), then refined on the similarities
    (refine.refine_line)."""
    if w.sum() <= 0 or len(q) < 2:
        return None
    a, b = fit_line(q, r, w, p)
    return refine_line(q_times, r_times, S, rows, a, b, p.min_speed, p.max_speed)
