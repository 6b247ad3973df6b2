"""Key-frame interpolation alignment (seed 002) on hand-made similarity matrices."""

import numpy as np
import pytest

from tests.align.test_lis import PARAMS, grid, noise, plant
from vidtrace.align.interp import align_interp


@pytest.mark.parametrize("speed", [1.0, 1.2, 0.8, 1.5, 2.0, 0.5])
def test_planted_segment_found_with_its_boundaries(speed: float) -> None:
    rng = np.random.default_rng(1)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 8.0, 28.0, 150.0, speed, rng)
    (g,) = align_interp(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 8.0) <= 1.0 and abs(g.query_end - 28.0) <= 1.0
    assert abs(g.ref_start - 150.0) <= 1.5
    assert abs(g.ref_end - (150.0 + 20.0 * speed)) <= 1.5
    assert abs(g.speed - speed) < 0.05
    assert g.n_hits == 40 and g.score > 0.6


def test_two_segments_from_different_reference_parts() -> None:
    rng = np.random.default_rng(2)
    qt, rt = grid(60, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 200.0, 1.0, rng)  # later reference part first
    plant(S, qt, 30.0, 55.0, 40.0, 1.2, rng)
    segs = sorted(align_interp(qt, rt, S, PARAMS, 60.0, 300.0), key=lambda g: g.query_start)
    assert len(segs) == 2
    assert abs(segs[0].query_start - 5) <= 1 and abs(segs[0].ref_start - 200) <= 1.5
    assert abs(segs[1].query_start - 30) <= 1 and abs(segs[1].ref_end - 70) <= 1.5
    assert all(g.score > 0.6 for g in segs)


def test_adjacent_segments_are_told_apart() -> None:
    # the query cuts straight from one reference part to another: no gap between the copies
    rng = np.random.default_rng(7)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 60.0, 1.0, rng)
    plant(S, qt, 20.0, 35.0, 220.0, 1.0, rng)
    segs = sorted(align_interp(qt, rt, S, PARAMS, 40.0, 300.0), key=lambda g: g.query_start)
    assert [round(g.ref_start) for g in segs] == [60, 220]
    assert abs(segs[0].query_end - 20) <= 1 and abs(segs[1].query_start - 20) <= 1


def test_looped_copy_gives_two_segments() -> None:
    rng = np.random.default_rng(8)
    qt, rt = grid(50, 200)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 100.0, 1.0, rng)  # the same reference part, twice
    plant(S, qt, 30.0, 45.0, 100.0, 1.0, rng)
    segs = sorted(align_interp(qt, rt, S, PARAMS, 50.0, 200.0), key=lambda g: g.query_start)
    assert len(segs) == 2
    assert [abs(g.ref_start - 100) <= 1.5 for g in segs] == [True, True]
    assert abs(segs[0].query_start - 5) <= 1 and abs(segs[1].query_start - 30) <= 1


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
    assert g.n_hits == clean[0].n_hits - 1  # the frame matching elsewhere is not counted


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


@pytest.mark.parametrize("shape", [(0, 100), (40, 0), (0, 0)])
def test_empty_matrices_give_nothing(shape: tuple[int, int]) -> None:
    qt, rt = np.arange(shape[0]) / 2, np.arange(shape[1]) * 1.0
    S = np.zeros(shape, dtype=np.float32)
    assert align_interp(qt, rt, S, PARAMS, shape[0] / 2, float(shape[1])) == []


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
