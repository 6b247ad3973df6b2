"""Stage 1 of matching (DESIGN.md, retrieve): candidate reference videos from k-NN hits.

Rankers (`vidtrace.settings.Stage1`, docs/strategies.md), strategy objects made by `ranker`:
"vote" (frequency and similarity voting, seed 002), "bipartite" (one-to-one maximum-weight
matching, seed 001) and "orb-rerank" (vote, then the best candidates re-ranked by ORB keypoint
matching with a RANSAC geometric check, seed 002). Hits come from a store's search
(vidtrace.library.store); this stage imports nothing of the library's insides.
"""

from vidtrace.retrieve.knn import matching_weight, rank_bipartite, rank_vote
from vidtrace.retrieve.rankers import Ranker, RankInput, ranker
from vidtrace.retrieve.rerank import FrameSource, rerank_geometric

__all__ = ["FrameSource", "RankInput", "Ranker", "matching_weight", "rank_bipartite",
           "rank_vote", "ranker", "rerank_geometric"]
