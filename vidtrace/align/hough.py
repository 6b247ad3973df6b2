"""Copied segments between one query and one reference by temporal Hough voting over the
query x reference similarity matrix: a stage-2 alternative to lis.py.

After M. Douze, H. Jegou, C. Schmid, "An image-based approach to video copy detection with
spatio-temporal post-filtering", IEEE Trans. Multimedia 12(4), 2010 (the "temporal Hough"
transform), and H.-K. Tan, C.-W. Ngo, R. Hong, T.-S. Chua, "Scalable detection of partial
near-duplicate videos by visual-temporal consistency", ACM Multimedia 2009 (temporal networks):
a copy is a line ref = a * query + b in the (query time, reference time) plane, so frame hits
vote for the lines through them and lines with many similar frames stand out.

1. Hits: every query frame's `top` most similar reference frames at or above `floor`.
2. Votes: for each speed a of a grid covering [min_speed, max_speed] (about 3 % apart, 1.0 and
   1.2 exactly), every hit (q, r, s) votes with weight s - floor for the offset b = r - a q, in
   bins one reference period wide (split linearly between the two nearest bins).
3. Peaks: local maxima of the (speed, offset) accumulator over neighbouring speeds (+-1) and
   offsets (+-2 bins), largest first; non-maximum suppression keeps one peak per copy.
4. Lines to segments: the peak's line is fitted to the hits near it (weighted least squares,
   twice); along it every query row not yet in a segment is matched when its similarity to one
   of the two reference samples around the line is at least `floor`. Matched rows are split
   into runs at dissimilar stretches of `split_gap_s` (as lis splits a chain at a splice) or
   at rows of an earlier segment. Each run with `min_hits` matched rows has its line refitted
   and refined on the dense matrix (refine.refine_line) and its ends moved along it (as
   refine.refine_ends does), and becomes a segment when its score reaches what its matched
   frames need (`AlignParams.keeps`); its rows then belong to it and to no later peak.

Why the two samples around the line (refine.near_similarity) rather than
refine.line_similarity (interpolated between them): with a reference sampled at 1 frame/s, a
line at a speed other than 1 passes halfway between samples every other query frame, and a copy
at 0.45 whose neighbouring reference frame is unrelated interpolates to about 0.27 there, below
the floor, so a weak copy would split into pieces. refine_line still uses the interpolated
similarity to place the line.

Every segment found then passes evidence.settle, as every method's do: ends on the line inside
the reference, speed in range, a line pinned by its own hits, no overlap with a better-supported
segment, and its score (mean similarity of the matched rows to the better of the two reference
samples around the line, times the share of query rows in the segment matched).

Only increasing lines (speed > 0) get votes: a reversed copy gives nothing or short pieces where
increasing lines cross it.
"""

import numpy as np

from vidtrace.align.base import AlignParams, Segment, fit_line, line_bounds, query_bounds
from vidtrace.align.evidence import settle
from vidtrace.align.lis import _free_rows, similarity_hits
from vidtrace.align.refine import near_similarity, refine_line
from vidtrace.align.speed import speed_grid

NMS_SPEEDS, NMS_BINS = 1, 2  # half-size of the non-maximum suppression window
PEAKS_PER_SEGMENT = 16  # peaks examined: this many per segment allowed


def vote(qt: np.ndarray, rt: np.ndarray, w: np.ndarray, speeds: np.ndarray, bin_s: float
         ) -> tuple[np.ndarray, float]:
    """Accumulator float64[len(speeds), n_bins] of hits (qt, rt seconds, weights w) voting for
    offsets b = rt - a qt, and the offset of bin 0 (s); bin k stands for offset b0 + k bin_s.
    Bins sit on multiples of bin_s, so a line through reference samples fills one bin."""
    b = rt[None, :] - speeds[:, None] * qt[None, :]
    b0 = float(np.floor(b.min() / bin_s) * bin_s)
    n_bins = int((b.max() - b0) / bin_s) + 2
    pos = (b - b0) / bin_s
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    flat = lo + n_bins * np.arange(len(speeds))[:, None]
    weights = np.broadcast_to(w, b.shape)
    acc = np.bincount(flat.ravel(), (weights * (1 - frac)).ravel(), len(speeds) * n_bins)
    acc += np.bincount(flat.ravel() + 1, (weights * frac).ravel(), len(speeds) * n_bins + 1)[
        :len(speeds) * n_bins]
    return acc.reshape(len(speeds), n_bins), b0


def peaks(acc: np.ndarray, min_vote: float, limit: int) -> list[tuple[int, int]]:
    """(speed index, bin) of the accumulator's local maxima of at least min_vote, largest
    first, at most `limit`: a cell is kept when no cell within NMS_SPEEDS speeds and NMS_BINS
    bins is larger."""
    pad = np.pad(acc, ((NMS_SPEEDS, NMS_SPEEDS), (NMS_BINS, NMS_BINS)), constant_values=-np.inf)
    top = np.full(acc.shape, -np.inf)
    for i in range(2 * NMS_SPEEDS + 1):
        for j in range(2 * NMS_BINS + 1):
            top = np.maximum(top, pad[i:i + acc.shape[0], j:j + acc.shape[1]])
    k, b = np.nonzero((acc >= top) & (acc >= min_vote))
    order = np.argsort(-acc[k, b], kind="stable")[:limit]
    return list(zip(k[order].tolist(), b[order].tolist(), strict=True))


def _fit_near(qt: np.ndarray, rt: np.ndarray, s: np.ndarray, a: float, b: float,
              p: AlignParams) -> tuple[float, float] | None:
    """The line fitted (twice) to the hits within a sampling period and a half of (a, b), or None
    when they come from fewer than `min_hits` query frames."""
    tol = 1.5 * max(p.ref_period_s, p.query_period_s * p.max_speed)
    for _ in range(2):
        near = np.abs(rt - (a * qt + b)) <= tol
        if len(np.unique(qt[near])) < p.min_hits:
            return None
        a, b = fit_line(qt[near], rt[near], s[near], p)
        if not p.min_speed <= a <= p.max_speed:  # fit_line's 1 for hits at one query time
            a = float(np.clip(a, p.min_speed, p.max_speed))
            b = float(np.average(rt[near] - a * qt[near], weights=s[near]))
    return a, b


def _runs(q_times: np.ndarray, matched: np.ndarray, taken: np.ndarray, p: AlignParams
          ) -> list[np.ndarray]:
    """Matched query rows split into runs at dissimilar stretches of `split_gap_s` (at most
    `max_gap_s`) and at rows of earlier segments."""
    rows = np.flatnonzero(matched)
    if len(rows) == 0:
        return []
    gap = min(p.split_gap_s, p.max_gap_s)
    stretch = np.diff(q_times[rows]) - p.query_period_s  # unmatched time between matched rows
    crossed = np.cumsum(taken)[rows[1:]] - np.cumsum(taken)[rows[:-1]] > 0
    cuts = np.flatnonzero((stretch >= gap - 1e-9) | crossed) + 1
    return np.split(rows, cuts)


def _ends(sim: np.ndarray, lo: int, hi: int, floor: float) -> tuple[int, int]:
    """Rows [lo, hi] of a run moved along its line as refine.refine_ends does: ends below
    `floor` dropped, neighbours at or above it taken in, inside the rows of `sim` (similarity
    along the line of the free rows around the run, lo and hi indexing it)."""
    while lo < hi and sim[lo] < floor:
        lo += 1
    while hi > lo and sim[hi] < floor:
        hi -= 1
    while lo > 0 and sim[lo - 1] >= floor:
        lo -= 1
    while hi < len(sim) - 1 and sim[hi + 1] >= floor:
        hi += 1
    return lo, hi


def _run_segment(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, run: np.ndarray,
                 line: tuple[float, float], taken: np.ndarray, p: AlignParams,
                 query_duration: float, ref_duration: float) -> Segment | None:
    """A run of matched rows made a segment: line refined, ends moved, boundaries and score."""
    a, b = refine_line(q_times, r_times, S, run, *line, p.min_speed, p.max_speed)
    first, last = _free_rows(taken, int(run[0]), int(run[-1]))
    around = np.arange(first, last + 1)
    sim = near_similarity(r_times, S, around, a * q_times[around] + b)
    lo, hi = _ends(sim, int(run[0]) - first, int(run[-1]) - first, p.floor)
    matched = sim[lo:hi + 1] >= p.floor
    if matched.sum() < p.min_hits:
        return None
    score = float(np.mean(sim[lo:hi + 1][matched])) * float(matched.mean())
    lo, hi = lo + first, hi + first
    q0, q1 = query_bounds(float(q_times[lo]), float(q_times[hi]), p, query_duration)
    q0, q1, r0, r1 = line_bounds(q0, q1, a, b, ref_duration)
    if q1 <= q0:
        return None
    return Segment(q0, q1, r0, r1, score, int(matched.sum()), a)


def align_hough(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, p: AlignParams,
                query_duration: float, ref_duration: float) -> list[Segment]:
    """Every copied segment between a query and one reference, best score first.

    q_times float64[Tq], r_times float64[Tr] seconds; S float32[Tq, Tr] similarities. Each
    segment holds at least `min_hits` matched query frames and scores what they need (`keeps`);
    at most `max_segments`; a query row belongs to one segment at most. A reference of fewer
    than two frames gives no segment (no line can be placed on it).
    """
    if S.shape[0] == 0 or S.shape[1] < 2:
        return []
    qi, ri, s = similarity_hits(S, p.top, p.floor)
    if len(np.unique(qi)) < p.min_hits:
        return []
    qt, rt = q_times[qi], r_times[ri]
    speeds = speed_grid(p.min_speed, p.max_speed)
    acc, b0 = vote(qt, rt, s.astype(np.float64) - p.floor, speeds, p.ref_period_s)
    min_vote = max(0.5 * p.min_hits * (p.required(p.min_hits) - p.floor), 1e-6)
    taken = np.zeros(len(q_times), dtype=bool)
    out: list[Segment] = []
    for k, j in peaks(acc, min_vote, PEAKS_PER_SEGMENT * p.max_segments):
        free = ~taken[qi]
        line = _fit_near(qt[free], rt[free], s[free], float(speeds[k]),
                         b0 + j * p.ref_period_s, p)
        if line is None:
            continue
        a, b = line
        sim = near_similarity(r_times, S, np.arange(len(q_times)), a * q_times + b)
        for run in _runs(q_times, (sim >= p.floor) & ~taken, taken, p):
            if len(run) < p.min_hits or np.any(taken[run]) or len(out) >= p.max_segments:
                continue
            in_run = free & (qi >= run[0]) & (qi <= run[-1])
            fit = _fit_near(qt[in_run], rt[in_run], s[in_run], a, b, p) or (a, b)
            seg = _run_segment(q_times, r_times, S, run, fit, taken, p, query_duration,
                               ref_duration)
            if seg is not None and p.keeps(seg):
                out.append(seg)
                taken[(q_times >= seg.query_start) & (q_times <= seg.query_end)] = True
        if len(out) >= p.max_segments:
            break
    return settle(out, q_times, r_times, S, p, ref_duration, query_duration)
