"""Cases every stage-2 method (`vidtrace.align.STAGE2_METHODS`) must pass on hand-made
similarity matrices: nothing from pure noise, no long forward segment from a reversed copy."""

import numpy as np
import pytest

from tests.align.test_lis import PARAMS, grid, noise
from vidtrace.align import STAGE2_METHODS, aligner


@pytest.mark.parametrize("method", list(STAGE2_METHODS))
def test_pure_noise_gives_nothing(method: str) -> None:
    rng = np.random.default_rng(3)
    qt, rt = grid(60, 600)
    S = rng.normal(0.15, 0.1, (len(qt), len(rt))).astype(np.float32)
    assert aligner(method)(qt, rt, S, PARAMS, 60.0, 600.0) == []


@pytest.mark.parametrize("method", list(STAGE2_METHODS))
def test_reversed_copy_does_not_crash_and_is_not_a_forward_segment(method: str) -> None:
    rng = np.random.default_rng(5)
    qt, rt = grid(30, 100)
    S = noise(rng, len(qt), len(rt))
    for i, t in enumerate(qt):  # reference played backwards
        S[i, int(80 - t)] = 0.8
    segs = aligner(method)(qt, rt, S, PARAMS, 30.0, 100.0)
    assert all(g.query_end - g.query_start < 8 for g in segs)
