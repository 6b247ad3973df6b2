"""Stage 2 of matching (DESIGN.md, align): where in a candidate reference the query copies it.

Methods, chosen by name (`Settings.stage2`, docs/strategies.md): "lis" (weighted LIS DP and
sliding-window refinement, seed 001), "interp" (linear interpolation between matched frames,
seed 002) and "hough" (temporal Hough voting). Each has the signature of `align_pair`.
"""

from collections.abc import Callable
from importlib import import_module

import numpy as np

from vidtrace.align.lis import AlignParams, Segment, align_pair, best_chain
from vidtrace.errors import ConfigError

Aligner = Callable[[np.ndarray, np.ndarray, np.ndarray, AlignParams, float, float], list[Segment]]

STAGE2_METHODS: dict[str, tuple[str, str]] = {
    "lis": ("vidtrace.align.lis", "align_pair"),
    "interp": ("vidtrace.align.interp", "align_interp"),
    "hough": ("vidtrace.align.hough", "align_hough"),
}


def aligner(name: str) -> Aligner:
    """The stage-2 method called `name`; ConfigError for an unknown name."""
    if name not in STAGE2_METHODS:
        raise ConfigError(f"unknown stage-2 method {name!r}; choose one of "
                          f"{', '.join(STAGE2_METHODS)}")
    module, attr = STAGE2_METHODS[name]
    fn: Aligner = getattr(import_module(module), attr)
    return fn


__all__ = ["STAGE2_METHODS", "AlignParams", "Aligner", "Segment", "align_pair", "aligner",
           "best_chain"]
