"""Candidate ranking by vote from k-NN hits made by brute force (a store's search is tested
against brute force in tests/library/test_store.py)."""

import numpy as np

from vidtrace.retrieve.knn import rank_vote
from vidtrace.types import FrameHits


def unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force_hits(refs: dict[int, np.ndarray], xq: np.ndarray, k: int) -> FrameHits:
    """The k most similar reference frames of each query row, as a store's search gives them."""
    keys = np.concatenate([np.full(len(x), key) for key, x in refs.items()])
    frames = np.concatenate([np.arange(len(x)) for x in refs.values()])
    sims = xq @ np.concatenate(list(refs.values())).T
    top = np.argsort(-sims, axis=1)[:, :k]
    q = np.repeat(np.arange(len(xq)), k)
    return FrameHits(q, keys[top].ravel(), frames[top].ravel(),
                     np.take_along_axis(sims, top, axis=1).ravel().astype(np.float32))


def test_copied_video_ranks_first() -> None:
    rng = np.random.default_rng(1)
    refs = {key: unit(rng, 40) for key in range(1, 6)}
    # query: noisy copies of reference 3's frames 10..19, then unrelated frames
    copied = refs[3][10:20] + 0.05 * rng.normal(size=(10, 32)).astype(np.float32)
    xq = np.concatenate([copied, unit(rng, 10)])
    xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    ranked = rank_vote(brute_force_hits(refs, xq, 5), len(xq), floor=0.35, top=3)
    assert ranked[0][0] == 3
    assert all(score < ranked[0][1] for _, score in ranked[1:])


def test_no_hit_above_floor_gives_no_candidate() -> None:
    rng = np.random.default_rng(2)
    hits = brute_force_hits({1: unit(rng, 20)}, unit(rng, 5), 3)
    assert rank_vote(hits, 5, floor=0.99, top=3) == []
