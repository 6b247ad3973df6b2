"""Stage 1 of matching (DESIGN.md, retrieve): nearest reference frames and candidate videos."""

from vidtrace.retrieve.knn import FrameHits, knn_hits, rank_candidates

__all__ = ["FrameHits", "knn_hits", "rank_candidates"]
