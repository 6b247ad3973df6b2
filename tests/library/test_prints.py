"""Audio prints in the catalog (library/prints.py): stored with their reference, looked up by
hash, removed with it, checksummed, and a schema-2 catalog migrated by its first writer."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import LibraryError
from vidtrace.library.catalog import SCHEMA_VERSION, Catalog
from vidtrace.types import AudioPrints, Reference


def _record(video_id: str, n: int = 3) -> Reference:
    return Reference(0, video_id, f"/v/{video_id}.mp4", video_id * 8, float(n), 1.0, "d", n)


def _prints(hashes: list[int], ticks: list[int], version: str = "v1") -> AudioPrints:
    return AudioPrints(version, 0.032, np.array(hashes, np.uint32), np.array(ticks, np.int32))


def _vectors() -> np.ndarray:
    return np.ones((3, 4), np.float32)


def test_prints_are_found_by_hash_and_removed_with_their_reference(tmp_path: Path) -> None:
    catalog = Catalog.create(tmp_path, "lib-id")
    a = catalog.insert(_record("a"), np.arange(3.0), _vectors(), None,
                       _prints([5, 7, 7, 900], [0, 10, 11, 30]))
    b = catalog.insert(_record("b"), np.arange(3.0), _vectors(), None, _prints([7], [4]))
    catalog.insert(_record("c"), np.arange(3.0), _vectors(), None, _prints([7], [1], "old"))
    catalog.insert(_record("d"), np.arange(3.0), _vectors())  # no sound
    h, key, tick = catalog.print_hits(np.array([7, 8, 900]), "v1")
    got = sorted(zip(h.tolist(), key.tolist(), tick.tolist(), strict=True))
    assert got == [(7, a, 10), (7, a, 11), (7, b, 4), (900, a, 30)]
    assert catalog.audio_facts("v1") == {"references": 2, "prints": 5, "other_version": 1}
    catalog.delete("a")
    h, key, _ = catalog.print_hits(np.array([5, 7, 900]), "v1")
    assert key.tolist() == [b]
    assert catalog._db.execute("SELECT COUNT(*) FROM audio_prints WHERE video_rowid = ?",
                               (a,)).fetchone()[0] == 0
    catalog.close()


def test_damaged_prints_fail_their_checksum(tmp_path: Path) -> None:
    catalog = Catalog.create(tmp_path, "lib-id")
    catalog.insert(_record("a"), np.arange(3.0), _vectors(), None, _prints([1, 2], [0, 1]))
    assert [(v, t, ok) for v, t, ok in catalog.checksums() if t == "audio"] == [
        ("a", "audio", True)]
    catalog._db.execute("UPDATE audio SET hashes = ?", (np.array([1, 3], np.uint32).tobytes(),))
    assert [ok for _, t, ok in catalog.checksums() if t == "audio"] == [False]
    catalog.close()


def _make_schema_2(folder: Path) -> None:
    """A catalog as vidtrace wrote it before audio prints (schema 2), holding one video."""
    catalog = Catalog.create(folder, "lib-id")
    catalog.insert(_record("old"), np.arange(3.0), _vectors())
    catalog.close()
    db = sqlite3.connect(folder / "catalog.sqlite")
    db.executescript("DROP TABLE audio_prints; DROP TABLE audio; "
                     "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    db.close()


def test_a_schema_2_catalog_is_read_without_prints_then_migrated_by_a_writer(
        tmp_path: Path) -> None:
    _make_schema_2(tmp_path)
    reader = Catalog(tmp_path, readonly=True)
    assert reader.schema == 2 and [r.video_id for r in reader.videos()] == ["old"]
    assert len(reader.print_hits(np.array([1]), "v1")[0]) == 0
    assert reader.audio_facts("v1")["references"] == 0
    reader.close()
    writer = Catalog(tmp_path)  # a writer migrates
    assert writer.schema == SCHEMA_VERSION == 3 and writer.meta("schema_version") == "3"
    writer.insert(_record("new"), np.arange(3.0), _vectors(), None, _prints([4], [2]))
    assert writer.print_hits(np.array([4]), "v1")[1].tolist() == [writer.find(
        video_id="new").key]
    assert [r.video_id for r in writer.videos()] == ["old", "new"]
    writer.close()


def test_a_catalog_from_a_newer_vidtrace_is_refused(tmp_path: Path) -> None:
    Catalog.create(tmp_path, "lib-id").close()
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(LibraryError, match="catalog schema 4 is not supported"):
        Catalog(tmp_path)
