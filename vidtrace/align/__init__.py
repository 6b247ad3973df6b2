"""Stage 2 of matching (DESIGN.md, align): where in a candidate reference the query copies it.

Methods (`vidtrace.settings.Stage2`, docs/strategies.md), strategy objects made by `aligner`
(aligners.py): "lis" (weighted LIS DP and sliding-window refinement, seed 001), "interp"
(linear interpolation between matched frames, seed 002) and "hough" (temporal Hough voting);
`fine` refines a segment on reference frames at a finer rate.
"""

from vidtrace.align.aligners import Aligner, AlignInput, aligner
from vidtrace.align.lis import AlignParams, Segment, align_pair, best_chain

__all__ = ["AlignInput", "AlignParams", "Aligner", "Segment", "align_pair", "aligner",
           "best_chain"]
