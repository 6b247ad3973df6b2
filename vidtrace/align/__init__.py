"""Stage 2 of matching (DESIGN.md, align): where in a candidate reference the query copies it."""

from vidtrace.align.lis import AlignParams, Segment, align_pair, best_chain

__all__ = ["AlignParams", "Segment", "align_pair", "best_chain"]
