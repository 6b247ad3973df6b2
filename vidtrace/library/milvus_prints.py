"""Audio prints in a Milvus library (stage 3, library; used by milvus.py): two collections
beside the frames (docs/scale.md), so a Milvus library matches soundtracks as a folder does.

    NAME_prints   one row per print: hash, reference key, tick, and `ver` (a 63-bit hash of
                  the fingerprinter's version, so prints of another version are never found);
                  the looked-up collection, with a scalar index on `hash`
    NAME_audio    one row per reference with sound: version, tick length, print count and
                  the sha256 of its prints (the folder catalog's `audio` row)

Rows are keyed from content, like frames (a print's key is a 63-bit hash of the reference's
content hash and the version, plus its position), and upserted; they are written before the
reference row (the commit marker) and deleted after it, so a reader finds prints of committed
references only (milvus.py drops the others). A lookup sends the query's distinct hashes in
lists of LOOKUP_BATCH and streams back every matching row.
"""

import hashlib
from typing import Any

import numpy as np

from vidtrace.library.catalog import blob_checksum
from vidtrace.types import AudioPrints

LOOKUP_BATCH = 16_384  # hashes in one `hash in [...]` filter
WRITE_BATCH = 20_000  # print rows sent in one request (small rows: five numbers)
READ_BATCH = 8_192  # rows streamed back per round trip
_MASK = (1 << 63) - 1
_EMPTY = (np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64))


def version_tag(version: str) -> int:
    """The `ver` field of fingerprinter `version`'s print rows."""
    return int.from_bytes(hashlib.blake2b(version.encode(), digest_size=8).digest(),
                          "little") & _MASK


def print_ids(content_hash: str, version: str, n: int) -> np.ndarray:
    """Primary keys of a reference's n print rows: a random 63-bit start from (content,
    version) and n consecutive numbers (two references' ranges overlap with probability about
    n·m / 2⁶³)."""
    start = version_tag(f"{content_hash}:{version}")
    return (np.uint64(start) + np.arange(n, dtype=np.uint64)).astype(np.int64) & _MASK


def checksum(prints: AudioPrints) -> str:
    """The sha256 of `prints` as the folder catalog computes it (uint32 hashes, int32 ticks)."""
    return blob_checksum(np.asarray(prints.hashes, np.uint32).tobytes(),
                         np.asarray(prints.ticks, np.int32).tobytes())


def schemas() -> dict[str, tuple[list[tuple[str, Any, dict[str, Any]]], str | None]]:
    """(fields, the field given a scalar index) of the two collections; the first field is
    the primary key."""
    from pymilvus import DataType

    return {
        "audio": ([("key", DataType.INT64, {}), ("version", DataType.VARCHAR, {"max_length": 256}),
                   ("tick_s", DataType.DOUBLE, {}), ("n_prints", DataType.INT64, {}),
                   ("checksum", DataType.VARCHAR, {"max_length": 64})], None),
        "prints": ([("id", DataType.INT64, {}), ("hash", DataType.INT64, {}),
                    ("ref", DataType.INT64, {}), ("tick", DataType.INT64, {}),
                    ("ver", DataType.INT64, {})], "hash"),
    }


def write(client: Any, tables: dict[str, str], key: int, content_hash: str,
          prints: AudioPrints, placeholder: list[float]) -> None:
    """Upsert the print rows of reference `key`, then its audio row."""
    ids = print_ids(content_hash, prints.version, len(prints)).tolist()
    hashes = np.asarray(prints.hashes, np.int64).tolist()
    ticks = np.asarray(prints.ticks, np.int64).tolist()
    ver = version_tag(prints.version)
    for lo in range(0, len(ids), WRITE_BATCH):
        client.upsert(tables["prints"], [
            {"id": ids[i], "hash": hashes[i], "ref": key, "tick": ticks[i], "ver": ver,
             "v": placeholder} for i in range(lo, min(lo + WRITE_BATCH, len(ids)))])
    client.upsert(tables["audio"], [
        {"key": key, "version": prints.version, "tick_s": float(prints.tick_s),
         "n_prints": len(prints), "checksum": checksum(prints), "v": placeholder}])


def delete(client: Any, tables: dict[str, str], key: int) -> None:
    """Remove reference `key`'s audio row and prints (after its reference row)."""
    client.delete(tables["audio"], filter=f"key == {int(key)}")
    client.delete(tables["prints"], filter=f"ref == {int(key)}")


def hits(client: Any, tables: dict[str, str], hashes: np.ndarray, version: str
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash uint32[m], reference key int64[m], tick int64[m]) of every stored print of
    `version` whose hash is in `hashes`, committed or not (the caller filters)."""
    values = np.unique(np.asarray(hashes, np.int64)).tolist()
    ver = version_tag(version)
    rows: list[tuple[int, int, int]] = []
    for lo in range(0, len(values), LOOKUP_BATCH):
        chunk = values[lo:lo + LOOKUP_BATCH]
        it = client.query_iterator(tables["prints"], batch_size=READ_BATCH,
                                   filter=f"ver == {ver} and hash in {chunk}",
                                   output_fields=["hash", "ref", "tick"])
        try:
            while batch := it.next():
                rows += [(r["hash"], r["ref"], r["tick"]) for r in batch]
        finally:
            it.close()
    if not rows:
        return _EMPTY
    arr = np.asarray(rows, np.int64)
    return arr[:, 0].astype(np.uint32), arr[:, 1], arr[:, 2]


def facts(client: Any, tables: dict[str, str], version: str, committed: set[int]
          ) -> dict[str, int]:
    """References with prints of `version` and their count, and references with prints of
    another version, among the `committed` reference keys (`vidtrace info`)."""
    it = client.query_iterator(tables["audio"], batch_size=4096, filter="key >= 0",
                               output_fields=["key", "version", "n_prints"])
    out = {"references": 0, "prints": 0, "other_version": 0}
    try:
        while batch := it.next():
            for r in batch:
                if int(r["key"]) not in committed:
                    continue
                if r["version"] == version:
                    out["references"] += 1
                    out["prints"] += int(r["n_prints"])
                else:
                    out["other_version"] += 1
    finally:
        it.close()
    return out
