"""Copied segments between one query and one reference by linear interpolation between matched
key frames with an estimated speed ratio (seed 002's method): a simple, fast stage-2 baseline.

Every query frame keeps only its best reference frame, if at least `floor` similar (a matched
key frame). Walking the query in time order, each matched pair joins the open run it is
consistent with (the longest one): its step from the run's last pair fits the speed bounds
(plus one reference sampling period of slack) and, once the run spans a few seconds, it lies
near the run's robust line. A pair consistent with no run opens a new one, so a frame that
matches elsewhere (an isolated mismatch) neither breaks nor bends the run it falls in, and
several copies, from any part of the reference, are followed at once. A run closes after
`max_gap_s` of query without a consistent pair.

A closed run keeps the pairs near its robust line, minus sparse ends (lis.inliers,
lis.trim_sparse_ends). Its speed ratio is the median of the slopes between pairs at least half
the run apart (Theil-Sen), clamped to the speed bounds. Its query boundaries are its first and
last matched key frames, extended half a query period as in lis; its reference boundaries are
interpolated through the matched key frames at the estimated speed, ref = r_k + speed * (q -
q_k), anchored on the first (last) few pairs (their median), so one badly placed key frame does
not move a boundary; the segment's line joins the two anchored ends. There is no refinement on
the dense matrix. A segment more than half inside a better one (in query time) is dropped.

The segments then pass evidence.settle, as every method's do (speed in range, ends on the line
inside the reference, a line pinned by its own hits, no overlap, the score measured along the
line: mean similarity of the matched rows times their share). Compared with lis, nothing
looks past each frame's single best match: in still shots the best matches jitter along the
still and boundaries follow them.
"""

from dataclasses import dataclass, field

import numpy as np

from vidtrace.align.base import AlignParams, Segment, line_bounds, query_bounds
from vidtrace.align.evidence import settle
from vidtrace.align.lis import inliers, similarity_hits, trim_sparse_ends

ANCHORS = 5  # matched key frames at each end whose median places a reference boundary
MAX_FIT_POINTS = 300  # pairs kept (evenly) for the O(n^2) median of slopes
SPEED_SLACK = 0.1  # speed uncertainty of a short run's line, seconds per second of extrapolation


@dataclass
class _Run:
    """An open run: its pairs (query s, reference s, similarity) and its current robust line."""

    q: list[float] = field(default_factory=list)
    r: list[float] = field(default_factory=list)
    s: list[float] = field(default_factory=list)
    line: tuple[float, float] | None = None
    next_fit: int = 0  # refit the line when the run holds this many pairs

    def add(self, q: float, r: float, s: float, p: AlignParams) -> None:
        self.q.append(q)
        self.r.append(r)
        self.s.append(s)
        n = len(self.q)
        if n >= max(p.min_hits, self.next_fit) and self.q[-1] - self.q[0] >= 2.0:
            self.line = _theil_sen(np.asarray(self.q), np.asarray(self.r), p)
            self.next_fit = n + 1 + n // 8  # a long run's line barely moves: refit now and then

    def fits(self, q: float, r: float, p: AlignParams) -> bool:
        """Whether pair (q, r) continues this run (see the module docstring)."""
        dq, dr = q - self.q[-1], r - self.r[-1]
        if dq <= 1e-9 or dq > p.max_gap_s + 1e-9:
            return False
        if not (p.min_speed * dq - p.ref_period_s <= dr <= p.max_speed * dq + p.ref_period_s):
            return False
        dq0, dr0 = q - self.q[0], r - self.r[0]  # from the first pair too (lis.best_chain)
        if not (p.min_speed * dq0 - p.ref_period_s <= dr0 <= p.max_speed * dq0 + p.ref_period_s):
            return False
        if self.line is None:
            return True
        a, b = self.line
        return abs(r - (a * q + b)) <= _tolerance(p) + SPEED_SLACK * dq


def _tolerance(p: AlignParams) -> float:
    """How far (reference s) a pair may lie off its run's line: a sampling period and a half."""
    return 1.5 * max(p.ref_period_s, p.query_period_s * p.max_speed)


def _theil_sen(q: np.ndarray, r: np.ndarray, p: AlignParams) -> tuple[float, float]:
    """Line r = a q + b: a the median slope between pairs at least half the run apart (clamped
    to the speed bounds; 1, clamped, if none), b the median offset."""
    if len(q) > MAX_FIT_POINTS:
        keep = np.linspace(0, len(q) - 1, MAX_FIT_POINTS).round().astype(np.int64)
        q, r = q[keep], r[keep]
    dq = q[None, :] - q[:, None]
    far = dq >= max(np.ptp(q) / 2, 1e-6) - 1e-9
    a = float(np.median((r[None, :] - r[:, None])[far] / dq[far])) if np.any(far) else 1.0
    a = float(np.clip(a, p.min_speed, p.max_speed))
    return a, float(np.median(r - a * q))


def _runs(qt: np.ndarray, rt: np.ndarray, s: np.ndarray, p: AlignParams) -> list[_Run]:
    """Matched pairs (sorted by query time, one per query frame) grouped into runs."""
    open_runs: list[_Run] = []
    closed: list[_Run] = []
    for q, r, w in zip(qt.tolist(), rt.tolist(), s.tolist(), strict=True):
        still = [run for run in open_runs if q - run.q[-1] <= p.max_gap_s + 1e-9]
        closed += [run for run in open_runs if q - run.q[-1] > p.max_gap_s + 1e-9]
        open_runs = still
        fitting = [run for run in open_runs if run.fits(q, r, p)]
        if fitting:
            max(fitting, key=lambda run: len(run.q)).add(q, r, w, p)
        else:
            run = _Run()
            run.add(q, r, w, p)
            open_runs.append(run)
    return closed + open_runs


def _anchored(q: np.ndarray, r: np.ndarray, a: float, at: float) -> float:
    """Reference time of query time `at`, extrapolated at speed a from each matched key frame
    (q, r) and the median taken."""
    return float(np.median(r + a * (at - q)))


def _run_segment(run: _Run, q_times: np.ndarray, p: AlignParams, query_duration: float,
                 ref_duration: float) -> Segment | None:
    """The segment of a closed run, or None when too few of its pairs lie on one line."""
    q, r, s = np.asarray(run.q), np.asarray(run.r), np.asarray(run.s)
    if len(q) < p.min_hits:
        return None
    keep = inliers(q, r, p)
    q, r, s = q[keep], r[keep], s[keep]
    part = trim_sparse_ends(q, p)
    q, r, s = q[part], r[part], s[part]
    if len(q) < p.min_hits:
        return None
    a, _ = _theil_sen(q, r, p)
    q0, q1 = query_bounds(float(q[0]), float(q[-1]), p, query_duration)
    r0 = _anchored(q[:ANCHORS], r[:ANCHORS], a, q0)
    a = (_anchored(q[-ANCHORS:], r[-ANCHORS:], a, q1) - r0) / max(q1 - q0, 1e-9)
    if a <= 0:
        return None
    q0, q1, r0, r1 = line_bounds(q0, q1, a, r0 - a * q0, ref_duration)
    lo = int(np.searchsorted(q_times, q[0] - 1e-9))
    hi = int(np.searchsorted(q_times, q[-1] + 1e-9))
    density = min(1.0, len(q) / max(hi - lo, 1))
    return Segment(q0, q1, r0, r1, float(np.mean(s)) * density, len(q), a)


def align_interp(q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray, p: AlignParams,
                 query_duration: float, ref_duration: float) -> list[Segment]:
    """Every copied segment between a query and one reference, best score first.

    q_times float64[Tq], r_times float64[Tr] seconds; S float32[Tq, Tr] similarities. Each
    segment holds at least `min_hits` matched query frames and scores what they need (`keeps`);
    at most `max_segments` are returned.
    """
    if S.shape[0] == 0 or S.shape[1] == 0:
        return []
    qi, ri, s = similarity_hits(S, 1, p.floor)
    segments = []
    for run in _runs(q_times[qi], r_times[ri], s, p):
        seg = _run_segment(run, q_times, p, query_duration, ref_duration)
        if seg is not None and seg.n_hits >= p.min_hits and p.keeps(seg):
            segments.append(seg)
    kept: list[Segment] = []
    for seg in sorted(segments, key=lambda g: -g.score):
        if len(kept) < p.max_segments and not any(_overlaps(seg, g) for g in kept):
            kept.append(seg)
    return settle(kept, q_times, r_times, S, p, ref_duration, query_duration)


def _overlaps(seg: Segment, better: Segment) -> bool:
    """Whether more than half of seg's query span lies inside a better segment's: runs
    interleaved in query time (as the jittering matches of a still shot make) are one copy."""
    inside = min(seg.query_end, better.query_end) - max(seg.query_start, better.query_start)
    return inside > 0.5 * (seg.query_end - seg.query_start)
