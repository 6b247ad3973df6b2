"""The faiss index of all reference frame vectors, a cache derived from the catalog.

Each vector's faiss id packs (catalog rowid, frame number): id = rowid << FRAME_BITS | frame.
The file is named after the catalog generation it reflects (`index-<generation>.faiss`) and
written atomically; a library whose index file is missing or stale rebuilds it from the catalog.
"""

from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import bits_from_signs, has_content
from vidtrace.library.manifest import write_atomic

FRAME_BITS = 24  # up to 16.7 M frames per video: 4,660 hours at 1 frame/s
_FRAME_MASK = (1 << FRAME_BITS) - 1


def pack_ids(rowid: int, n_frames: int) -> np.ndarray:
    if n_frames > _FRAME_MASK:
        raise ValueError(f"a video may hold at most {_FRAME_MASK} sampled frames")
    return (np.int64(rowid) << FRAME_BITS) | np.arange(n_frames, dtype=np.int64)


def unpack_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """faiss ids int64[...] -> (rowids, frame numbers); -1 (no result) gives rowid -1."""
    ids = np.asarray(ids, dtype=np.int64)
    rowids = np.where(ids >= 0, ids >> FRAME_BITS, -1)
    return rowids, np.where(ids >= 0, ids & _FRAME_MASK, -1)


class FrameIndex:
    """Exact search over reference frames: inner product (faiss IndexFlatIP with id map) or,
    for binary descriptors (`binary`), Hamming distance over packed bits (IndexBinaryFlat with
    id map). Vectors go in and similarities come out on one scale either way: a binary
    descriptor's +-1/sqrt(dim) vectors (descriptors/base.py) are packed to bits on the way in,
    and a Hamming distance h comes back as the similarity 1 - 2 h / dim. Zero vectors (frames
    without content) are neither held nor searched by a binary index."""

    def __init__(self, dim: int, binary: bool = False) -> None:
        import faiss

        if binary and dim % 8:
            raise ValueError(f"a binary index needs a multiple of 8 bits, got {dim}")
        self.dim = dim
        self.binary = binary
        self._index = (faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(dim)) if binary
                       else faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    def _encode(self, vectors: np.ndarray) -> np.ndarray:
        if self.binary:
            return np.ascontiguousarray(bits_from_signs(vectors))
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def add(self, rowid: int, vectors: np.ndarray) -> None:
        ids = pack_ids(rowid, len(vectors))
        if self.binary:  # frames without content (zero vectors) match nothing: not held
            keep = has_content(vectors)
            vectors, ids = np.asarray(vectors)[keep], ids[keep]
        self._index.add_with_ids(self._encode(vectors), ids)

    def remove(self, rowid: int) -> None:
        import faiss

        lo = rowid << FRAME_BITS
        self._index.remove_ids(faiss.IDSelectorRange(lo, lo + _FRAME_MASK + 1))

    def search(self, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by similarity: (D float32[n, k] similarities, I int64[n, k]); missing results
        are -1."""
        k = max(1, min(k, self.ntotal))
        if self.ntotal == 0:
            n = len(xq)
            return np.zeros((n, 1), np.float32), np.full((n, 1), -1, np.int64)
        D, I = self._index.search(self._encode(xq), k)
        if self.binary:
            D = (1.0 - 2.0 * D.astype(np.float32) / self.dim).astype(np.float32)
            empty = ~has_content(xq)  # a query frame without content finds nothing
            D[empty], I[empty] = 0.0, -1
        return D, I

    def save(self, folder: Path, generation: int) -> None:
        import faiss

        serialize = faiss.serialize_index_binary if self.binary else faiss.serialize_index
        data = serialize(self._index).tobytes()
        write_atomic(folder / f"index-{generation}.faiss", data)
        for old in folder.glob("index-*.faiss"):
            if old.name != f"index-{generation}.faiss":
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, generation: int, dim: int, binary: bool = False
             ) -> "FrameIndex | None":
        """The index file for `generation`, or None when it is missing, unreadable or of
        another kind."""
        import faiss

        path = folder / f"index-{generation}.faiss"
        if not path.exists():
            return None
        deserialize = faiss.deserialize_index_binary if binary else faiss.deserialize_index
        try:
            raw = deserialize(np.fromfile(path, dtype=np.uint8))
        except RuntimeError:
            return None
        if raw.d != dim:
            return None
        out = cls.__new__(cls)
        out.dim = dim
        out.binary = binary
        out._index = raw  # type: ignore[assignment]  # an IndexIDMap2, as it was saved
        return out
