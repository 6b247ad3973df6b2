"""The faiss frame index: ids, removal, persistence, against brute force."""

from pathlib import Path

import numpy as np

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
