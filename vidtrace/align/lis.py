"""Copied segments between one query and one reference by a weighted longest-increasing-
subsequence DP over frame hits (seed 001), with speed ratios other than 1 (seed 002).

Hits are (query time, reference time, similarity) triples: for every query frame, its `top`
most similar reference frames at or above `floor`. A chain is a sequence of hits increasing in
query time, never going back in reference time, with each step's reference advance between
`min_speed` and `max_speed` times its query advance (plus one reference sampling period of
slack) and no query gap longer than `max_gap_s`. The DP finds the chain of largest summed
similarity; hits far from any dense chain (outliers) never join one. A line fitted through the
chain gives the speed ratio and maps query boundaries to reference boundaries.

The segments found pass evidence.settle, as every method's do: speed in range, ends on the
line inside the reference, min_hits matched frames of each video, no overlap, and a score
measured along the line (matched rows' mean similarity times their share); docs/align.md.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from vidtrace.align.base import AlignParams, Segment, fit_line, line_bounds, query_bounds
from vidtrace.align.evidence import settle
from vidtrace.align.refine import line_similarity, refine_ends, refine_line


def similarity_hits(S: np.ndarray, top: int, floor: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From similarities float32[Tq, Tr], each query row's best `top` entries >= floor:
    (query index, reference index, similarity), sorted by query then reference index."""
    if S.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    top = min(top, S.shape[1])
    cols = np.argpartition(-S, top - 1, axis=1)[:, :top]
    rows = np.repeat(np.arange(S.shape[0]), top)
    cols = cols.ravel()
    sims = S[rows, cols]
    keep = sims >= floor
    rows, cols, sims = rows[keep], cols[keep], sims[keep]
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], sims[order].astype(np.float32)


def best_chain(qt: np.ndarray, rt: np.ndarray, w: np.ndarray, p: AlignParams) -> np.ndarray:
    """Indices of the heaviest valid chain among hits sorted by query time (weighted LIS DP).

    qt, rt: float64[n] seconds; w: float[n] weights. Each hit considers as predecessor every
    earlier hit within `max_gap_s` of query time whose reference step fits the speed bounds.
    """
    n = len(qt)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    best = w.astype(np.float64).copy()
    prev = np.full(n, -1, dtype=np.int64)
    first = np.arange(n)  # each hit's chain's first hit
    lo = np.searchsorted(qt, qt - p.max_gap_s - 1e-9, side="left")
    for b in range(n):
        a = np.arange(lo[b], b)
        if len(a) == 0:
            continue
        ok = _in_range(qt[b] - qt[a], rt[b] - rt[a], p)
        # the sampling slack is for one step: from the chain's first hit too, or a chain could
        # stay on one reference frame for ever, one slack at a time
        ok &= _in_range(qt[b] - qt[first[a]], rt[b] - rt[first[a]], p, strict=False)
        if not np.any(ok):
            continue
        cand = a[ok]
        j = cand[np.argmax(best[cand])]
        if best[j] > 0:
            best[b] = best[j] + w[b]
            prev[b] = j
            first[b] = first[j]
    chain = [int(np.argmax(best))]
    while prev[chain[-1]] >= 0:
        chain.append(int(prev[chain[-1]]))
    return np.asarray(chain[::-1], dtype=np.int64)


def _in_range(dq: np.ndarray, dr: np.ndarray, p: AlignParams, strict: bool = True
              ) -> np.ndarray:
    """Whether reference advances dr over query advances dq fit the speed bounds, give or
    take one reference sampling period (each end placed to the nearest sample); strict: dq > 0
    and dr >= 0 as well."""
    ok = (dr >= p.min_speed * dq - p.ref_period_s) & (dr <= p.max_speed * dq + p.ref_period_s)
    return ok & (dq > 1e-9) & (dr >= 0) if strict else ok


def _robust_line(q: np.ndarray, r: np.ndarray, p: AlignParams) -> tuple[float, float]:
    """Theil-Sen style line: median slope between hits half a chain apart, median intercept.
    Insensitive to the few outliers a chain can pick up at its ends."""
    half = len(q) // 2
    dq = q[half:2 * half] - q[:half]
    ok = dq > 1e-6
    a = float(np.median((r[half:2 * half] - r[:half])[ok] / dq[ok])) if np.any(ok) else 1.0
    a = float(np.clip(a, p.min_speed, p.max_speed))
    return a, float(np.median(r - a * q))


def inliers(q: np.ndarray, r: np.ndarray, p: AlignParams) -> np.ndarray:
    """Mask of chain hits within a sampling period and a half of the chain's robust line: the
    temporal-proximity filter that drops outliers a chain picked up at its ends."""
    a, b = _robust_line(q, r, p)
    tol = 1.5 * max(p.ref_period_s, p.query_period_s * p.max_speed)
    return np.abs(r - (a * q + b)) <= tol


def trim_sparse_ends(q: np.ndarray, p: AlignParams) -> slice:
    """The part of a chain (query times q, increasing) left after dropping, at either end, runs
    of fewer than `min_hits` hits cut off from the rest by a gap of more than 2 s (or four query
    periods): isolated hits that happen to lie near the chain's line."""
    gap = max(2.0, 4 * p.query_period_s)
    breaks = np.flatnonzero(np.diff(q) > gap) + 1
    lo, hi = 0, len(q)
    for b in breaks.tolist():  # leading runs
        if len(np.unique(q[lo:b])) >= p.min_hits:
            break
        lo = b
    for b in breaks[::-1].tolist():  # trailing runs
        if b <= lo or len(np.unique(q[b:hi])) >= p.min_hits:
            break
        hi = b
    return slice(lo, hi)


@dataclass(frozen=True)
class ChainLine:
    """A chain's refined line ref = a * query + b and its query rows [lo, hi] (inclusive)."""

    a: float
    b: float
    lo: int
    hi: int


def chain_line(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, chain_q: np.ndarray,
               chain_r: np.ndarray, chain_s: np.ndarray, p: AlignParams) -> ChainLine:
    """The chain's least-squares line, refined on the dense matrix over the rows it spans."""
    a, b = fit_line(chain_q, chain_r, chain_s, p)
    lo = int(np.searchsorted(q_times, chain_q[0] - 1e-9))
    hi = int(np.searchsorted(q_times, chain_q[-1] + 1e-9)) - 1
    a, b = refine_line(q_times, r_times, S, np.arange(lo, hi + 1), a, b, p.min_speed,
                       p.max_speed)
    return ChainLine(a, b, lo, hi)


def split_at_gaps(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, chain_q: np.ndarray,
                  line: ChainLine, p: AlignParams) -> list[slice]:
    """Pieces of a chain separated by a splice: a run of at least `split_gap_s` of query time
    whose frames are not similar (below `floor`) along the chain's refined line. A chain may
    bridge a short piece of unrelated footage when the reference moved on about as far; the
    dense matrix shows the gap that the chain's sparse hits hide."""
    a, b = line.a, line.b
    rows = np.arange(line.lo, line.hi + 1)
    low = line_similarity(r_times, S, rows, q_times[rows], a * q_times[rows] + b) < p.floor
    cuts: list[float] = []  # query times inside each long low run
    start = None
    for k in range(len(rows) + 1):
        if k < len(rows) and low[k]:
            start = k if start is None else start
        elif start is not None:
            if (k - start) * p.query_period_s >= p.split_gap_s:
                cuts.append(float(q_times[rows[start]]))
            start = None
    if not cuts:
        return [slice(0, len(chain_q))]
    edges = [0, *np.searchsorted(chain_q, cuts).tolist(), len(chain_q)]
    return [slice(x, y) for x, y in itertools.pairwise(edges) if y - x >= p.min_hits]


def _segment(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, chain_q: np.ndarray,
             chain_s: np.ndarray, line: ChainLine, p: AlignParams, query_duration: float,
             ref_duration: float, free: tuple[int, int]) -> Segment:
    """A segment from a cleaned chain and its refined line: its ends moved along the line
    (inside query rows `free`), its boundaries and score."""
    a, b = line.a, line.b
    lo, hi = refine_ends(q_times, r_times, S, line.lo, line.hi, a, b, p.floor, free)
    q0, q1 = query_bounds(float(q_times[lo]), float(q_times[hi]), p, query_duration)
    q0, q1, r0, r1 = line_bounds(q0, q1, a, b, ref_duration)
    in_span = _span(chain_q, float(q_times[lo]), float(q_times[hi]))
    n_frames = len(np.unique(chain_q[in_span]))
    density = min(1.0, n_frames / (hi - lo + 1))
    score = float(np.mean(chain_s[in_span])) * density if n_frames else 0.0
    return Segment(q0, q1, r0, r1, score, n_frames, a)


def align_pair(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, p: AlignParams,
               query_duration: float, ref_duration: float) -> list[Segment]:
    """Every copied segment between a query and one reference, best score first.

    q_times float64[Tq], r_times float64[Tr] seconds; S float32[Tq, Tr] similarities.
    Repeatedly takes the heaviest chain, keeps it as a segment when it has `min_hits` query
    frames and the score they need (`AlignParams.keeps`), and removes all hits inside its
    query span.
    """
    qi, ri, s = similarity_hits(S, p.top, p.floor)
    qt, rt = q_times[qi], r_times[ri]
    alive = np.ones(len(s), dtype=bool)
    taken = np.zeros(len(q_times), dtype=bool)  # query rows inside a segment already found
    out: list[Segment] = []
    for _ in range(4 * p.max_segments):
        idx = np.flatnonzero(alive)
        if len(idx) < p.min_hits or len(out) >= p.max_segments:
            break
        chain = idx[best_chain(qt[idx], rt[idx], s[idx], p)]
        span = _span(qt, qt[chain[0]], qt[chain[-1]])
        if len(chain) >= 3:
            chain = chain[inliers(qt[chain], rt[chain], p)]
        chain = chain[trim_sparse_ends(qt[chain], p)]
        if len(chain) < p.min_hits:
            alive &= ~span
            continue
        line = chain_line(q_times, r_times, S, qt[chain], rt[chain], s[chain], p)
        pieces = split_at_gaps(q_times, r_times, S, qt[chain], line, p)
        if not pieces:
            alive &= ~span
            continue
        if pieces != [slice(0, len(chain))]:  # a splice: the heaviest piece now, the others
            chain = chain[max(pieces, key=lambda k: float(s[chain][k].sum()))]  # stay in play
            span = _span(qt, qt[chain[0]], qt[chain[-1]])
            line = chain_line(q_times, r_times, S, qt[chain], rt[chain], s[chain], p)
        free = _free_rows(taken, int(qi[chain[0]]), int(qi[chain[-1]]))
        seg = _segment(q_times, r_times, S, qt[chain], s[chain], line, p, query_duration,
                       ref_duration, free)
        seg_rows = _span(q_times, seg.query_start, seg.query_end)
        span |= _span(qt, seg.query_start, seg.query_end)
        alive &= ~span
        if seg.n_hits >= p.min_hits and p.keeps(seg):
            out.append(seg)
            taken |= seg_rows
    return settle(out, q_times, r_times, S, p, ref_duration, query_duration)


def _span(times: np.ndarray, start: float, end: float) -> np.ndarray:
    """Mask of `times` inside [start, end], with a nanosecond of slack for rounding."""
    return (times >= start - 1e-9) & (times <= end + 1e-9)


def _free_rows(taken: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """The widest row range around [lo, hi] that holds no row of an earlier segment."""
    before = np.flatnonzero(taken[:lo])
    after = np.flatnonzero(taken[hi + 1:])
    first = int(before[-1]) + 1 if len(before) else 0
    last = hi + int(after[0]) if len(after) else len(taken) - 1
    return first, last
