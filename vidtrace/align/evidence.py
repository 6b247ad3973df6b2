"""Rules every stage-2 segment obeys, whichever method found it (docs/align.md, "Segments that
can be true"). Each method proposes segments; `settle` keeps those that can be true copies.

A copy is one line ref = a * query + b with a in [min_speed, max_speed] (QuerySettings, 0.5-2x
by default). For each proposed segment, with a = its reference span / its query span:

0. Speed from distinct evidence (speed.settle_speed): a line closer to 1x that matches at least
   as many query seconds and as many distinct reference seconds replaces the segment's own, so
   a still, which every line through it matches, is not given the slowest speed.

1. Speed: a must lie in the speed range. Ends sit on the line (base.line_bounds): query time
   whose line runs outside the reference is cut off, never squeezed onto its first instant.
2. Evidence along the line: the query rows inside the segment are matched when their
   similarity to the better of the two reference samples around the line is at least `floor`
   (refine.near_match). The ends move in to the first and last matched rows; at least
   `min_hits` rows must match.
3. Evidence on both sides: the matched rows' reference samples (the better of the two around
   the line, per row) must be `min_hits` distinct samples too, as a segment needs `min_hits`
   query frames. Rows that all match one or two reference frames (the end of a shot that
   the reference begins with, before a head-trimmed reference; a black frame) say nothing
   about a speed: at 1 reference frame/s any line from 0.5x to 2x through those frames fits
   them, and the aligners' clamped slope squeezes them onto the reference's first second.
4. Score: mean similarity of the matched rows times their share of the segment's rows, measured
   on the final span, so a scattered or stretched segment scores low whatever found it.
5. Overlap: on one reference a query row belongs to one segment at most. Segments are taken by
   support (summed similarity of their matched rows), and a later one keeps only its parts
   outside the earlier ones, each checked again by rules 1-4.
6. One line, one segment: two segments of one reference that lie on one line (each end of the
   weaker within half a sampling period, the coarser of query and reference, of the stronger's
   line, or the stronger's line matching as many of the weaker's rows, less one, as its own:
   over a still every line fits, so a short piece's own slope says little) with at most
   `max_gap_s` of query between them and no segment there as strong (score x hits) as either
   are one copy whose middle matched weakly (a caption, a dark or blurred stretch, perhaps
   taken by a stray line elsewhere): they are joined over it and the join checked again by
   rules 1-4 (its score counts the weak middle). The weaker's line may equally explain the
   stronger's rows (rule 0 can put a sped-up slideshow's longer piece at 1x); the join takes
   whichever line holds more evidence. A splice whose reference moves on by as much
   as the query's unrelated footage lasts is joined too: the similarity matrix cannot tell the
   two apart, and a copy broken by weak frames is the far commoner case (docs/align.md).
6b. A line goes on (after rule 6): a copy may hold a stretch its frames cannot show (a clear
   sky, a blank wall, a fade) and then match again for a frame or two before it ends, too few
   for a segment of their own. Beyond each end of a segment, along its own line, inside the
   reference and with no other segment of the reference in the way, a query row within
   `max_gap_s` that matches the line as well as a segment of a few frames must (similarity at
   least `short_threshold`, whatever the long threshold: a frame or two is a short segment's
   evidence) and is pinned to it (the reference sample it matches there is its most similar in
   the whole reference) moves the end out to it, repeatedly; the longer segment is checked
   again by rules 1-4 (its score counts the stretch between as unmatched) and kept when it
   still scores what its frames need and at least `short_threshold`: then any long threshold
   up to that keeps it wherever it kept the shorter one (the matcher aligns with no threshold
   and applies it last, so a segment made longer must not fall under it for being longer).
7. Two lines, two segments (vidtrace/align/split.py), after rule 6: a segment whose rows two
   lines that do not meet explain better (rows on both sides, and the whole by `split.GAIN`
   per row) is the two pieces: a re-cut that jumps back over slowly changing footage, which
   one compromise line between the pieces matches almost as well as their own lines do.
"""

from dataclasses import dataclass, replace

import numpy as np

from vidtrace.align.base import AlignParams, Segment, line_bounds, query_bounds
from vidtrace.align.refine import near_match
from vidtrace.align.speed import settle_speed
from vidtrace.align.split import two_lines

_EPS = 1e-6
_MUTUAL = True  # rule 6 also joins pieces the weaker's line explains (align_ab.py turns it off)
_SPLIT = True  # rule 7: a segment two lines explain better is two (align_ab.py turns it off)
_CONTINUE = True  # rule 6b: a line goes on over a stretch that shows nothing


@dataclass(frozen=True)
class Checked:
    """A segment that passed rules 1-4 and its support (summed similarity of matched rows)."""

    segment: Segment
    support: float


def check(seg: Segment, q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
          p: AlignParams, ref_duration: float) -> Checked | None:
    """`seg` with its ends on its line and its score measured (rules 1-4), or None when it
    breaks a rule. q_times float64[Tq], r_times float64[Tr] seconds; S float32[Tq, Tr]."""
    span = seg.query_end - seg.query_start
    if span <= _EPS or len(r_times) == 0:
        return None
    a = (seg.ref_end - seg.ref_start) / span
    if not p.min_speed - _EPS <= a <= p.max_speed + _EPS:
        return None
    b = seg.ref_start - a * seg.query_start
    q0, q1, _, _ = line_bounds(seg.query_start, seg.query_end, a, b, ref_duration)
    rows = np.flatnonzero((q_times >= q0 - _EPS) & (q_times <= q1 + _EPS))
    if len(rows) == 0:
        return None
    sim, sample = near_match(r_times, S, rows, a * q_times[rows] + b)
    matched = np.flatnonzero(sim >= p.floor)
    if len(matched) < p.min_hits:
        return None
    if len(np.unique(sample[matched])) < p.min_hits:
        return None
    half = p.query_period_s / 2
    first, last = matched[0], matched[-1]
    q0 = max(q0, float(q_times[rows[first]]) - half)
    q1 = min(q1, float(q_times[rows[last]]) + half)
    q0, q1, r0, r1 = line_bounds(q0, q1, a, b, ref_duration)
    inside = sim[first:last + 1]
    hits = inside[inside >= p.floor]
    score = float(np.mean(hits)) * len(hits) / len(inside)
    out = replace(seg, query_start=q0, query_end=q1, ref_start=r0, ref_end=r1, score=score,
                  n_hits=len(hits), speed=float(a))
    return Checked(out, float(np.sum(hits)))


def _two_lines(g: Segment, q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
               p: AlignParams, ref_duration: float) -> list[Segment]:
    """Rule 7 (vidtrace/align/split.py): `g`, or the pieces two lines explain better. After
    rule 6, so a join of two pieces that do not lie on one line is undone."""
    def checked(x: Segment) -> tuple[Segment, float] | None:
        c = check(x, q_times, r_times, S, p, ref_duration)
        return None if c is None else (c.segment, c.support)

    own = checked(g)
    pieces = None if own is None else two_lines(own[0], checked, own[1], q_times, r_times, S, p)
    return [g] if pieces is None else [x for x, _ in pieces]


def _pinned(rows: np.ndarray, x: np.ndarray, r_times: np.ndarray, S: np.ndarray,
            least: float) -> np.ndarray:
    """Of query `rows` (line at reference times `x`), those that match the line at `least`
    or more and whose most similar reference sample is the one they match there."""
    if len(rows) == 0:
        return rows
    sim, sample = near_match(r_times, S, rows, x)
    best = S[rows].max(axis=1)
    return rows[(sim >= least) & (S[rows, sample] >= best - _EPS)]


def _continued(seg: Segment, others: list[Segment], q_times: np.ndarray, r_times: np.ndarray,
               S: np.ndarray, p: AlignParams, ref_duration: float,
               query_duration: float) -> Segment:
    """Rule 6b: `seg` with each end moved out along its line to the farthest row pinned to
    it at the short threshold (`_pinned`) within `max_gap_s`, repeatedly, short of the
    `others` segments' query spans and inside the query (`query_duration`, unbounded when <= 0);
    `seg` itself when there is none, or the longer one fails rules 1-4 or the threshold or
    scores under `short_threshold` (or the floor)."""
    a = seg.speed
    b = seg.ref_start - a * seg.query_start
    lo = max([g.query_end for g in others if g.query_end <= seg.query_start + _EPS],
             default=-np.inf)
    hi = min([g.query_start for g in others if g.query_start >= seg.query_end - _EPS],
             default=np.inf)
    q0, q1 = seg.query_start, seg.query_end
    least = max(p.floor, p.short_threshold)
    while True:
        after = np.flatnonzero((q_times > q1 + _EPS) & (q_times <= min(q1 + p.max_gap_s, hi)))
        before = np.flatnonzero((q_times < q0 - _EPS) & (q_times >= max(q0 - p.max_gap_s, lo)))
        later = _pinned(after, a * q_times[after] + b, r_times, S, least)
        earlier = _pinned(before, a * q_times[before] + b, r_times, S, least)
        if len(later) == 0 and len(earlier) == 0:
            break
        first = q_times[earlier[0]] if len(earlier) else q0 + p.query_period_s / 2
        last = q_times[later[-1]] if len(later) else q1 - p.query_period_s / 2
        q0, q1 = query_bounds(float(first), float(last), p, query_duration)
        q0, q1 = max(q0, lo), min(q1, hi)
    if (q0, q1) == (seg.query_start, seg.query_end):
        return seg
    longer = replace(seg, query_start=q0, query_end=q1, ref_start=a * q0 + b,
                     ref_end=a * q1 + b)
    c = check(longer, q_times, r_times, S, p, ref_duration)
    if c is not None and c.segment.score >= least and p.keeps(c.segment):
        return c.segment
    return seg


def _outside(seg: Segment, other: Segment) -> list[Segment]:
    """The parts of seg's query span outside other's, on seg's line (seg itself when they do
    not overlap)."""
    if seg.query_end <= other.query_start + _EPS or seg.query_start >= other.query_end - _EPS:
        return [seg]
    a = seg.speed

    def part(q0: float, q1: float) -> Segment:
        r0 = seg.ref_start + a * (q0 - seg.query_start)
        return replace(seg, query_start=q0, query_end=q1, ref_start=r0,
                       ref_end=r0 + a * (q1 - q0))

    parts = []
    if other.query_start > seg.query_start + _EPS:
        parts.append(part(seg.query_start, other.query_start))
    if other.query_end < seg.query_end - _EPS:
        parts.append(part(other.query_end, seg.query_end))
    return parts


def settle(segments: list[Segment], q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray,
           p: AlignParams, ref_duration: float, query_duration: float = 0.0) -> list[Segment]:
    """The segments of one (query, reference) pair that can be true (the module's rules), at
    most `max_segments`, each scoring what its matched frames need (`AlignParams.keeps`), best
    score first (the segments' query ends are already inside the query; `query_duration`
    bounds the ends rule 6b moves, none when <= 0)."""
    proposed = [c for g in segments
                if (c := check(settle_speed(g, q_times, r_times, S, p), q_times, r_times, S, p,
                               ref_duration))]
    kept: list[Segment] = []
    for c in sorted(proposed, key=lambda c: -c.support):
        parts = [c.segment]
        for other in kept:
            parts = [piece for g in parts for piece in _outside(g, other)]
        if parts != [c.segment]:
            parts = [x.segment for g in parts
                     if (x := check(g, q_times, r_times, S, p, ref_duration))]
        kept += parts
    kept = _join_collinear(kept, q_times, r_times, S, p, ref_duration)
    if _CONTINUE:
        for i, g in enumerate(kept):  # each against the others as already moved
            kept[i] = _continued(g, kept[:i] + kept[i + 1:], q_times, r_times, S, p,
                                 ref_duration, query_duration)
    if _SPLIT:
        kept = [x for g in kept for x in _two_lines(g, q_times, r_times, S, p, ref_duration)]
    good = [g for g in kept if p.keeps(g)]
    return sorted(good, key=lambda g: -g.score)[:p.max_segments]


def _on_line(seg: Segment, line: Segment, tolerance: float) -> bool:
    """Both ends of `seg` within `tolerance` seconds of reference time of `line`'s line."""
    a = line.speed
    return all(abs(r - (line.ref_start + a * (q - line.query_start))) <= tolerance + _EPS
               for q, r in ((seg.query_start, seg.ref_start), (seg.query_end, seg.ref_end)))


def _weight(g: Segment) -> float:
    """How much evidence a segment holds, to rank segments by: score x matched rows."""
    return g.score * g.n_hits


def _moved_onto(seg: Segment, line: Segment) -> Segment:
    """`seg`'s query span on `line`'s line (its reference ends read off that line)."""
    r0 = line.ref_start + line.speed * (seg.query_start - line.query_start)
    return replace(seg, ref_start=r0, ref_end=r0 + line.speed * (seg.query_end - seg.query_start),
                   speed=line.speed)


def _explained(weak: Segment, strong: Segment, q_times: np.ndarray, r_times: np.ndarray,
               S: np.ndarray, p: AlignParams, ref_duration: float) -> bool:
    """Whether `strong`'s line, extended over `weak`'s query span, matches `weak`'s rows as
    well as `weak`'s own line does (as many matched rows, less one for sampling). Over a
    still or a slowly changing stretch every line through it matches, so a short segment's own
    slope and ends say little: the longer line decides."""
    c = check(_moved_onto(weak, strong), q_times, r_times, S, p, ref_duration)
    return c is not None and c.segment.n_hits >= weak.n_hits - 1


def _join_collinear(segments: list[Segment], q_times: np.ndarray, r_times: np.ndarray,
                    S: np.ndarray, p: AlignParams, ref_duration: float) -> list[Segment]:
    """Rule 6: neighbours in query time on one line, at most `max_gap_s` apart (with only
    weaker segments between them, `_pairs`), joined (and checked again) until no pair joins.
    The weaker is on the stronger's line when its ends are, or when that line matches its rows
    as well as its own (`_explained`); the stronger is on the weaker's line when that line
    matches the stronger's rows as well as its own (`_MUTUAL`). The join runs from the first's
    start to the second's end or along a line that explained the pair, whichever holds more
    evidence (`_best_join`)."""
    tolerance = max(p.query_period_s, p.ref_period_s) / 2
    segs = sorted(segments, key=lambda g: g.query_start)
    joined = True
    while joined:
        joined = False
        for i, j in _pairs(segs, p):
            x, y = segs[i], segs[j]
            strong, weak = (x, y) if _weight(x) >= _weight(y) else (y, x)
            union = replace(x, query_end=y.query_end, ref_end=y.ref_end)
            lines = []
            if (_on_line(weak, strong, tolerance)
                    or _explained(weak, strong, q_times, r_times, S, p, ref_duration)):
                lines.append(_moved_onto(union, strong))
            if _MUTUAL and _explained(strong, weak, q_times, r_times, S, p, ref_duration):
                lines.append(_moved_onto(union, weak))
            if not lines:
                continue
            # a join must not lose a segment that stood on its own
            held = [c for line in (union, *lines)
                    if (c := check(line, q_times, r_times, S, p, ref_duration)) is not None
                    and (p.keeps(c.segment) or not (p.keeps(x) or p.keeps(y)))]
            if not held:
                continue
            c = _best_join(held)
            segs[i:j + 1] = [c.segment]
            joined = True
            break
    return segs


def _best_join(held: list[Checked]) -> Checked:
    """Of the lines a join may take (first start to second end, then the line of the piece
    that explained the other), the one that holds the most evidence (support), the first on a
    tie: where one piece was only explained by the other's line, its own far end says little
    (a crop of a zooming shot matches the shot's later frames better than the copied ones)."""
    return max(held, key=lambda c: c.support)


def _pairs(segs: list[Segment], p: AlignParams) -> list[tuple[int, int]]:
    """Index pairs (i, j), i < j, of segments sorted by query start that rule 6 may join: at
    most `max_gap_s` of query between them, and every segment between them weaker (score x
    hits) than both (a weak middle is often taken by a stray line elsewhere in the reference;
    the join covers it, and it is dropped)."""
    out = []
    for i, x in enumerate(segs[:-1]):
        between = -np.inf  # the strongest segment between x and segs[j]
        for j in range(i + 1, len(segs)):
            y = segs[j]
            gap = y.query_start - x.query_end
            if -_EPS <= gap <= p.max_gap_s + _EPS and min(_weight(x), _weight(y)) > between:
                out.append((i, j))
            between = max(between, _weight(y))
            if between >= _weight(x):
                break
    return out


def resolve_overlaps(segments: list[Segment], min_span_s: float) -> list[Segment]:
    """Segments of one reference made disjoint in query time without a similarity matrix (after
    a refinement that may have moved their ends): by score times hits, a later one keeps its
    parts outside the earlier ones that last at least `min_span_s`; best score first."""
    kept: list[Segment] = []
    for seg in sorted(segments, key=lambda g: -_weight(g)):
        parts = [seg]
        for other in kept:
            parts = [piece for g in parts for piece in _outside(g, other)]
        kept += [g for g in parts if g.query_end - g.query_start >= min_span_s - _EPS]
    return sorted(kept, key=lambda g: -g.score)
