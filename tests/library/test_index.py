"""The faiss frame index: ids, removal, persistence, against brute force."""

from pathlib import Path

import numpy as np
import pytest

from vidtrace.library.index import FrameIndex, pack_ids, unpack_ids


def test_ids_round_trip() -> None:
    rowids, frames = unpack_ids(pack_ids(12345, 1000))
    assert (rowids == 12345).all() and frames.tolist() == list(range(1000))
    assert unpack_ids(np.array([-1]))[0].tolist() == [-1]


def test_search_remove_save_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 16)).astype(np.float32)
    b = rng.normal(size=(10, 16)).astype(np.float32)
    index = FrameIndex(16)
    index.add(1, a)
    index.add(2, b)
    D, I = index.search(b[:3], 1)
    assert unpack_ids(I)[0].ravel().tolist() == [2, 2, 2]
    assert np.allclose(D.ravel(), (b[:3] * b[:3]).sum(1), rtol=1e-5)
    index.remove(2)
    assert index.ntotal == 20
    index.save(tmp_path, 7)
    assert [p.name for p in tmp_path.iterdir()] == ["index-7.faiss"]
    again = FrameIndex.load(tmp_path, 7, 16)
    assert again is not None and again.ntotal == 20
    D2, _ = again.search(a, 3)
    brute = np.sort(a @ a.T, axis=1)[:, ::-1][:, :3]
    assert np.allclose(D2, brute, rtol=1e-5)
    assert FrameIndex.load(tmp_path, 8, 16) is None  # stale generation: caller rebuilds


def test_binary_index_against_brute_force_hamming(tmp_path: Path) -> None:
    from vidtrace.descriptors.base import signs_from_bits

    rng = np.random.default_rng(1)
    a = signs_from_bits(rng.integers(0, 2, size=(30, 64)))
    b = signs_from_bits(rng.integers(0, 2, size=(12, 64)))
    index = FrameIndex(64, binary=True)
    index.add(3, a)
    index.add(4, b)
    q = np.concatenate([a[:2], b[:2], signs_from_bits(rng.integers(0, 2, size=(4, 64)))])
    D, I = index.search(q, 5)
    brute = q @ np.concatenate([a, b]).T  # = 1 - 2 hamming / 64 for +-1/8 vectors
    assert np.allclose(D, np.sort(brute, axis=1)[:, ::-1][:, :5], atol=1e-6)
    rowids, frames = unpack_ids(I)
    assert (rowids[:2, 0] == 3).all() and frames[:2, 0].tolist() == [0, 1]
    assert (rowids[2:4, 0] == 4).all() and D[:4, 0].tolist() == [1.0] * 4
    index.remove(3)
    index.save(tmp_path, 2)
    again = FrameIndex.load(tmp_path, 2, 64, binary=True)
    assert again is not None and again.binary and again.ntotal == 12
    assert FrameIndex.load(tmp_path, 2, 64) is None  # a float index file is another kind
    _, I2 = again.search(b[:3], 1)
    assert unpack_ids(I2)[1].ravel().tolist() == [0, 1, 2]


def test_binary_index_skips_frames_without_content() -> None:
    from vidtrace.descriptors.base import signs_from_bits

    rng = np.random.default_rng(2)
    a = signs_from_bits(rng.integers(0, 2, size=(6, 32)))
    a[[1, 4]] = 0.0  # flat frames: the zero vector
    index = FrameIndex(32, binary=True)
    index.add(1, a)
    assert index.ntotal == 4
    D, I = index.search(np.stack([a[0], a[1]]), 3)
    assert unpack_ids(I)[1][0].tolist()[0] == 0 and D[0, 0] == 1.0
    assert I[1].tolist() == [-1, -1, -1]  # a query frame without content finds nothing
    assert 1 not in unpack_ids(I[0])[1].tolist() and 4 not in unpack_ids(I[0])[1].tolist()


def test_index_kind_by_size_memory_and_setting() -> None:
    from vidtrace.library.index import (
        FLAT_MAX_FRAMES,
        HNSW_MAX_BYTES,
        IVF_MIN_TRAIN,
        hnsw_bytes,
        hnsw_max_frames,
        index_kind,
        ivf_lists,
    )

    # auto: flat below FLAT_MAX_FRAMES, hnsw while its index fits HNSW_MAX_BYTES, ivfpq beyond
    assert index_kind("auto", FLAT_MAX_FRAMES - 1, dim=512) == "flat"
    assert index_kind("auto", FLAT_MAX_FRAMES, dim=512) == "hnsw"
    most = hnsw_max_frames(512)  # 512-d at M 32: 2,328 bytes a frame
    assert 450_000 < most < 470_000  # about 128 hours at 1 frame/s
    assert hnsw_bytes(most, 512) <= HNSW_MAX_BYTES < hnsw_bytes(most + 1, 512)
    assert index_kind("auto", most, dim=512) == "hnsw"
    assert index_kind("auto", most + 1, dim=512) == "ivfpq"
    assert index_kind("auto", 180_000, dim=512) == "hnsw"  # 50 h
    assert index_kind("auto", 1_800_000, dim=512) == "ivfpq"  # 500 h
    assert index_kind("auto", 1_800_000, dim=64) == "hnsw"  # smaller vectors: more fit
    assert index_kind("auto", 420_000, dim=512) == "hnsw"
    assert index_kind("auto", 420_000, dim=512, m=64) == "ivfpq"  # more links: fewer fit
    assert index_kind("flat", 10 * FLAT_MAX_FRAMES, dim=512) == "flat"
    assert index_kind("hnsw", 10, dim=512) == "hnsw"
    assert index_kind("hnsw", 10 * most, dim=512) == "hnsw"  # forced kinds are kept
    assert index_kind("ivfpq", IVF_MIN_TRAIN, dim=512) == "ivfpq"
    assert index_kind("ivfpq", IVF_MIN_TRAIN - 1, dim=512) == "flat"  # too little to train on
    assert index_kind("auto", 10 * FLAT_MAX_FRAMES, binary=True, dim=512) == "flat"
    assert index_kind("hnsw", 10 * FLAT_MAX_FRAMES, binary=True, dim=512) == "flat"
    assert ivf_lists(180_000) == 256 and ivf_lists(1_800_000) == 1024
    assert ivf_lists(1_000) == 16  # sqrt would give 31; every list keeps 40 training vectors


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_hnsw_against_brute_force_and_growing(tmp_path: Path) -> None:
    from vidtrace.library.index import hnsw_bytes
    from vidtrace.settings import DEFAULT_QUERY

    rng = np.random.default_rng(3)
    dim = 48
    refs = [_unit(rng, 1000, dim) for _ in range(4)]
    queries = _unit(rng, 200, dim)
    index = FrameIndex(dim, kind="hnsw")
    for rowid, vectors in enumerate(refs, start=1):
        index.add(rowid, vectors)
    every = np.concatenate(refs)
    D, I = index.search(queries, 10)  # the default efSearch
    exact = np.argsort(-(queries @ every.T), axis=1)[:, :10]
    ids = np.concatenate([np.int64(r) << 24 | np.arange(1000) for r in range(1, 5)])
    recall = np.mean([len(set(a) & set(ids[b])) / 10 for a, b in zip(I, exact, strict=True)])
    assert recall >= 0.99, recall
    # similarities are exact inner products: the best one is the true best almost always
    assert (np.abs(D[:, 0] - (queries @ every.T).max(1)) < 1e-5).mean() >= 0.99
    # a smaller efSearch finds less: the setting reaches the graph
    _, I_small = index.search(queries, 10, ef_search=10)
    small = np.mean([len(set(a) & set(ids[b])) / 10 for a, b in zip(I_small, exact, strict=True)])
    assert small < recall and DEFAULT_QUERY.ef_search > 10
    # the estimate auto's rule uses is the real size, within 3 %
    assert abs(index.memory_bytes() / hnsw_bytes(4000, dim) - 1) < 0.03
    # frames added to a built graph are found at once, by themselves first
    late = _unit(rng, 300, dim)
    index.add(9, late)
    assert index.ntotal == 4300
    rowids, frames = unpack_ids(index.search(late, 1)[1])
    assert (rowids.ravel() == 9).mean() >= 0.99
    assert (frames.ravel() == np.arange(300)).mean() >= 0.99
    # a graph cannot drop frames: the store rebuilds it instead
    assert not index.removable and FrameIndex(dim).removable
    with pytest.raises(ValueError, match="hnsw index cannot drop frames"):
        index.remove(9)
    index.save(tmp_path, 5)
    again = FrameIndex.load(tmp_path, 5, dim)
    assert again is not None and again.kind == "hnsw" and again.ntotal == 4300
    assert np.array_equal(again.search(queries, 10)[1], index.search(queries, 10)[1])
    with pytest.raises(ValueError, match="no 'hnsw' index for binary=True"):
        FrameIndex(64, binary=True, kind="hnsw")


def test_ivfpq_finds_what_exact_search_finds(tmp_path: Path) -> None:
    # synthetic frames shaped like SSCD's (evaluate/speed.py): an hour at 1 frame/s
    from vidtrace.bench.search import SyntheticFrames
    from vidtrace.library.index import build_index

    synth = SyntheticFrames(128, seed=1)
    videos = synth.videos(3600, per_video=600)
    index = build_index(128, False, "ivfpq", 3600, videos)
    assert index.kind == "ivfpq" and index.ntotal == 3600 and index.nlist == 32
    assert index.memory_bytes() < 3600 * 128 * 4 / 3  # codes, not vectors
    queries, truth = synth.queries(3600, 60, per_video=600)
    copies = truth >= 0
    D, I = index.search(queries, 10)
    found = (I[copies] == truth[copies, None]).any(axis=1).mean()
    assert found >= 0.9
    exact = FrameIndex(128)
    for rowid, vectors in videos():
        exact.add(rowid, vectors)
    D_exact, I_exact = exact.search(queries, 10)
    assert (I_exact[copies] == truth[copies, None]).any(axis=1).mean() >= found
    assert np.abs(D[copies, 0] - D_exact[copies, 0]).mean() < 0.1  # approximate similarities
    index.remove(3)
    assert index.ntotal == 3000 and not (unpack_ids(index.search(queries, 10)[1])[0] == 3).any()
    index.save(tmp_path, 2)
    again = FrameIndex.load(tmp_path, 2, 128)
    assert again is not None and again.kind == "ivfpq" and again.nlist == 32
    assert np.array_equal(again.search(queries, 10)[1], index.search(queries, 10)[1])
