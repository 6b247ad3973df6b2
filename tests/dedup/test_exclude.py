"""dedup/exclude.py: a store searched without some references, or with one only, against brute
force."""

import numpy as np
import pytest

from vidtrace.dedup.exclude import OnlyReference, WithoutReferences
from vidtrace.types import FrameHits, Reference


class BruteStore:
    """A ReadStore over float32 vectors per key, searched exactly (ties broken by row)."""

    def __init__(self, videos: dict[int, np.ndarray]) -> None:
        self.videos = videos
        self.keys = np.concatenate([np.full(len(v), k) for k, v in videos.items()])
        self.rows = np.concatenate([np.arange(len(v)) for v in videos.values()])
        self.all = np.concatenate(list(videos.values()))
        self.calls: list[int] = []

    def search(self, vectors: np.ndarray, k: int, nprobe: int, ef_search: int = 0) -> FrameHits:
        self.calls.append(k)
        k = min(k, len(self.all))
        sims = vectors @ self.all.T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        q = np.repeat(np.arange(len(vectors)), k)
        flat = top.ravel()
        return FrameHits(q, self.keys[flat], self.rows[flat],
                         sims[q, flat].astype(np.float32))

    def reference(self, key: int) -> Reference:
        n = len(self.videos[key])
        return Reference(key, f"v{key}", "", "", float(n), 1.0, "test", n)

    def frames(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(len(self.videos[key]), dtype=np.float64), self.videos[key]

    def fine_frames(self, key: int) -> None:
        return None


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _expected(store: BruteStore, query: np.ndarray, hidden: set[int], k: int) -> set:
    visible = ~np.isin(store.keys, list(hidden))
    sims = query @ store.all[visible].T
    out = set()
    for i, row in enumerate(sims):
        for j in np.argsort(-row, kind="stable")[:k]:
            out.add((i, int(store.keys[visible][j]), int(store.rows[visible][j])))
    return out


@pytest.mark.parametrize("k", [1, 5, 10])
def test_hidden_frames_never_come_back_and_the_rest_is_the_visible_top_k(k: int) -> None:
    rng = np.random.default_rng(0)
    # video 1 is a still shot: 60 near-identical frames crowd its own queries' neighbours
    still = _unit(rng.standard_normal((1, 32)) + 0.01 * rng.standard_normal((60, 32)))
    videos = {1: still, 2: _unit(rng.standard_normal((40, 32))),
              3: _unit(np.concatenate([still[:5] + 0.2, rng.standard_normal((20, 32))]))}
    store = BruteStore(videos)
    view = WithoutReferences(store, [store.reference(1)])
    hits = view.search(still[:10], k, nprobe=1)
    assert not np.isin(hits.ref_key, [1]).any()
    assert np.bincount(hits.query_frame).tolist() == [k] * 10
    got = set(zip(hits.query_frame.tolist(), hits.ref_key.tolist(), hits.ref_frame.tolist(),
                  strict=True))
    assert got == _expected(store, still[:10], {1}, k)
    assert store.calls[-1] > store.calls[0]  # the still shot needed a second, wider search
    assert np.all(np.diff(hits.sim[hits.query_frame == 0]) <= 0)  # best first


def test_nothing_hidden_is_the_store_itself_and_too_few_frames_give_what_there_is() -> None:
    rng = np.random.default_rng(1)
    videos = {1: _unit(rng.standard_normal((3, 8))), 2: _unit(rng.standard_normal((2, 8)))}
    store = BruteStore(videos)
    q = videos[1][:2]
    plain = store.search(q, 4, 1)
    same = WithoutReferences(store, []).search(q, 4, 1)
    assert np.array_equal(plain.ref_frame, same.ref_frame)
    only_two = WithoutReferences(store, [store.reference(1)]).search(q, 4, 1)
    assert only_two.ref_key.tolist() == [2, 2, 2, 2]
    assert np.bincount(only_two.query_frame).tolist() == [2, 2]


@pytest.mark.parametrize("k", [1, 4, 30])
def test_one_reference_alone_is_its_exact_top_k_whatever_else_is_stored(k: int) -> None:
    rng = np.random.default_rng(2)
    query = _unit(rng.standard_normal((6, 16)))
    # video 1 holds the query's copies, which would fill every neighbour of a whole-store search
    videos = {1: _unit(query + 0.05 * rng.standard_normal((6, 16))),
              2: _unit(rng.standard_normal((20, 16))), 3: _unit(rng.standard_normal((9, 16)))}
    store = BruteStore(videos)
    hits = OnlyReference(store, 2).search(query, k, nprobe=1)
    assert set(hits.ref_key.tolist()) == {2}
    assert np.bincount(hits.query_frame).tolist() == [min(k, 20)] * 6
    got = set(zip(hits.query_frame.tolist(), hits.ref_key.tolist(), hits.ref_frame.tolist(),
                  strict=True))
    assert got == _expected(store, query, {1, 3}, k)
    assert np.allclose(hits.sim, np.sum(query[hits.query_frame] * videos[2][hits.ref_frame], 1))
