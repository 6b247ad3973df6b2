"""Matching (DESIGN.md, stages 4a-4b): a described query against a store.

`Matcher` (matcher.py) takes the query's described views, a read-only store
(vidtrace.library.store.ReadStore) and `QuerySettings`: stage 1 ranks candidate references
(retrieve/), stage 2 aligns each (align/), an optional fine refinement and the threshold give
the matches. Pixels, when a step needs them again (ORB re-ranking, fine refinement by
decoding), come through explicit sources (sources.py), never through a file path.
"""

from vidtrace.match.matcher import Aligned, Matcher, Sources, Trace

__all__ = ["Aligned", "Matcher", "Sources", "Trace"]
