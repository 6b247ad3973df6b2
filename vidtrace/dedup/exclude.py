"""A store seen without some of its references, or with one only (dedup/): every video of a
collection is matched against the others as a query against a library, never against itself.

`WithoutReferences` is a `ReadStore` (library/store.py) over another one whose search drops the
frames of hidden references and still returns each query frame's k nearest *visible* frames:
it asks the store for more neighbours than k and, for the rows whose extra neighbours were all
hidden, asks again with more, up to k plus every hidden frame (then nothing visible can have
been crowded out). The matcher above it (match/) is the one `vidtrace query` uses, unchanged.
`OnlyReference` shows one reference alone, for aligning a given pair.
"""

from collections.abc import Iterable

import numpy as np

from vidtrace.library.store import ReadStore
from vidtrace.settings import DEFAULT_QUERY
from vidtrace.types import FrameHits, Reference

FIRST_EXTRA = 16  # neighbours asked beyond k on the first search (a video's own nearby frames)
GROWTH = 4  # how much more is asked each time a row's extra neighbours were all hidden


class _View:
    """A `ReadStore` over `store` that answers `reference`, `frames` and `fine_frames` for
    every key and keeps the audio print hits of the references `_shows` accepts; subclasses
    give `search`."""

    store: ReadStore

    def _shows(self, keys: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reference(self, key: int) -> Reference:
        return self.store.reference(key)

    def frames(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.frames(key)

    def fine_frames(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        return self.store.fine_frames(key)

    def print_hits(self, hashes: np.ndarray, version: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The store's audio print hits of the references this view shows."""
        hash_, key, tick = self.store.print_hits(hashes, version)
        keep = self._shows(key)
        return hash_[keep], key[keep], tick[keep]


class WithoutReferences(_View):
    """`store` without the `hidden` references (their frames are never returned by `search`;
    `reference` and `frames` still answer for every key)."""

    def __init__(self, store: ReadStore, hidden: Iterable[Reference]) -> None:
        self.store = store
        refs = {r.key: r.n_frames for r in hidden}
        self.hidden = np.array(sorted(refs), dtype=np.int64)
        self.hidden_frames = sum(refs.values())

    def _shows(self, keys: np.ndarray) -> np.ndarray:
        return ~np.isin(keys, self.hidden)

    def search(self, vectors: np.ndarray, k: int, nprobe: int,
               ef_search: int = DEFAULT_QUERY.ef_search
               ) -> FrameHits:
        """The k nearest visible stored frames of each float32[n, d] query vector (fewer when
        the store holds fewer), as `ReadStore.search` gives them."""
        if len(self.hidden) == 0 or len(vectors) == 0:
            return self.store.search(vectors, k, nprobe, ef_search)
        most = k + self.hidden_frames  # enough to hold every hidden frame and k others
        ask = min(k + FIRST_EXTRA, most)
        rows = np.arange(len(vectors))
        kept: list[FrameHits] = []
        while len(rows):
            hits = self.store.search(vectors[rows], ask, nprobe, ef_search)
            returned = np.bincount(hits.query_frame, minlength=len(rows))
            visible = self._shows(hits.ref_key)
            got = np.bincount(hits.query_frame[visible], minlength=len(rows))
            # a row is answered when it has k visible hits, when the store ran out of
            # neighbours for it, or when it was asked for every hidden frame and k more
            done = (got >= k) | (returned < ask) | (ask >= most)
            found = hits.select(visible & done[hits.query_frame])
            kept.append(
                FrameHits(rows[found.query_frame], found.ref_key, found.ref_frame, found.sim)
            )
            rows = rows[~done]
            ask = min(ask * GROWTH, most)
        return _top_k(FrameHits.concat(kept), k)


def _top_k(hits: FrameHits, k: int) -> FrameHits:
    """The `k` most similar hits of each query row, rows in order, best first."""
    order = np.lexsort((-hits.sim, hits.query_frame))
    hits = hits.select(order)
    first = np.searchsorted(hits.query_frame, hits.query_frame, side="left")
    return hits.select(np.arange(len(hits)) - first < k)


class OnlyReference(_View):
    """`store` seen with one reference only: `search` compares the query vectors with that
    reference's stored frames alone (exactly, by inner product, as the matcher compares
    frames), so the matcher aligns the pair whatever else the store holds. For pairs that
    stage 1 of a whole-store query did not reach (overlaps.implied_pairs)."""

    def __init__(self, store: ReadStore, key: int) -> None:
        self.store = store
        self.key = key
        self._times, self._vectors = store.frames(key)

    def _shows(self, keys: np.ndarray) -> np.ndarray:
        return keys == self.key

    def search(self, vectors: np.ndarray, k: int, nprobe: int,
               ef_search: int = DEFAULT_QUERY.ef_search) -> FrameHits:
        """The k most similar frames of the reference for each float32[n, d] query vector."""
        n, t = len(vectors), len(self._times)
        k = min(k, t)
        if n == 0 or k == 0:
            return FrameHits.empty()
        sim = vectors @ self._vectors.T
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(n, dtype=np.int64), k)
        cols = top.ravel().astype(np.int64)
        hits = FrameHits(rows, np.full(n * k, self.key, np.int64), cols,
                         sim[rows, cols].astype(np.float32))
        return _top_k(hits, k)
