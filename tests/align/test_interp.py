"""Key-frame interpolation alignment (seed 002) on hand-made similarity matrices."""

import numpy as np
import pytest

from tests.align.planted import PARAMS, grid, noise, plant
from vidtrace.align.interp import align_interp


def test_outliers_and_mismatched_frames_do_not_change_the_answer() -> None:
    rng = np.random.default_rng(4)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 10.0, 25.0, 100.0, 1.0, rng)
    clean = align_interp(qt, rt, S, PARAMS, 40.0, 300.0)
    S[2, 90] = S[16, 250] = S[36, 140] = S[52, 20] = 0.9  # isolated, before, inside, after
    (g,) = align_interp(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 10) <= 0.5 and abs(g.query_end - 25) <= 0.5
    assert abs(g.ref_start - clean[0].ref_start) <= 0.1
    assert abs(g.ref_end - clean[0].ref_end) <= 0.1
    # the frame whose best match lies elsewhere still matches along the line (evidence.py)
    assert g.n_hits == clean[0].n_hits == 30


def test_gap_shorter_than_max_gap_keeps_one_segment() -> None:
    rng = np.random.default_rng(9)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 8.0, 16.0, 150.0, 1.0, rng)
    plant(S, qt, 19.0, 28.0, 161.0, 1.0, rng)  # 3 s of query unmatched, same line
    (g,) = align_interp(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 8) <= 0.5 and abs(g.query_end - 28) <= 0.5
    assert g.n_hits == 34
    assert 0.5 < g.score < 0.75 * 34 / 40 + 0.05  # density counts the unmatched frames


def test_interleaved_runs_give_one_segment_per_query_span() -> None:
    # every other query frame matches another reference part: two runs over the same query span
    rng = np.random.default_rng(11)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    for i, t in enumerate(qt):
        if 10 <= t < 30:
            S[i, round(100 + t - 10) if i % 2 == 0 else round(200 + t - 10)] = (
                0.9 if i % 2 == 0 else 0.85)
    (g,) = align_interp(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.ref_start - 100) <= 1.5 and g.n_hits == 20
    assert g.score == pytest.approx(0.9 * 20 / 39, abs=0.01)  # density: 20 of 39 frames
