"""Matching with its evidence kept (DESIGN.md, match -> report): the segments `Library.match`
finds, and the hits, candidates and similarities they were found from.

`match_evidence` runs `Library.trace` (match/matcher.py: the k-NN hits of every view, the
candidates stage 1 ranked, every segment stage 2 placed on them before the threshold, the
soundtrack's segments, and which of them each fused match stands on) and reads each candidate's
frames from the store, all inside one read snapshot, so every number on the page comes from one
committed state of the library. Its segments are `Library.match`'s, picture and sound fused,
with their evidence (tests/report/test_build.py checks this under several strategies;
tests/test_sound.py for a copy found by its sound alone).
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from vidtrace.library.store import ReadStore
from vidtrace.match import Fused, Trace
from vidtrace.report.data import (
    CandidateScore,
    FramePair,
    Hits,
    NearestReference,
    SegmentEvidence,
)
from vidtrace.settings import QuerySettings
from vidtrace.types import FrameHits
from vidtrace.video.described import QueryViews

if TYPE_CHECKING:
    from vidtrace.api import Library

PAIRS_MIN = 5  # frame pairs shown along a segment ...
PAIRS_MAX = 12  # ... one more per PAIR_SPACING_S of query, up to this many
PAIR_SPACING_S = 10.0
NEAREST = 5  # references listed as the closest, frame by frame


class Span(Protocol):
    """A segment's boundaries in seconds (an align `Segment`, a `SegmentEvidence`)."""

    @property
    def query_start(self) -> float: ...
    @property
    def query_end(self) -> float: ...
    @property
    def ref_start(self) -> float: ...
    @property
    def ref_end(self) -> float: ...


@dataclass(frozen=True)
class QueryEvidence:
    """What `match_evidence` found: accepted `segments` (best first; frame pairs without
    images), the `hits` on the aligned references, the `candidates` stage 1 ranked, and
    `other_hits`, the count of hits on references that were not aligned; `nearest`, the
    NEAREST references with the most similar frames (below the hit floor too)."""

    segments: tuple[SegmentEvidence, ...]
    hits: Hits
    candidates: tuple[CandidateScore, ...]
    other_hits: int
    nearest: tuple[NearestReference, ...] = ()


def pair_times(seg: Span) -> list[tuple[float, float]]:
    """(query time, reference time) seconds of the frame pairs shown along `seg`: the middles
    of n equal parts of its query span (n = PAIRS_MIN .. PAIRS_MAX, one per PAIR_SPACING_S),
    each mapped to the reference by the straight line from its start to its end."""
    length = seg.query_end - seg.query_start
    n = int(min(PAIRS_MAX, max(PAIRS_MIN, math.ceil(length / PAIR_SPACING_S) + 1)))
    slope = (seg.ref_end - seg.ref_start) / length if length > 0 else 0.0
    out = []
    for i in range(n):
        t = seg.query_start + (i + 0.5) / n * length
        out.append((t, seg.ref_start + (t - seg.query_start) * slope))
    return out


def _nearest(times: np.ndarray, t: float) -> int:
    """Index of the time in sorted `times` closest to t."""
    i = int(np.searchsorted(times, t))
    if i == 0:
        return 0
    if i >= len(times):
        return len(times) - 1
    return i if times[i] - t < t - times[i - 1] else i - 1


def _pairs(seg: Span, q_times: np.ndarray, r_times: np.ndarray, S: np.ndarray
           ) -> tuple[FramePair, ...]:
    """Frame pairs along `seg`; S float32[Tq, Tr] the query x reference similarities (the
    best of the query's views); none when either side has no frames."""
    if len(q_times) == 0 or len(r_times) == 0:
        return ()
    return tuple(FramePair(qt, rt, float(S[_nearest(q_times, qt), _nearest(r_times, rt)]))
                 for qt, rt in pair_times(seg))


def _segment_evidence(f: Fused, trace: Trace, q_times: np.ndarray, r_times: np.ndarray,
                      S: np.ndarray) -> SegmentEvidence:
    """Fused match `f` with frame pairs along it, its speed and hits from the picture segment
    behind it, else from its sound segment."""
    m = f.match
    votes = max((trace.audio[i].votes for i in f.sounds), default=0)
    if f.picture is not None:
        g = trace.aligned[f.picture].segment
        speed, n_hits = g.speed, g.n_hits
    else:
        speed, n_hits = trace.audio[f.sounds[0]].speed, 0
    return SegmentEvidence(m.ref_id, m.query_start, m.query_end, m.ref_start, m.ref_end,
                           m.score, speed, n_hits, _pairs(m, q_times, r_times, S),
                           m.evidence, votes)


def _hit_table(hits: FrameHits, q_times: np.ndarray, aligned: dict[int, tuple[str, np.ndarray]]
               ) -> tuple[Hits, int]:
    """The hits on the `aligned` references ({store key: (id, frame times)}) as a `Hits`
    table, and the count of the others."""
    keys = list(aligned)
    keep = np.isin(hits.ref_key, keys)
    sel = hits.select(keep)
    ref_index = np.zeros(len(sel), np.int32)
    ref_time = np.zeros(len(sel), np.float64)
    for i, key in enumerate(keys):
        m = sel.ref_key == key
        ref_index[m] = i
        ref_time[m] = aligned[key][1][sel.ref_frame[m]]
    table = Hits(tuple(aligned[k][0] for k in keys), q_times[sel.query_frame].astype(np.float64),
                 ref_index, ref_time, sel.sim.astype(np.float32))
    return table, int((~keep).sum())


def nearest_references(store: ReadStore, hits: FrameHits, top: int = NEAREST
                       ) -> tuple[NearestReference, ...]:
    """The `top` references with the highest hit similarity, best first."""
    if len(hits) == 0:
        return ()
    keys, inverse = np.unique(hits.ref_key, return_inverse=True)
    best = np.full(len(keys), -np.inf)
    np.maximum.at(best, inverse, hits.sim)
    out = []
    for i in np.argsort(-best, kind="stable")[:top]:
        m = hits.ref_key == keys[i]
        out.append(NearestReference(store.reference(int(keys[i])).video_id, float(best[i]),
                                    len(np.unique(hits.query_frame[m]))))
    return tuple(out)


def _ref_key(f: Fused, trace: Trace) -> int:
    if f.picture is not None:
        return trace.aligned[f.picture].reference.key
    return trace.audio[f.sounds[0]].ref_key


def evidence_of(trace: Trace, views: QueryViews, store: ReadStore) -> QueryEvidence:
    """The evidence of a matching `trace` of `views`, its reference frames read from `store`
    (call inside the snapshot the trace was made in). Its segments are the trace's matches,
    picture and sound fused (match/fusion.py), in their order."""
    full = views.full
    times: dict[int, tuple[str, np.ndarray]] = {}
    for c in trace.candidates:
        times[c.ref_key] = (c.ref_id, store.frames(c.ref_key)[0])
    sims: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    segments = []
    for f in trace.fused:
        key = _ref_key(f, trace)
        if key not in sims:
            r_times, r_vectors = store.frames(key)
            sims[key] = (r_times, views.similarity(r_vectors))
        segments.append(_segment_evidence(f, trace, full.times, *sims[key]))
    candidates = []
    for c in trace.candidates:
        placed = [a.segment for a in trace.aligned if a.reference.key == c.ref_key]
        best = max(placed, key=lambda g: g.score, default=None)
        candidates.append(CandidateScore(c.ref_id, float(c.score),
                                         None if best is None else best.score,
                                         0 if best is None else best.n_hits))
    table, others = _hit_table(trace.hits, full.times, times)
    return QueryEvidence(tuple(segments), table, tuple(candidates), others,
                         nearest_references(store, trace.hits))


def match_evidence(lib: "Library", views: QueryViews, settings: QuerySettings | None = None,
                   query_path: str | Path | None = None, threshold: float | None = None
                   ) -> QueryEvidence:
    """The segments `lib.match(views, settings, query_path, threshold)` returns, with their
    evidence, all read in one snapshot of `lib`'s store. `settings`: default the library's
    query defaults; `threshold`: default `settings.match_threshold`."""
    s = settings or lib.query_defaults
    with lib.store.snapshot():
        return evidence_of(lib.trace(views, s, query_path, threshold), views, lib.store)
