"""Stage 1 of matching (DESIGN.md, retrieve): nearest reference frames and candidate videos.

Rankers, chosen by name (`Settings.stage1`, docs/strategies.md): "vote" (frequency and
similarity voting, seed 002), "bipartite" (one-to-one maximum-weight matching, seed 001) and
"orb-rerank" (vote, then the best candidates re-ranked by ORB keypoint matching with a RANSAC
geometric check, seed 002).
"""

from vidtrace.retrieve.knn import (
    FrameHits,
    knn_hits,
    matching_weight,
    rank_bipartite,
    rank_candidates,
    rank_vote,
)
from vidtrace.retrieve.rerank import STAGE1_METHODS, FrameSource, rank, rerank_geometric

__all__ = ["STAGE1_METHODS", "FrameHits", "FrameSource", "knn_hits", "matching_weight", "rank",
           "rank_bipartite", "rank_candidates", "rank_vote", "rerank_geometric"]
