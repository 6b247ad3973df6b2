"""Matching with its evidence kept (DESIGN.md, match -> report): the segments `Library.match`
finds, and the hits, candidates and similarities they were found from.

`match_evidence` takes the steps of `Library.match` (api.py) one by one: k-NN hits of every
view of the query frames, stage 1 ranking, stage 2 alignment of each candidate with the
threshold applied last, optional fine-rate refinement. It keeps what `match` drops: the hits on
the aligned references, each candidate's retrieval score and best segment score (also under
the threshold), each segment's speed and its similarity at points along it. Its segments are
`Library.match`'s (tests/report/test_build.py checks this); the matcher of the store redesign is
to return this evidence itself, and this module then shrinks to a call of it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.align import AlignParams, Segment, aligner
from vidtrace.errors import LibraryError
from vidtrace.report.data import (
    CandidateScore,
    FramePair,
    Hits,
    NearestReference,
    SegmentEvidence,
)
from vidtrace.retrieve import FrameHits, FrameSource, knn_hits, rank
from vidtrace.settings import Settings
from vidtrace.video.views import QueryViews

PAIRS_MIN = 5  # frame pairs shown along a segment ...
PAIRS_MAX = 12  # ... one more per PAIR_SPACING_S of query, up to this many
PAIR_SPACING_S = 10.0
NEAREST = 5  # references listed as the closest, frame by frame


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


def pair_times(seg: Segment | SegmentEvidence) -> list[tuple[float, float]]:
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


def _segment_evidence(ref_id: str, g: Segment, q_times: np.ndarray, r_times: np.ndarray,
                      S: np.ndarray) -> SegmentEvidence:
    """`g` with frame pairs along it; S float32[Tq, Tr] the query x reference similarities."""
    pairs = tuple(FramePair(qt, rt, float(S[_nearest(q_times, qt), _nearest(r_times, rt)]))
                  for qt, rt in pair_times(g))
    return SegmentEvidence(ref_id, g.query_start, g.query_end, g.ref_start, g.ref_end,
                           g.score, g.speed, g.n_hits, pairs)


def view_hits(index: Any, views: QueryViews, k: int) -> FrameHits:
    """The k nearest reference frames of every query frame and of every extra view of it, as
    hits of the query's frames (rows of `views.full`), as `Library.match` searches them."""
    hits = knn_hits(index, views.full.vectors, k)
    for view in views.extra:
        more = knn_hits(index, view.vectors, k)
        hits = FrameHits(np.concatenate([hits.query_frame, view.rows[more.query_frame]]),
                         np.concatenate([hits.ref_rowid, more.ref_rowid]),
                         np.concatenate([hits.ref_frame, more.ref_frame]),
                         np.concatenate([hits.sim, more.sim]))
    return hits


def _frame_source(lib: Any, query_path: Path, s: Settings) -> FrameSource:
    """Frames of the query (rowid None) or of a reference, decoded again (for "orb-rerank");
    a reference whose file is gone gives no frames."""
    from vidtrace.video.seek import frames_at

    def frames(rowid: int | None, times: Sequence[float]) -> list[np.ndarray | None]:
        path = query_path if rowid is None else Path(lib.catalog.record(rowid).path)
        if rowid is not None and not path.is_file():
            return [None] * len(times)
        return frames_at(path, times, s.short_side, s.max_long_side)

    return frames


def _hit_table(hits: FrameHits, q_times: np.ndarray, aligned: dict[int, tuple[str, np.ndarray]]
               ) -> tuple[Hits, int]:
    """The hits on the `aligned` references ({rowid: (id, frame times)}) as a `Hits` table, and
    the count of the others."""
    rowids = list(aligned)
    keep = np.isin(hits.ref_rowid, rowids)
    sel = hits.select(keep)
    ref_index = np.zeros(len(sel), np.int32)
    ref_time = np.zeros(len(sel), np.float64)
    for i, rowid in enumerate(rowids):
        m = sel.ref_rowid == rowid
        ref_index[m] = i
        ref_time[m] = aligned[rowid][1][sel.ref_frame[m]]
    table = Hits(tuple(aligned[r][0] for r in rowids), q_times[sel.query_frame].astype(np.float64),
                 ref_index, ref_time, sel.sim.astype(np.float32))
    return table, int((~keep).sum())


def nearest_references(lib: Any, hits: FrameHits, top: int = NEAREST
                       ) -> tuple[NearestReference, ...]:
    """The `top` references with the highest hit similarity, best first (a reference whose
    catalog row is gone is left out)."""
    if len(hits) == 0:
        return ()
    rowids, inverse = np.unique(hits.ref_rowid, return_inverse=True)
    best = np.full(len(rowids), -np.inf)
    np.maximum.at(best, inverse, hits.sim)
    out = []
    for i in np.argsort(-best, kind="stable")[:top]:
        m = hits.ref_rowid == rowids[i]
        try:
            ref_id = lib.catalog.record(int(rowids[i])).video_id
        except LibraryError:
            continue
        out.append(NearestReference(ref_id, float(best[i]), len(np.unique(hits.query_frame[m]))))
    return tuple(out)


def match_evidence(lib: Any, views: QueryViews, settings: Settings | None = None,
                   query_path: str | Path | None = None) -> QueryEvidence:
    """The segments `lib.match(views, settings, query_path)` returns, with their evidence.

    `lib`: a `vidtrace.api.Library` (its `index`, `catalog`, `query_settings` are used). A
    candidate whose catalog row is gone (removed after the index was read) is skipped."""
    s = lib.query_settings(settings)
    full = views.full
    if len(full) == 0 or lib.index.ntotal == 0:
        return QueryEvidence((), Hits.empty(), (), 0)
    lib.index.nprobe = s.nprobe
    hits = view_hits(lib.index, views, s.knn_k)
    frames = None if query_path is None else _frame_source(lib, Path(query_path), s)
    ranked = rank(s.stage1, hits, len(full), s.hit_floor, s.max_candidates,
                  rerank_top=s.rerank_top, query_times=full.times,
                  ref_times=lambda rowid: lib.catalog.frames(rowid)[0], frames=frames)
    align = aligner(s.stage2)
    params = replace(AlignParams.from_settings(s), threshold=-np.inf)
    segments: list[SegmentEvidence] = []
    candidates: list[CandidateScore] = []
    aligned: dict[int, tuple[str, np.ndarray]] = {}
    for rowid, score in ranked:
        try:
            rec = lib.catalog.record(rowid)
            r_times, r_vectors = lib.catalog.frames(rowid)
        except LibraryError:
            continue
        aligned[rowid] = (rec.video_id, r_times)
        S = views.similarity(r_vectors)
        best = full
        if s.fine_fps > 0 and views.extra:
            best = replace(full, vectors=views.best_vectors(r_vectors))
        top: float | None = None
        for g in align(full.times, r_times, S, params, full.duration, rec.duration):
            if s.fine_fps > 0:
                g = lib._refine_fine(g, best, rec, params, s)
            top = g.score if top is None else max(top, g.score)
            if g.score >= s.match_threshold:
                segments.append(_segment_evidence(rec.video_id, g, full.times, r_times, S))
        candidates.append(CandidateScore(rec.video_id, float(score), top))
    table, others = _hit_table(hits, full.times, aligned)
    ordered = sorted(segments, key=lambda g: -g.score)
    return QueryEvidence(tuple(ordered), table, tuple(candidates), others,
                         nearest_references(lib, hits))
