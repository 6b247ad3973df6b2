"""Stage-2 strategies (align): where in a candidate reference the query copies it.

An `Aligner` is resolved once from `vidtrace.settings.Stage2` (`aligner`) with its
`AlignParams`, and has one abstract method, `align`, and a ready batch method, `align_all`.
"lis" (weighted LIS DP and sliding-window refinement, seed 001), "interp" (linear
interpolation between matched frames, seed 002) and "hough" (temporal Hough voting) wrap the
functions of lis.py, interp.py and hough.py, which keep the plain signature
(q_times, r_times, S, params, q_duration, r_duration) -> list[Segment].
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.align.lis import AlignParams, Segment, align_pair
from vidtrace.errors import ConfigError
from vidtrace.settings import Stage2


@dataclass(frozen=True)
class AlignInput:
    """One (query, reference) pair: frame times float64[Tq] and float64[Tr], their similarity
    matrix float32[Tq, Tr], and both videos' durations in seconds."""

    query_times: np.ndarray
    ref_times: np.ndarray
    S: np.ndarray
    query_duration: float
    ref_duration: float

    def __post_init__(self) -> None:
        if self.S.shape != (len(self.query_times), len(self.ref_times)):
            raise ValueError(f"AlignInput: S of shape {self.S.shape} for "
                             f"{len(self.query_times)} x {len(self.ref_times)} frames")


class Aligner(ABC):
    """Finds copied segments in one (query, reference) pair under `params`."""

    def __init__(self, params: AlignParams) -> None:
        self.params = params

    @abstractmethod
    def align(self, pair: AlignInput) -> list[Segment]:
        """The pair's segments, best score first."""

    def align_all(self, pairs: Sequence[AlignInput]) -> list[list[Segment]]:
        return [self.align(p) for p in pairs]


class LisAligner(Aligner):
    def align(self, pair: AlignInput) -> list[Segment]:
        return align_pair(pair.query_times, pair.ref_times, pair.S, self.params,
                          pair.query_duration, pair.ref_duration)


class InterpAligner(Aligner):
    def align(self, pair: AlignInput) -> list[Segment]:
        from vidtrace.align.interp import align_interp

        return align_interp(pair.query_times, pair.ref_times, pair.S, self.params,
                            pair.query_duration, pair.ref_duration)


class HoughAligner(Aligner):
    def align(self, pair: AlignInput) -> list[Segment]:
        from vidtrace.align.hough import align_hough

        return align_hough(pair.query_times, pair.ref_times, pair.S, self.params,
                           pair.query_duration, pair.ref_duration)


_ALIGNERS: dict[Stage2, type[Aligner]] = {
    Stage2.LIS: LisAligner, Stage2.INTERP: InterpAligner, Stage2.HOUGH: HoughAligner}


def aligner(method: Stage2 | str, params: AlignParams) -> Aligner:
    """The stage-2 strategy `method` with `params` (ConfigError for an unknown method)."""
    try:
        return _ALIGNERS[Stage2(method)](params)
    except ValueError:
        raise ConfigError(f"unknown stage-2 method {method!r}; choose one of "
                          f"{', '.join(Stage2)}") from None
