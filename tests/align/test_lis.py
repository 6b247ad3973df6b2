"""The weighted LIS alignment's own parts on hand-made inputs with known answers (the cases
every stage-2 method passes are in test_methods.py)."""

import numpy as np

from tests.align.planted import PARAMS, grid, noise, plant
from vidtrace.align.lis import align_pair, best_chain, similarity_hits


def test_best_chain_prefers_heavier_consistent_path() -> None:
    qt = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    rt = np.array([10.0, 11.0, 50.0, 12.0, 13.0])
    w = np.array([0.8, 0.8, 0.9, 0.8, 0.8])
    chain = best_chain(qt, rt, w, PARAMS)
    assert chain.tolist() == [0, 1, 3, 4]


def test_similarity_hits_keeps_top_entries_above_floor() -> None:
    S = np.array([[0.1, 0.9, 0.5, 0.2], [0.3, 0.2, 0.1, 0.0]], dtype=np.float32)
    qi, ri, s = similarity_hits(S, top=2, floor=0.35)
    assert qi.tolist() == [0, 0] and ri.tolist() == [1, 2]
    assert np.allclose(s, [0.9, 0.5])


def test_isolated_hits_near_the_line_are_trimmed_from_chain_ends() -> None:
    from vidtrace.align.lis import trim_sparse_ends

    q = np.array([1.0, 6.0, 6.5, 7.0, 7.5, 8.0, 14.0])
    assert trim_sparse_ends(q, PARAMS) == slice(1, 6)
    dense = np.arange(10) / 2
    assert trim_sparse_ends(dense, PARAMS) == slice(0, 10)


def test_splice_with_small_reference_jump_gives_two_segments() -> None:
    # query 4-14 s copies ref 31-41 s, 3 s of unrelated footage, then 17-22 s copies 45-50 s:
    # the reference moves on 4 s while the query moves 3 s, a step any chain may take.
    rng = np.random.default_rng(6)
    qt, rt = grid(26, 120)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 4.0, 14.0, 31.0, 1.0, rng)
    plant(S, qt, 17.0, 22.0, 45.0, 1.0, rng)
    segs = sorted(align_pair(qt, rt, S, PARAMS, 26.0, 120.0), key=lambda g: g.query_start)
    assert len(segs) == 2
    assert abs(segs[0].query_end - 14) <= 0.5 and abs(segs[0].ref_end - 41) <= 1
    assert abs(segs[1].query_start - 17) <= 0.5 and abs(segs[1].ref_start - 45) <= 1
