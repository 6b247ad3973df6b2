"""Stage-1 strategies (retrieve): rank candidate references from a query's k-NN hits.

A `Ranker` is resolved once from `vidtrace.settings.Stage1` (`ranker`) and has one abstract
method, `rank`, and a ready batch method, `rank_all`. Rankers see store keys and hits only;
"orb-rerank" also needs pixels, which the query's `RankInput.frames` brings explicitly (it
refuses to run without them rather than quietly becoming "vote").
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.retrieve.knn import rank_bipartite, rank_vote
from vidtrace.retrieve.rerank import FrameSource, rerank_geometric
from vidtrace.settings import Stage1
from vidtrace.types import Candidate, FrameHits


@dataclass(frozen=True)
class RankInput:
    """One query's stage-1 input: its hits, its frame times float64[Tq], and where to get its
    and the references' pixels again (None when no step needs them)."""

    hits: FrameHits
    query_times: np.ndarray
    frames: FrameSource | None = None


class Ranker(ABC):
    """Ranks references for a query; keeps the best `top`, ignoring hits below `floor`."""

    def __init__(self, floor: float, top: int) -> None:
        self.floor = floor
        self.top = top

    @abstractmethod
    def rank(self, query: RankInput) -> list[Candidate]:
        """The best candidates, best first."""

    def rank_all(self, queries: Sequence[RankInput]) -> list[list[Candidate]]:
        return [self.rank(q) for q in queries]


def _candidates(ranked: list[tuple[int, float]]) -> list[Candidate]:
    return [Candidate(key, score) for key, score in ranked]


class VoteRanker(Ranker):
    """Frequency and similarity voting (seed 002): `rank_vote`."""

    def rank(self, query: RankInput) -> list[Candidate]:
        return _candidates(rank_vote(query.hits, len(query.query_times), self.floor, self.top))


class BipartiteRanker(Ranker):
    """One-to-one maximum-weight matching (seed 001): `rank_bipartite`."""

    def rank(self, query: RankInput) -> list[Candidate]:
        return _candidates(rank_bipartite(query.hits, len(query.query_times), self.floor,
                                          self.top))


class OrbRerankRanker(Ranker):
    """Vote, then the best `rerank_top` re-ranked by ORB keypoint matching (seed 002).
    `ref_times(key)` gives a reference's frame times."""

    def __init__(self, floor: float, top: int, rerank_top: int,
                 ref_times: Callable[[int], np.ndarray]) -> None:
        super().__init__(floor, top)
        self.rerank_top = rerank_top
        self.ref_times = ref_times

    def rank(self, query: RankInput) -> list[Candidate]:
        if query.frames is None:
            raise ConfigError("stage 1 orb-rerank decodes query and reference frames again and "
                              "needs the query's video file; give a file, or use vote")
        from vidtrace.retrieve.orb import verify_candidate

        ranked = rank_vote(query.hits, len(query.query_times), self.floor, self.top)
        return _candidates(rerank_geometric(ranked, query.hits, query.query_times,
                                            self.ref_times, query.frames, verify_candidate,
                                            self.rerank_top)[0])


def ranker(method: Stage1 | str, floor: float, top: int, rerank_top: int,
           ref_times: Callable[[int], np.ndarray]) -> Ranker:
    """The stage-1 strategy `method` (ConfigError for an unknown one)."""
    try:
        method = Stage1(method)
    except ValueError:
        raise ConfigError(f"unknown stage-1 method {method!r}; choose one of "
                          f"{', '.join(Stage1)}") from None
    if method is Stage1.VOTE:
        return VoteRanker(floor, top)
    if method is Stage1.BIPARTITE:
        return BipartiteRanker(floor, top)
    return OrbRerankRanker(floor, top, rerank_top, ref_times)
