"""A segment's speed from the evidence it holds (align/, docs/align.md "Speed from distinct
evidence"): rule 0 of evidence.settle, for every stage-2 method.

In still or slowly changing footage many lines through the same (query, reference) region
match every query frame they cross, so the number of frames matched cannot tell their speeds
apart. Counted as frames, a slower line wins: within a still that the reference shows for Lr
seconds, a line at speed a crosses min(Lq, Lr / a) seconds of a query still of Lq seconds, so
the lowest speed allowed (0.5x) crosses the most query frames and collects the most Hough
votes, though it matches each reference frame over and over.

What a line shows is *distinct* evidence: query seconds matched to reference seconds, each
side counted once. A query frame sampled every `query_period_s` shows `query_period_s` seconds
of the query; a reference sample shows `ref_period_s` seconds of the reference, however many
query frames match it. A line's evidence is the smaller of the two:

    distinct_s = min(matched query rows * query_period_s, distinct reference samples matched
                     * ref_period_s)

A true copy at speed a of moving footage holds min(1, a) * T seconds of it over T seconds of
query on its own line, and next to nothing on lines at other speeds (they leave the copy within
a second or two). Through a still, lines at every speed from Lr / Lq up to 1 hold the same
min(Lq, Lr) seconds: the footage does not determine the speed. Among lines that hold at least
the evidence of the segment's own, the one closest to speed 1 (in ratio) is kept: the speed a
copy has unless its footage says otherwise (a prior, not a fit to any benchmark).
"""

import numpy as np

from vidtrace.align.base import AlignParams, Segment
from vidtrace.align.refine import near_match

SPEED_RATIO = 1.03  # neighbouring speeds of a grid
EXACT_SPEEDS = (1.0, 1.2)  # speeds that copies often have, always in a grid when in range
OFFSET_STEP = 0.1  # offsets tried, in reference periods (as refine.refine_line's 0.1 s)
_EPS = 1e-6


def speed_grid(min_speed: float, max_speed: float) -> np.ndarray:
    """Speeds float64[k] from min_speed to max_speed, about 3 % apart, with EXACT_SPEEDS."""
    n = max(1, int(np.ceil(np.log(max_speed / min_speed) / np.log(SPEED_RATIO))))
    grid = np.geomspace(min_speed, max_speed, n + 1) if max_speed > min_speed else [min_speed]
    exact = [a for a in EXACT_SPEEDS if min_speed <= a <= max_speed]
    return np.unique(np.concatenate([np.asarray(grid, dtype=np.float64), exact]))


def distinct_evidence(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
                      rows: np.ndarray, a: float, offsets: np.ndarray, p: AlignParams
                      ) -> np.ndarray:
    """Distinct seconds float64[k] (module docstring) of the lines ref = a * query + b, b in
    `offsets` float64[k] (seconds), over query rows `rows` int64[n]: a row is matched when its
    similarity to the better of the two reference samples around the line is at least `floor`
    (refine.near_match), and counts that sample."""
    x = a * q_times[rows][None, :] + np.asarray(offsets, dtype=np.float64)[:, None]
    sim, sample = near_match(r_times, S, rows, x)
    matched = sim >= p.floor
    tagged = np.sort(np.where(matched, sample, -1), axis=1)
    new = np.ones(tagged.shape, dtype=bool)
    new[:, 1:] = tagged[:, 1:] != tagged[:, :-1]
    distinct = np.sum(new & (tagged >= 0), axis=1)
    return np.stack([matched.sum(axis=1) * p.query_period_s, distinct * p.ref_period_s], axis=1)


def settle_speed(seg: Segment, q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
                 p: AlignParams) -> Segment:
    """`seg` on the line closest to speed 1 whose distinct evidence over seg's query span is at
    least that of seg's own line (seg itself when none is closer to 1). Speeds tried: a grid
    from seg's speed to 1 (speed_grid), closest to 1 first; at each, the lines that cross seg's
    box in the (query, reference) plane, a tenth of a reference period apart, nearest to seg's
    centre first (in a still every line through it holds the same evidence, and the centre is
    where the evidence that found seg lies). The ends are left to evidence.check, which moves
    them to the rows the new line matches."""
    q0, q1 = seg.query_start, seg.query_end
    span = q1 - q0
    if span <= _EPS or len(r_times) < 2:
        return seg
    a0 = (seg.ref_end - seg.ref_start) / span
    b0 = seg.ref_start - a0 * q0
    rows = np.flatnonzero((q_times >= q0 - _EPS) & (q_times <= q1 + _EPS))
    if len(rows) < p.min_hits or abs(np.log(a0)) <= _EPS:
        return seg
    own = distinct_evidence(q_times, r_times, S, rows, a0, np.array([b0]), p)[0]
    qc, rc = (q0 + q1) / 2, (seg.ref_start + seg.ref_end) / 2
    # lines that stay within two reference periods of seg's over its span match the same
    # samples (near_match takes the better of the two around a line): the same line to them
    apart = 2 * p.ref_period_s / span
    speeds = [a for a in speed_grid(min(a0, 1.0), max(a0, 1.0))
              if abs(np.log(a)) < abs(np.log(a0)) - _EPS and abs(a - a0) > apart + _EPS]
    for a in sorted(speeds, key=lambda a: abs(np.log(a))):
        offsets = np.arange(seg.ref_start - a * q1, seg.ref_end - a * q0 + _EPS,
                            OFFSET_STEP * p.ref_period_s)
        offsets = offsets[np.argsort(np.abs(offsets - (rc - a * qc)), kind="stable")]
        held = distinct_evidence(q_times, r_times, S, rows, a, offsets, p)
        enough = np.flatnonzero(np.all(held >= own - _EPS, axis=1))
        if len(enough):
            b = float(offsets[enough[0]])
            r0, r1 = _main_run(q_times, r_times, S, rows, a, b, p)
            r0, r1 = max(r0, q0), min(r1, q1)
            return Segment(r0, r1, a * r0 + b, a * r1 + b, seg.score, seg.n_hits, a)
    return seg


def _main_run(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, rows: np.ndarray,
              a: float, b: float, p: AlignParams) -> tuple[float, float]:
    """Query start and end (s) of the longest run of rows (of `rows`) that the line matches,
    runs split at dissimilar stretches of `split_gap_s` as the aligners split theirs: a new
    line crosses the still where it matches, and seg's span beyond it holds only stray rows."""
    sim = near_match(r_times, S, rows, a * q_times[rows] + b)[0]
    matched = rows[sim >= p.floor]
    stretch = np.diff(q_times[matched]) - p.query_period_s
    runs = np.split(matched, np.flatnonzero(stretch >= p.split_gap_s - _EPS) + 1)
    run = max(runs, key=len)
    half = p.query_period_s / 2
    return float(q_times[run[0]]) - half, float(q_times[run[-1]]) + half
