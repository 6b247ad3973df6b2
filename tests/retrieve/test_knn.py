"""Candidate ranking from k-NN hits, checked against a brute-force computation."""

import numpy as np

from vidtrace.library.index import FrameIndex
from vidtrace.retrieve.knn import knn_hits, rank_candidates


def unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_knn_hits_equal_brute_force() -> None:
    rng = np.random.default_rng(0)
    index = FrameIndex(32)
    refs = {7: unit(rng, 50), 9: unit(rng, 30)}
    for rowid, x in refs.items():
        index.add(rowid, x)
    xq = unit(rng, 5)
    hits = knn_hits(index, xq, 4)
    allx = np.concatenate([refs[7], refs[9]])
    owner = np.array([7] * 50 + [9] * 30)
    frame = np.concatenate([np.arange(50), np.arange(30)])
    sims = xq @ allx.T
    for q in range(5):
        top = np.argsort(-sims[q])[:4]
        got = hits.sim[hits.query_frame == q]
        assert np.allclose(np.sort(got)[::-1], sims[q, top], atol=1e-5)
        pairs = set(zip(hits.ref_rowid[hits.query_frame == q].tolist(),
                        hits.ref_frame[hits.query_frame == q].tolist(), strict=True))
        assert pairs == set(zip(owner[top].tolist(), frame[top].tolist(), strict=True))


def test_copied_video_ranks_first() -> None:
    rng = np.random.default_rng(1)
    index = FrameIndex(32)
    refs = [unit(rng, 40) for _ in range(5)]
    for rowid, x in enumerate(refs, start=1):
        index.add(rowid, x)
    # query: noisy copies of reference 3's frames 10..19, then unrelated frames
    copied = refs[2][10:20] + 0.05 * rng.normal(size=(10, 32)).astype(np.float32)
    xq = np.concatenate([copied, unit(rng, 10)])
    xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    ranked = rank_candidates(knn_hits(index, xq, 5), len(xq), floor=0.35, top=3)
    assert ranked[0][0] == 3
    assert all(score < ranked[0][1] for _, score in ranked[1:])


def test_no_hit_above_floor_gives_no_candidate() -> None:
    rng = np.random.default_rng(2)
    index = FrameIndex(32)
    index.add(1, unit(rng, 20))
    assert rank_candidates(knn_hits(index, unit(rng, 5), 3), 5, floor=0.99, top=3) == []
