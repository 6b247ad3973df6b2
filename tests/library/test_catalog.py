"""The catalog's frame rows: float16 vectors, or packed bits with a content flag for binary
descriptors, read back as written."""

from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import signs_from_bits
from vidtrace.library.catalog import Catalog
from vidtrace.types import Reference


def _record(video_id: str, n: int) -> Reference:
    return Reference(0, video_id, f"/v/{video_id}.mp4", video_id * 8, float(n), 1.0, "d", n)


def test_binary_rows_round_trip_with_frames_without_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = signs_from_bits(rng.integers(0, 2, size=(5, 64)))
    vectors[2] = 0.0
    catalog = Catalog.create(tmp_path, "lib-id", binary=True)
    rowid = catalog.insert(_record("a", 5), np.arange(5.0), vectors)
    times, back = catalog.frames(rowid)
    assert np.array_equal(times, np.arange(5.0)) and np.array_equal(back, vectors)
    size = catalog._db.execute("SELECT length(vectors) FROM videos").fetchone()[0]
    assert size == 5 * (64 // 8 + 1)
    catalog.close()


def test_float_rows_round_trip_at_float16(tmp_path: Path) -> None:
    vectors = np.random.default_rng(1).normal(size=(4, 16)).astype(np.float32)
    catalog = Catalog.create(tmp_path, "lib-id")
    rowid = catalog.insert(_record("b", 4), np.arange(4.0), vectors)
    _, back = catalog.frames(rowid)
    assert np.array_equal(back, vectors.astype(np.float16).astype(np.float32))
    catalog.close()
