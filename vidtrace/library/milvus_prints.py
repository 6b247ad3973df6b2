"""Audio prints in a Milvus library (stage 3, library; used by milvus.py): the inverted index
of docs/audio.md, beside the frames, in two more collections of the library NAME:

    NAME_audio    one row per reference with sound: its key, the fingerprinter's version, the
                  tick length, the print count and a checksum of the prints
    NAME_prints   one row per print: hash, reference key, tick (a scalar index on the hash
                  where the server builds one; milvus-lite scans)

A reference's prints and audio row are written before its reference row (the commit marker,
milvus.py) and removed after it, so a lookup never returns prints of a reference that is not
committed whole: hits on keys without a committed reference, or whose audio row is of another
version, are dropped. Primary keys come from content (a 63-bit hash of the content hash and the
print's number), so two writers of one file write the same rows. Libraries made before these
collections existed gain them on their next addition.
"""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from vidtrace.library import milvus_schema as ms
from vidtrace.library.catalog import blob_checksum
from vidtrace.types import AudioPrints

LOOKUP_CHUNK = 1_000  # hashes in one filter expression
PAGE = 16_384  # rows of one lookup request (a server returns at most 16,384): a chunk whose
# hashes hold more is asked again in halves; one hash held by more prints than that (a sound
# common to thousands of hours of references) gives its first PAGE, which is no loss: such a
# hash says little about which reference a query sounds like


def names(name: str) -> dict[str, str]:
    return {"audio": f"{name}_audio", "prints": f"{name}_prints"}


def ensure_collections(client: Any, name: str) -> None:
    """Create the library's audio collections where missing (idempotent) and load them."""
    from pymilvus import DataType, MilvusClient

    tables = names(name)
    fields: dict[str, list[tuple[str, Any, dict[str, Any]]]] = {
        "audio": [("key", DataType.INT64, {}), ("version", DataType.VARCHAR, {"max_length": 256}),
                  ("tick_s", DataType.DOUBLE, {}), ("n_prints", DataType.INT64, {}),
                  ("checksum", DataType.VARCHAR, {"max_length": 64})],
        "prints": [("id", DataType.INT64, {}), ("hash", DataType.INT64, {}),
                   ("ref", DataType.INT64, {}), ("tick", DataType.INT64, {})]}
    for part, columns in fields.items():
        if client.has_collection(tables[part]):
            continue
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        for i, (field, dtype, extra) in enumerate(columns):
            schema.add_field(field, dtype, is_primary=i == 0, **extra)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=ms.PLACEHOLDER_DIM)
        index = client.prepare_index_params()
        index.add_index(field_name="v", index_type="FLAT", metric_type="IP")
        client.create_collection(tables[part], schema=schema, index_params=index,
                                 consistency_level="Strong")
    for table in tables.values():
        client.load_collection(table)


def exists(client: Any, name: str) -> bool:
    return bool(client.has_collection(names(name)["prints"]))


def checksum(prints: AudioPrints) -> str:
    return blob_checksum(np.asarray(prints.hashes, np.uint32).tobytes(),
                         np.asarray(prints.ticks, np.int32).tobytes())


def write(client: Any, name: str, key: int, content_hash: str, prints: AudioPrints) -> None:
    """Store the prints of reference `key` (content `content_hash`), then its audio row."""
    tables = names(name)
    h = np.asarray(prints.hashes, np.int64).tolist()
    t = np.asarray(prints.ticks, np.int64).tolist()
    ids = ms.frame_ids(content_hash + ":audio", len(h))
    for lo in range(0, len(h), ms.WRITE_BATCH * 4):
        hi = min(lo + ms.WRITE_BATCH * 4, len(h))
        client.upsert(tables["prints"], [{"id": ids[i], "hash": h[i], "ref": key, "tick": t[i],
                                          "v": ms.placeholder()} for i in range(lo, hi)])
    client.upsert(tables["audio"], [{"key": key, "version": prints.version,
                                     "tick_s": float(prints.tick_s), "n_prints": len(h),
                                     "checksum": checksum(prints), "v": ms.placeholder()}])


def delete(client: Any, name: str, key: int) -> None:
    """Remove the audio row and the prints of reference `key` (after its reference row)."""
    if not exists(client, name):
        return
    tables = names(name)
    client.delete(tables["audio"], filter=ms.expr("key == {k}", k=key))
    client.delete(tables["prints"], filter=ms.expr("ref == {k}", k=key))


def versions(client: Any, name: str, keys: list[int]) -> dict[int, str]:
    """{reference key: the version of its prints} of those of `keys` with an audio row."""
    if not keys or not exists(client, name):
        return {}
    rows = client.query(names(name)["audio"], filter=ms.expr("key in {ks}", ks=keys),
                        output_fields=["key", "version"])
    return {int(r["key"]): str(r["version"]) for r in rows}


def lookup(client: Any, name: str, hashes: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash uint32[m], reference key int64[m], tick int64[m]) of every stored print with a
    hash in `hashes`, whatever its reference's state (the caller filters)."""
    if not exists(client, name):
        return np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64)
    values = np.unique(np.asarray(hashes, np.int64)).tolist()
    rows: list[tuple[int, int, int]] = []
    chunks = [values[i:i + LOOKUP_CHUNK] for i in range(0, len(values), LOOKUP_CHUNK)]
    while chunks:
        chunk = chunks.pop()
        page = client.query(names(name)["prints"], filter=ms.expr("hash in {hs}", hs=chunk),
                            output_fields=["hash", "ref", "tick"], limit=PAGE)
        if len(page) >= PAGE and len(chunk) > 1:  # maybe cut short: ask in two halves
            chunks += [chunk[:len(chunk) // 2], chunk[len(chunk) // 2:]]
            continue
        rows.extend((int(r["hash"]), int(r["ref"]), int(r["tick"])) for r in page)
    if not rows:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64)
    arr = np.asarray(rows, np.int64)
    return arr[:, 0].astype(np.uint32), arr[:, 1], arr[:, 2]


def hits(client: Any, name: str, hashes: np.ndarray, version: str,
         committed: Callable[[list[int]], Mapping[int, object]]
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`lookup`'s prints of the references `committed(keys)` holds whose prints are of
    fingerprinter `version` (the store's `print_hits`)."""
    h, keys, ticks = lookup(client, name, hashes)
    found = sorted(set(keys.tolist()))
    of = versions(client, name, found)
    live = [k for k in committed(found) if of.get(k) == version]
    keep = np.isin(keys, np.asarray(live, np.int64))
    return h[keep], keys[keep], ticks[keep]


def facts(client: Any, name: str, version: str, committed: set[int]) -> dict[str, int]:
    """References (of `committed`) with prints of `version` and their print count, and those
    with prints of another version (`vidtrace info`)."""
    out = {"references": 0, "prints": 0, "other_version": 0}
    if not committed or not exists(client, name):
        return out
    rows = client.query(names(name)["audio"], filter=ms.expr("key in {ks}", ks=sorted(committed)),
                        output_fields=["version", "n_prints"])
    for r in rows:
        if r["version"] == version:
            out["references"] += 1
            out["prints"] += int(r["n_prints"])
        else:
            out["other_version"] += 1
    return out

