"""The faiss index of all reference frame vectors, a cache derived from the catalog.

Each vector's faiss id packs (catalog rowid, frame number): id = rowid << FRAME_BITS | frame.
The file is named after the catalog generation it reflects (`index-<generation>.faiss`) and
written atomically; its sha256 is recorded in the catalog by the writer that saved it
(library/folder.py), so a stale, foreign or damaged file is never used: it is rebuilt from the
catalog (in memory by a reader, on disk by the next writer).

Three kinds (IndexType, docs/speed.md): "flat", exact search over every vector; "hnsw", a
graph over the full vectors (faiss IndexHNSWFlat, M links a frame, more memory than flat) that
follows `ef_search` candidates at query time; and "ivfpq", an inverted file of product-quantised
codes (64 bytes a frame instead of 2,048 for SSCD) that searches `nprobe` of its lists, for
libraries of millions of frames. "auto" (the default setting) is flat below FLAT_MAX_FRAMES
frames, hnsw while the graph index takes at most HNSW_MAX_BYTES, ivfpq beyond; `index_kind`
decides, and a library retrains its ivfpq index from the catalog when it has outgrown its list
count. An hnsw graph cannot drop frames: removing a reference rebuilds it from the catalog.
Binary descriptors always use the exact Hamming index.
"""

import hashlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.descriptors.base import bits_from_signs, has_content
from vidtrace.fsutil import write_atomic
from vidtrace.settings import DEFAULT_LIBRARY, DEFAULT_QUERY, IndexType

FRAME_BITS = 24  # up to 16.7 M frames per video: 4,660 hours at 1 frame/s
_FRAME_MASK = (1 << FRAME_BITS) - 1


# "auto" (docs/speed.md, benchmarks/speed-search.json): exact search is fast enough below
# FLAT_MAX_FRAMES (about 14 h at 1 frame/s); from there an hnsw graph, which finds the copied frame
# as often as exact search, while it takes at most HNSW_MAX_BYTES (about 460,000 SSCD frames,
# 128 h); an ivfpq index beyond, whose memory stays small.
FLAT_MAX_FRAMES = 50_000
HNSW_MAX_BYTES = 1 << 30
HNSW_LINK_OVERHEAD = 1.07  # upper layers and level bookkeeping over the 2 M links of layer 0
# (measured: 272 bytes a frame of graph at M 32, 256 of them layer 0's links)
ID_BYTES = 8  # an int64 id a frame
IVF_MIN_TRAIN = 256  # fewer frames than this stay flat even when ivfpq is asked for (PQ
# learns 256 centroids per sub-quantiser)
PQ_MAX_CODES = 64  # sub-quantisers of 8 bits each: the bytes one frame's code takes
TRAIN_PER_LIST = 40  # training vectors per inverted list (faiss asks for at least 39) ...
TRAIN_MAX = 100_000  # ... up to this many
RETRAIN_GROWTH = 4  # retrain when the wanted list count is this many times the trained one


def hnsw_bytes(n_frames: int, dim: int, m: int = DEFAULT_LIBRARY.hnsw_m) -> int:
    """Estimated bytes of an hnsw index of `n_frames` float32[dim] vectors with `m` links a
    frame: each vector, its id and its graph links (2 m int32 on layer 0, a few more above)."""
    return int(n_frames * _hnsw_frame_bytes(dim, m))


def _hnsw_frame_bytes(dim: int, m: int) -> float:
    return 4 * dim + ID_BYTES + 2 * m * 4 * HNSW_LINK_OVERHEAD


def hnsw_max_frames(dim: int, m: int = DEFAULT_LIBRARY.hnsw_m) -> int:
    """The most frames "auto" keeps in an hnsw index: those whose `hnsw_bytes` fit
    HNSW_MAX_BYTES (461,000 SSCD frames at M 32, 128 h at 1 frame/s)."""
    return int(HNSW_MAX_BYTES // _hnsw_frame_bytes(dim, m))


def index_kind(setting: str, n_frames: int, binary: bool = False, *, dim: int,
               m: int = DEFAULT_LIBRARY.hnsw_m) -> str:
    """The index kind a library of `n_frames` reference frames of `dim` dimensions uses under
    setting `setting` (an IndexType value); `m` is the library's hnsw_m. Forced kinds are kept
    (ivfpq from IVF_MIN_TRAIN frames, its codebooks' size); "auto" is flat below
    FLAT_MAX_FRAMES, hnsw up to `hnsw_max_frames` (its index within HNSW_MAX_BYTES), ivfpq
    beyond."""
    setting = IndexType(setting)
    if binary or setting is IndexType.FLAT:
        return "flat"
    if setting is IndexType.HNSW:
        return "hnsw"
    if setting is IndexType.IVFPQ:
        return "ivfpq" if n_frames >= IVF_MIN_TRAIN else "flat"
    if n_frames < FLAT_MAX_FRAMES:
        return "flat"
    return "hnsw" if n_frames <= hnsw_max_frames(dim, m) else "ivfpq"


def ivf_lists(n_frames: int) -> int:
    """Inverted lists for `n_frames`: the power of two at or below sqrt(n) (256 at 50 h, 1,024
    at 500 h), kept small enough that every list gets TRAIN_PER_LIST training vectors."""
    wanted = 2 ** int(math.log2(max(math.sqrt(max(n_frames, 1)), 1.0)))
    return max(1, min(wanted, n_frames // TRAIN_PER_LIST))


def pq_codes(dim: int) -> int:
    """Sub-quantisers for `dim`: the largest divisor of dim up to PQ_MAX_CODES."""
    return max(m for m in range(1, min(dim, PQ_MAX_CODES) + 1) if dim % m == 0)


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
    """Search over reference frames: exact inner product (faiss IndexFlatIP with id map), an
    approximate graph (`kind` "hnsw", IndexHNSWFlat on inner product with id map, `m` links a
    frame, built with `ef_construction` candidates), an approximate inverted file of PQ codes
    (`kind` "ivfpq", IndexIVFPQ with `nlist` lists; call `train` before adding), or, for binary
    descriptors (`binary`), exact Hamming distance over packed bits (IndexBinaryFlat with id
    map). Vectors go in and similarities come out on one
    scale: a binary descriptor's +-1/sqrt(dim) vectors (descriptors/base.py) are packed to bits
    on the way in, and a Hamming distance h comes back as the similarity 1 - 2 h / dim. Zero
    vectors (frames without content) are neither held nor searched by a binary index."""

    def __init__(self, dim: int, binary: bool = False, kind: str = "flat", nlist: int = 0,
                 m: int = DEFAULT_LIBRARY.hnsw_m,
                 ef_construction: int = DEFAULT_LIBRARY.hnsw_ef_construction) -> None:
        import faiss

        if binary and dim % 8:
            raise ValueError(f"a binary index needs a multiple of 8 bits, got {dim}")
        if kind not in ("flat", "hnsw", "ivfpq") or (kind != "flat" and binary) or (
                kind == "ivfpq" and nlist < 1):
            raise ValueError(f"no {kind!r} index for binary={binary}, nlist={nlist}")
        self.dim = dim
        self.binary = binary
        self.kind = kind
        self._index: Any  # IndexBinaryIDMap2, IndexIDMap2 (of flat or HNSW) or IndexIVFPQ
        if binary:
            self._index = faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(dim))
        elif kind == "flat":
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif kind == "hnsw":
            graph = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = ef_construction
            self._index = faiss.IndexIDMap2(graph)
        else:
            self._index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, pq_codes(dim), 8,
                                           faiss.METRIC_INNER_PRODUCT)

    @property
    def nlist(self) -> int:
        """Inverted lists of an ivfpq index; 0 for a flat one."""
        return int(self._index.nlist) if self.kind == "ivfpq" else 0

    @property
    def removable(self) -> bool:
        """Whether `remove` works; an hnsw graph cannot drop frames (rebuild it instead)."""
        return self.kind != "hnsw"

    @property
    def is_trained(self) -> bool:
        return bool(self._index.is_trained)

    def train(self, vectors: np.ndarray, seed: int = 0) -> None:
        """Learn an ivfpq index's coarse centroids and codebooks from float32[n, dim] vectors
        (at least nlist of them; TRAIN_PER_LIST x nlist is plenty)."""
        if self.kind != "ivfpq":
            return
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        for cp in (self._index.cp, self._index.pq.cp):  # coarse and PQ k-means: seeded,
            cp.seed = seed  # and quiet about small training sets (a small library is asked
            cp.min_points_per_centroid = 1  # for ivfpq only on purpose)
        self._index.train(x)

    def memory_bytes(self) -> int:
        """Bytes the index takes serialised (about what it holds in memory)."""
        import faiss

        serialize = faiss.serialize_index_binary if self.binary else faiss.serialize_index
        return int(serialize(self._index).nbytes)

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
        """Drop every frame of catalog row `rowid` (ValueError for an hnsw index)."""
        import faiss

        if not self.removable:
            raise ValueError("an hnsw index cannot drop frames; build it again without them")
        lo = rowid << FRAME_BITS
        self._index.remove_ids(faiss.IDSelectorRange(lo, lo + _FRAME_MASK + 1))

    def search(self, xq: np.ndarray, k: int, nprobe: int = DEFAULT_QUERY.nprobe,
               ef_search: int = DEFAULT_QUERY.ef_search) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by similarity: (D float32[n, k] similarities, I int64[n, k]); missing results
        are -1. An ivfpq index visits `nprobe` of its lists; an hnsw index keeps `ef_search`
        candidates (at least k)."""
        k = max(1, min(k, self.ntotal))
        if self.ntotal == 0:
            n = len(xq)
            return np.zeros((n, 1), np.float32), np.full((n, 1), -1, np.int64)
        if self.kind == "ivfpq":
            self._index.nprobe = max(1, min(nprobe, self.nlist))
        if self.kind == "hnsw":  # per call, so concurrent searches may differ
            import faiss

            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(ef_search, k)
            D, I = self._index.search(self._encode(xq), k, params=params)
        else:
            D, I = self._index.search(self._encode(xq), k)
        if self.binary:
            D = (1.0 - 2.0 * D.astype(np.float32) / self.dim).astype(np.float32)
            empty = ~has_content(xq)  # a query frame without content finds nothing
            D[empty], I[empty] = 0.0, -1
        return D, I

    def to_bytes(self) -> bytes:
        import faiss

        serialize = faiss.serialize_index_binary if self.binary else faiss.serialize_index
        return bytes(serialize(self._index).tobytes())

    def save(self, folder: Path, generation: int) -> str:
        """Write `index-<generation>.faiss` atomically and remove older index files; returns
        the sha256 of the bytes written (OSError when they cannot be written: nothing is
        left behind)."""
        data = self.to_bytes()
        write_atomic(folder / index_file(generation), data)
        for old in folder.glob("index-*.faiss"):
            if old.name != index_file(generation):
                old.unlink(missing_ok=True)
        return hashlib.sha256(data).hexdigest()

    @classmethod
    def load(cls, folder: Path, generation: int, dim: int, binary: bool = False,
             sha256: str | None = None) -> "FrameIndex | None":
        """The index file for `generation`, or None when it is missing, unreadable, of another
        dimension, or (given `sha256`) not the file that was saved."""
        import faiss

        path = folder / index_file(generation)
        try:
            data = np.fromfile(path, dtype=np.uint8)
        except OSError:
            return None
        if sha256 is not None and hashlib.sha256(data.tobytes()).hexdigest() != sha256:
            return None
        deserialize = faiss.deserialize_index_binary if binary else faiss.deserialize_index
        try:
            raw: Any = deserialize(data)
        except RuntimeError:
            return None
        if raw.d != dim:
            return None
        out = cls.__new__(cls)
        out.dim = dim
        out.binary = binary
        out.kind = "flat" if binary else _kind_of(raw)
        out._index = raw  # as it was saved
        return out


def _kind_of(raw: Any) -> str:
    """"ivfpq", "hnsw" or "flat" for a deserialised float index."""
    import faiss

    if faiss.try_extract_index_ivf(raw) is not None:
        return "ivfpq"
    inner = getattr(raw, "index", None)  # an id map's index
    if inner is not None and isinstance(faiss.downcast_index(inner), faiss.IndexHNSW):
        return "hnsw"
    return "flat"


def index_file(generation: int) -> str:
    return f"index-{generation}.faiss"


def build_index(
    dim: int, binary: bool, kind: str, n_frames: int,
    videos: Callable[[], Iterator[tuple[int, np.ndarray]]], seed: int = 0,
    m: int = DEFAULT_LIBRARY.hnsw_m, ef_construction: int = DEFAULT_LIBRARY.hnsw_ef_construction,
) -> FrameIndex:
    """A `kind` index of every (rowid, vectors) that `videos()` yields (n_frames in all); an
    hnsw one with `m` links a frame built with `ef_construction` candidates. An ivfpq index is
    first trained on an even sample of them (`videos` is then read twice)."""
    if kind in ("flat", "hnsw"):
        index = FrameIndex(dim, binary, kind, m=m, ef_construction=ef_construction)
    else:
        nlist = ivf_lists(n_frames)
        index = FrameIndex(dim, binary, "ivfpq", nlist)
        want = min(n_frames, TRAIN_PER_LIST * max(nlist, IVF_MIN_TRAIN), TRAIN_MAX)
        step = max(1.0, n_frames / max(want, 1))
        rng = np.random.default_rng(seed)
        sample: list[np.ndarray] = []
        for _, vectors in videos():
            take = round(len(vectors) / step)
            if take:
                pick = np.sort(rng.choice(len(vectors), min(take, len(vectors)), replace=False))
                sample.append(np.asarray(vectors, np.float32)[pick])
        index.train(np.concatenate(sample), seed)
    for rowid, vectors in videos():
        index.add(rowid, vectors)
    return index
