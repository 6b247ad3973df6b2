"""Matching (DESIGN.md, stages 4a-4b): a described query against a store.

`Matcher` (matcher.py) takes the query's described views, a read-only store
(vidtrace.library.store.ReadStore) and `QuerySettings`: stage 1 ranks candidate references
(retrieve/), stage 2 aligns each (align/), an optional fine refinement and the threshold give
the matches. Pixels, when a step needs them again (ORB re-ranking, fine refinement by
decoding), come through explicit sources (sources.py), never through a file path. The
query's soundtrack, matched against the store's audio prints, is fused with the picture's
segments (fusion.py).
"""

from vidtrace.match.fusion import Fused
from vidtrace.match.matcher import Aligned, Matcher, Sources, Trace, nearest_similarity

__all__ = ["Aligned", "Fused", "Matcher", "Sources", "Trace", "nearest_similarity"]
