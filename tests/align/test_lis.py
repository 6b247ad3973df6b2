"""The weighted LIS alignment on hand-made similarity matrices with known answers."""

import numpy as np
import pytest

from vidtrace.align.lis import AlignParams, align_pair, best_chain, similarity_hits

Q_FPS, R_FPS = 2.0, 1.0
PARAMS = AlignParams(query_period_s=1 / Q_FPS, ref_period_s=1 / R_FPS)


def noise(rng: np.random.Generator, tq: int, tr: int) -> np.ndarray:
    """Background similarities like those of unrelated frames: mean 0.1, sd 0.08."""
    return rng.normal(0.1, 0.08, (tq, tr)).astype(np.float32)


def plant(S: np.ndarray, q_times: np.ndarray, q0: float, q1: float, r0: float, speed: float,
          rng: np.random.Generator) -> None:
    """Make query times in [q0, q1) similar (about 0.75) to reference time r0 + speed (t - q0)."""
    for i, t in enumerate(q_times):
        if q0 <= t < q1:
            j = round((r0 + (t - q0) * speed) * R_FPS)
            S[i, j] = 0.75 + rng.normal(0, 0.05)


def grid(q_len: float, r_len: float) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(int(q_len * Q_FPS)) / Q_FPS, np.arange(int(r_len * R_FPS)) / R_FPS


@pytest.mark.parametrize("speed", [1.0, 1.2, 0.8, 1.5, 2.0, 0.5])
def test_planted_segment_found_with_its_boundaries(speed: float) -> None:
    rng = np.random.default_rng(1)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 8.0, 28.0, 150.0, speed, rng)
    segs = align_pair(qt, rt, S, PARAMS, 40.0, 300.0)
    assert len(segs) == 1
    g = segs[0]
    assert abs(g.query_start - 8.0) <= 0.5 and abs(g.query_end - 28.0) <= 0.5
    assert abs(g.ref_start - 150.0) <= 1.0
    assert abs(g.ref_end - (150.0 + 20.0 * speed)) <= 1.0
    assert abs(g.speed - speed) < 0.05
    assert g.score > 0.6


def test_two_segments_from_one_reference_in_either_order() -> None:
    rng = np.random.default_rng(2)
    qt, rt = grid(60, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 200.0, 1.0, rng)  # later reference part first
    plant(S, qt, 30.0, 55.0, 40.0, 1.0, rng)
    segs = sorted(align_pair(qt, rt, S, PARAMS, 60.0, 300.0), key=lambda g: g.query_start)
    assert len(segs) == 2
    assert abs(segs[0].query_start - 5) <= 0.5 and abs(segs[0].ref_start - 200) <= 1
    assert abs(segs[1].query_start - 30) <= 0.5 and abs(segs[1].ref_end - 65) <= 1


def test_scattered_outliers_do_not_extend_a_segment() -> None:
    rng = np.random.default_rng(4)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 10.0, 25.0, 100.0, 1.0, rng)
    S[2, 90] = S[36, 140] = 0.9  # strong but temporally isolated hits
    (g,) = align_pair(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 10) <= 0.5 and abs(g.query_end - 25) <= 0.5


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
