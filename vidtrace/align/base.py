"""Records and boundary rules shared by the stage-2 methods (align): their parameters, the
segment they output, and how a segment's ends are placed on its line."""

from dataclasses import dataclass

import numpy as np

from vidtrace.settings import DEFAULT_QUERY, QuerySettings, short_frames
from vidtrace.types import Threshold


@dataclass(frozen=True)
class AlignParams:
    """Alignment settings; defaults come from vidtrace.settings.QuerySettings (its docstring).

    query_period_s / ref_period_s: the sampling periods of query and reference frames; top: how
    many reference frames per query frame become hits; max_segments: per reference;
    threshold / short_threshold: the score a long segment / one of few matched frames needs
    (`keeps`, `QuerySettings.threshold`)."""

    query_period_s: float
    ref_period_s: float
    top: int = 5
    floor: float = DEFAULT_QUERY.hit_floor
    max_gap_s: float = DEFAULT_QUERY.max_gap_s
    min_speed: float = DEFAULT_QUERY.min_speed
    max_speed: float = DEFAULT_QUERY.max_speed
    min_hits: int = DEFAULT_QUERY.min_hits
    threshold: float = DEFAULT_QUERY.match_threshold
    short_threshold: float = DEFAULT_QUERY.short_threshold
    max_segments: int = 8
    split_gap_s: float = 1.5

    def required(self, n_hits: int) -> float:
        """The score a segment of `n_hits` matched query frames needs (`types.Threshold`)."""
        return Threshold(self.threshold, self.short_threshold,
                         short_frames(self.min_hits)).required(n_hits)

    def keeps(self, seg: "Segment") -> bool:
        """Whether `seg` scores what its matched frames need."""
        return seg.score >= self.required(seg.n_hits)

    @classmethod
    def from_settings(cls, s: QuerySettings, index_fps: float) -> "AlignParams":
        """The parameters of query settings `s` against references sampled at `index_fps`."""
        return cls(query_period_s=1.0 / s.query_fps, ref_period_s=1.0 / index_fps,
                   floor=s.hit_floor, max_gap_s=s.max_gap_s, min_speed=s.min_speed,
                   max_speed=s.max_speed, min_hits=s.min_hits, threshold=s.match_threshold,
                   short_threshold=s.short_threshold)


@dataclass(frozen=True)
class Segment:
    """A copied segment in seconds, its score, and how many hits its chain holds."""

    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    score: float
    n_hits: int
    speed: float


def query_bounds(q_first: float, q_last: float, p: AlignParams, query_duration: float
                 ) -> tuple[float, float]:
    """Query start and end of a segment whose first and last matched samples are at q_first
    and q_last: a sample at time t stands for the content around it, so half a query period is
    added either side, within [0, query_duration] (no upper bound when it is unknown, <= 0)."""
    half = p.query_period_s / 2
    q1 = q_last + half
    return max(0.0, q_first - half), min(query_duration, q1) if query_duration > 0 else q1


def line_bounds(q_start: float, q_end: float, a: float, b: float, ref_duration: float
                ) -> tuple[float, float, float, float]:
    """(query start, query end, reference start, reference end) of the query span [q_start,
    q_end] on the line ref = a * query + b (a > 0), the query span cut where the line leaves
    the reference [0, ref_duration] (no upper bound when it is unknown, <= 0).

    Both ends stay on the line, so a segment's reference span is always `a` times its query
    span: query time whose line runs before the reference's start (or past its end) copies
    nothing of it. Clipping the reference alone would squeeze that query time onto the
    reference's first (last) instant at a speed outside the allowed range. An empty span comes
    back with end <= start."""
    r_max = ref_duration if ref_duration > 0 else np.inf
    q0 = max(q_start, -b / a)
    q1 = min(q_end, (r_max - b) / a)
    r0 = float(np.clip(a * q0 + b, 0.0, r_max))
    r1 = float(np.clip(a * q1 + b, r0, r_max))
    return float(q0), float(q1), r0, r1


def fit_line(q: np.ndarray, r: np.ndarray, w: np.ndarray, p: AlignParams) -> tuple[float, float]:
    """Weighted least-squares r = a q + b, slope clamped to the speed bounds (1 if degenerate)."""
    if len(q) < 2 or np.ptp(q) < 1e-6:
        a = 1.0
    else:
        qm, rm = np.average(q, weights=w), np.average(r, weights=w)
        var = np.average((q - qm) ** 2, weights=w)
        a = float(np.average((q - qm) * (r - rm), weights=w) / var)
        a = float(np.clip(a, p.min_speed, p.max_speed))
    b = float(np.average(r - a * q, weights=w))
    return a, b
