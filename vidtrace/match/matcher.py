"""The matcher: stage 1 (retrieve) and stage 2 (align) of one query against a store.

Following one query: the whole frames and every extra view are searched in the store
(`ReadStore.search`); the views' hits count as hits of their frames; the ranker
(`QuerySettings.stage1`) picks the candidates; for each, the query x reference similarity
matrix takes each frame's best view (`QueryViews.similarity`) and the aligner
(`QuerySettings.stage2`) finds the segments; with `fine` on, each segment is refined on the
reference's fine-rate frames from `Sources.fine` (and a reference's refined segments made
disjoint in query time again). When the query's soundtrack is given
(`Sources.audio`) and `QuerySettings.audio` is on, it is matched against the store's audio
prints (audio/match.py) and fused with the picture's segments (fusion.py): agreement raises a
segment's score, sound alone can make a match. Segments under the threshold are dropped.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from vidtrace.align import AlignInput, AlignParams, Segment, aligner
from vidtrace.align.evidence import resolve_overlaps
from vidtrace.align.fine import fine_window, refine_fine
from vidtrace.audio import PRINT_VERSION, AudioParams, AudioSegment, QueryPeaks, match_audio
from vidtrace.library.store import ReadStore
from vidtrace.match.fusion import Fused, Picture, fuse_traced
from vidtrace.retrieve import FrameSource, RankInput, ranker
from vidtrace.settings import AudioMode, FineMode, QuerySettings
from vidtrace.types import Candidate, FrameHits, FrameSet, Match, Reference
from vidtrace.video.described import QueryViews
from vidtrace.video.views import Nearest

# fine(reference, start_s, end_s) -> (times float64[F], vectors float32[F, d]) of the
# reference's frames at the fine rate covering [start_s, end_s], or None when there are none
FineSource = Callable[[Reference, float, float], tuple[np.ndarray, np.ndarray] | None]


@dataclass(frozen=True)
class Aligned:
    """One segment stage 2 found on a candidate, before the threshold: the reference, the
    segment (with its speed and hit count) and the match it becomes."""

    reference: Reference
    segment: Segment
    match: Match


@dataclass(frozen=True)
class Trace:
    """Everything one query's matching saw (for evidence pages and diagnostics): the k-NN
    hits of every view, the candidates stage 1 ranked, every segment stage 2 found on them
    (any score), the soundtrack's segments (any reference), and `fused`: the matches kept
    (score at least the threshold, or sound that no other reference contests), best first,
    each with the indices of the `aligned` and `audio` segments behind it."""

    hits: FrameHits
    candidates: list[Candidate]
    aligned: list[Aligned]
    audio: tuple[AudioSegment, ...] = ()
    fused: tuple[Fused, ...] = ()

    @property
    def matches(self) -> list[Match]:
        """The matches kept, best first (those of `fused`)."""
        return [f.match for f in self.fused]


@dataclass(frozen=True)
class Sources:
    """Where steps that need more than stored vectors get them: `frames` gives query (key
    None) and reference pixels again (ORB re-ranking), `fine` a reference's fine-rate vectors
    (fine refinement), `audio` the spectral peaks of the query's soundtrack."""

    frames: FrameSource | None = None
    fine: FineSource | None = None
    audio: QueryPeaks | None = None


class Matcher:
    """Matches described queries against `store` with `settings`; `index_fps` is the rate the
    store's reference frames were sampled at."""

    def __init__(self, store: ReadStore, settings: QuerySettings, index_fps: float) -> None:
        self.store = store
        self.settings = settings
        s = settings
        # the threshold is applied last, so a calibration sweep over it is exact
        self.params = replace(AlignParams.from_settings(s, index_fps), threshold=-np.inf)
        self.ranker = ranker(s.stage1, s.hit_floor, s.max_candidates, s.rerank_top,
                             lambda key: store.frames(key)[0])
        self.aligner = aligner(s.stage2, self.params)

    def hits(self, views: QueryViews) -> FrameHits:
        """The k-NN hits of every query frame, an extra view's hits counted as its frame's."""
        s = self.settings
        parts = [self.store.search(views.full.vectors, s.knn_k, s.nprobe, s.ef_search)]
        for view in views.extra:
            h = self.store.search(view.vectors, s.knn_k, s.nprobe, s.ef_search)
            parts.append(replace(h, query_frame=view.rows[h.query_frame]))
        return parts[0] if len(parts) == 1 else FrameHits.concat(parts)

    def _ranked(self, views: QueryViews, hits: FrameHits, sources: Sources | None
                ) -> list[Candidate]:
        if len(views.full) == 0 or len(hits) == 0:
            return []
        found = self.ranker.rank(RankInput(hits, views.full.times,
                                           sources.frames if sources else None))
        return [replace(c, ref_id=self.store.reference(c.ref_key).video_id) for c in found]

    def candidates(self, query: FrameSet | QueryViews, sources: Sources | None = None
                   ) -> list[Candidate]:
        """Stage 1 alone: the references `match` would align, best first, named."""
        views = query if isinstance(query, QueryViews) else QueryViews.of(query)
        if len(views.full) == 0:
            return []
        return self._ranked(views, self.hits(views), sources)

    def match(self, query: FrameSet | QueryViews, sources: Sources | None = None,
              threshold: float | None = None) -> list[Match]:
        """Every copied segment, best score first. A frame matches a reference frame by the
        better of its views. `threshold`: the lowest score a long segment keeps (default the
        settings' `match_threshold`; a short one needs more, `QuerySettings.threshold`)."""
        return self.trace(query, sources, threshold).matches

    def trace(self, query: FrameSet | QueryViews, sources: Sources | None = None,
              threshold: float | None = None) -> Trace:
        """`match`, keeping what every step saw (`Trace`)."""
        views = query if isinstance(query, QueryViews) else QueryViews.of(query)
        s = self.settings
        fine = s.fine is not FineMode.OFF
        if fine and (sources is None or sources.fine is None):
            raise ValueError("fine refinement needs a fine source (Sources.fine)")
        floor = s.threshold(threshold)
        full = views.full
        picture = s.audio is not AudioMode.ONLY
        hits = self.hits(views) if len(full) and picture else FrameHits.empty()
        candidates = self._ranked(views, hits, sources)
        aligned: list[Aligned] = []
        for c in candidates:
            ref = self.store.reference(c.ref_key)
            r_times, r_vectors = self.store.frames(c.ref_key)
            pair = AlignInput(full.times, r_times, views.similarity(r_vectors), full.duration,
                              ref.duration)
            best = full
            if fine and views.extra:
                best = replace(full, vectors=views.best_vectors(r_vectors))
            segments = self.aligner.align(pair)
            if fine:
                assert sources is not None and sources.fine is not None
                # refined ends may move into a neighbour: one segment per query row again
                segments = resolve_overlaps([self._refine(g, best, ref, sources.fine)
                                             for g in segments],
                                            s.min_hits * self.params.query_period_s)
            for g in segments:
                aligned.append(Aligned(ref, g, Match(ref.video_id, g.query_start, g.query_end,
                                                     g.ref_start, g.ref_end, g.score,
                                                     frames=g.n_hits)))
        sounds = self.sounds(sources.audio if sources else None)
        pictures = [Picture(a.reference, a.match, a.segment.speed) for a in aligned]
        names = {g.ref_key: self.store.reference(g.ref_key).video_id for g in sounds}
        fused = fuse_traced(pictures, sounds, names, floor, s.audio_min_s)
        return Trace(hits, candidates, aligned, tuple(sounds), tuple(fused))

    def sounds(self, peaks: QueryPeaks | None) -> list[AudioSegment]:
        """The segments of the query's soundtrack found in the store's audio prints (none
        when sound is off or the query has none)."""
        s = self.settings
        if peaks is None or len(peaks) < 2 or s.audio is AudioMode.OFF:
            return []
        params = AudioParams(min_votes=s.audio_min_votes, min_duration_s=s.audio_min_s)
        # match_audio numbers the store's keys densely itself (Milvus keys are 60-bit)
        return match_audio(peaks, lambda h: self.store.print_hits(h, PRINT_VERSION), params)

    def _refine(self, seg: Segment, query: FrameSet, ref: Reference, fine: FineSource
                ) -> Segment:
        """`seg` refined on the reference's fine-rate frames around it (docs/strategies.md)."""
        start, end = fine_window(seg, ref.duration)
        found = fine(ref, start, end)
        if found is None or len(found[0]) == 0:
            return seg
        f_times, f_vectors = found
        return refine_fine(seg, query.times, query.vectors, f_times, f_vectors, self.params,
                           query.duration, ref.duration)


def nearest_similarity(store: ReadStore, settings: QuerySettings) -> Nearest:
    """float32[n, d] query vectors -> float32[n]: each one's similarity to its nearest stored
    reference frame (-inf where there is none), searched as `settings` say (the query views'
    `nearest`, vidtrace/video/views.py)."""
    def nearest(vectors: np.ndarray) -> np.ndarray:
        best = np.full(len(vectors), -np.inf, np.float32)
        if len(vectors):
            hits = store.search(vectors, 1, settings.nprobe, settings.ef_search)
            np.maximum.at(best, hits.query_frame, hits.sim)
        return best

    return nearest
