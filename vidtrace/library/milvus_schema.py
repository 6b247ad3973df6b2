"""The Milvus layout of a library (stage 3, library; used by milvus.py): collections, keys,
index parameters, the small key/value table that holds the manifest, and a client whose failures
are LibraryErrors.

A library NAME is six collections in one Milvus database (docs/scale.md):

    NAME_meta     key/value rows: the manifest (JSON), a learned descriptor's state (chunks)
    NAME_refs     one row per reference: id, path, content hash, duration, rate, descriptor,
                  frame count, checksums; written last, so it is the reference's commit marker
    NAME_frames   one row per sampled frame: reference key, frame number, time, vector (the
                  searched collection, with the index declared when it is created)
    NAME_fine     the same for fine-rate frames (a library with a fine rate only)
    NAME_audio, NAME_prints   audio prints (milvus_prints.py)

Keys come from content, never from a counter, so two writers adding the same file write the
same rows (upserts) and no writer has to ask another for a number: a reference's key is the
first 60 bits of its file's sha256, a frame's primary key a 63-bit hash of (content hash, frame
number). Milvus needs a vector field in every collection: the meta and refs collections carry a
2-d placeholder.
"""

import hashlib
import json
from typing import Any

import numpy as np

from vidtrace.errors import LibraryError
from vidtrace.library.index import pq_codes
from vidtrace.library.manifest import Manifest
from vidtrace.settings import IndexType
from vidtrace.types import Reference

MANIFEST_KEY = "manifest"  # the meta row holding the manifest (JSON)
KEY_HEX = 15  # 60 bits of the content hash: a reference key; collisions ~ n^2 / 2^61
PLACEHOLDER_DIM = 2
SEGMENT_LISTS = 1024  # inverted lists of an IVF index (Milvus builds one index per segment)
STATE_CHUNK = 60_000  # characters of a meta value (VARCHAR holds at most 65,535)
WRITE_BATCH = 2_000  # frame rows sent in one request (about 4 MB of 512-d vectors)
READ_BATCH = 8_192  # frame rows asked for in one query (a server returns at most 16,384)

REF_FIELDS = ["key", "video_id", "path", "content_hash", "duration", "fps", "descriptor",
              "n_frames", "checksum", "fine_fps", "fine_frames", "fine_checksum"]


def collection_names(name: str) -> dict[str, str]:
    return {part: f"{name}_{part}"
            for part in ("meta", "refs", "frames", "fine", "audio", "prints")}


def reference_key(content_hash: str) -> int:
    """The store key of the reference whose file has sha256 `content_hash` (hex)."""
    return int(content_hash[:KEY_HEX], 16)


def frame_ids(content_hash: str, n_frames: int) -> list[int]:
    """Primary keys of a reference's frame rows: the same for every writer of that content."""
    out = []
    for i in range(n_frames):
        digest = hashlib.blake2b(f"{content_hash}:{i}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little") & ((1 << 63) - 1))
    return out


def stored_vectors(vectors: np.ndarray) -> np.ndarray:
    """`vectors` as the folder store's catalog keeps them (float16, read back as float32), so
    both stores hold and search the same numbers."""
    return np.asarray(vectors, np.float16).astype(np.float32)


def index_spec(setting: str, dim: int, server: bool) -> tuple[str, dict[str, Any]]:
    """(Milvus index type, build params) of the frames collection, fixed when it is created
    (an index built later on a large collection was seen to hang milvus-lite). flat: FLAT
    (exact); ivfpq: IVF_PQ with the folder store's code size; auto: exact FLAT embedded
    (milvus-lite libraries are one machine's, like the folder store's flat index) and IVF_SQ8
    on a server (a byte per dimension; Milvus indexes each sealed segment on its own and
    searches small ones exhaustively)."""
    kind = IndexType(setting)
    if kind is IndexType.FLAT or (kind is IndexType.AUTO and not server):
        return "FLAT", {}
    if kind is IndexType.IVFPQ:
        return "IVF_PQ", {"nlist": SEGMENT_LISTS, "m": pq_codes(dim), "nbits": 8}
    return "IVF_SQ8", {"nlist": SEGMENT_LISTS}


def search_params(nprobe: int) -> dict[str, Any]:
    """`QuerySettings.nprobe` as Milvus's search parameter (ignored by FLAT)."""
    return {"metric_type": "IP", "params": {"nprobe": max(1, min(nprobe, SEGMENT_LISTS))}}


def create_collections(client: Any, name: str, dim: int, index: tuple[str, dict[str, Any]],
                       fine: bool, server: bool) -> None:
    """Create whichever of the library's collections are missing (idempotent: a second
    creator finds them made)."""
    from pymilvus import DataType

    names = collection_names(name)

    def make(part: str, fields: list[tuple[str, Any, dict[str, Any]]], vdim: int,
             kind: str, params: dict[str, Any]) -> None:
        make_collection(client, names[part], fields, vdim, kind, params)

    text = DataType.VARCHAR
    make("meta", [("key", text, {"max_length": 256}),
                  ("value", text, {"max_length": 65_535})], PLACEHOLDER_DIM, "FLAT", {})
    make("refs", [("key", DataType.INT64, {}), ("video_id", text, {"max_length": 1024}),
                  ("path", text, {"max_length": 4096}), ("content_hash", text, {"max_length": 64}),
                  ("duration", DataType.DOUBLE, {}), ("fps", DataType.DOUBLE, {}),
                  ("descriptor", text, {"max_length": 512}), ("n_frames", DataType.INT64, {}),
                  ("checksum", text, {"max_length": 64}), ("fine_fps", DataType.DOUBLE, {}),
                  ("fine_frames", DataType.INT64, {}),
                  ("fine_checksum", text, {"max_length": 64})], PLACEHOLDER_DIM, "FLAT", {})
    frame_fields: list[tuple[str, Any, dict[str, Any]]] = [
        ("id", DataType.INT64, {}), ("ref", DataType.INT64, {}),
        ("frame", DataType.INT64, {}), ("t", DataType.DOUBLE, {})]
    make("frames", frame_fields, dim, *index)
    if fine:
        make("fine", frame_fields, dim, "FLAT", {})
    create_audio_collections(client, name, server)


def create_audio_collections(client: Any, name: str, server: bool) -> None:
    """Create the audio prints' collections (milvus_prints.py) when missing: with a library,
    or when a writer first opens a library made before them. The hash lookup's scalar index
    is INVERTED embedded (the one milvus-lite has) and STL_SORT on a server (numeric, in
    every Milvus 2.x)."""
    from vidtrace.library import milvus_prints

    names = collection_names(name)
    for part, (fields, indexed) in milvus_prints.schemas().items():
        scalar = (indexed, "STL_SORT" if server else "INVERTED") if indexed else None
        make_collection(client, names[part], fields, PLACEHOLDER_DIM, "FLAT", {}, scalar)


def make_collection(client: Any, table: str, fields: list[tuple[str, Any, dict[str, Any]]],
                    vdim: int, kind: str, params: dict[str, Any],
                    scalar: tuple[str, str] | None = None) -> None:
    """Create collection `table` unless it exists: `fields` (the first the primary key), a
    vector `v` of `vdim` with index `kind`, and a `scalar` (field, index type) index."""
    from pymilvus import DataType, MilvusClient

    if client.has_collection(table):
        return
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    for i, (field, dtype, extra) in enumerate(fields):
        schema.add_field(field, dtype, is_primary=i == 0, **extra)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=vdim)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="v", index_type=kind, metric_type="IP", params=params)
    if scalar is not None:
        index_params.add_index(field_name=scalar[0], index_type=scalar[1])
    client.create_collection(table, schema=schema, index_params=index_params,
                             consistency_level="Strong")


def expr(template: str, **values: int | str | list[int] | list[str]) -> str:
    """A Milvus filter expression: `template` with `{name}` replaced by each value as a
    literal (integers as they are, strings quoted and escaped, lists in brackets)."""

    def literal(v: int | str | list[int] | list[str]) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(literal(x) for x in v) + "]"
        if isinstance(v, str):
            return json.dumps(v)  # double quotes, backslash escapes: Milvus's string literal
        return str(int(v))

    return template.format(**{k: literal(v) for k, v in values.items()})


def load_collections(client: Any, name: str) -> None:
    """Load the library's collections for reading (a server, or a reopened milvus-lite file,
    keeps them released until asked)."""
    for table in collection_names(name).values():
        if client.has_collection(table):
            client.load_collection(table)


def placeholder() -> list[float]:
    return [0.0] * PLACEHOLDER_DIM


def put_meta(client: Any, name: str, key: str, value: str) -> None:
    """Store text `value` under `key` (cut in chunks `key#0`, `key#1`, ... and a count row)."""
    table = collection_names(name)["meta"]
    chunks = [value[i:i + STATE_CHUNK] for i in range(0, len(value), STATE_CHUNK)] or [""]
    client.upsert(table, [{"key": f"{key}#{i}", "value": c, "v": placeholder()}
                          for i, c in enumerate(chunks)])
    client.upsert(table, [{"key": key, "value": json.dumps({"chunks": len(chunks)}),
                           "v": placeholder()}])


def get_meta(client: Any, name: str, key: str) -> str | None:
    """The text stored under `key`, or None when there is none."""
    table = collection_names(name)["meta"]
    head = client.query(table, filter=expr("key == {k}", k=key),
                        output_fields=["value"])
    if not head:
        return None
    n = int(json.loads(head[0]["value"])["chunks"])
    keys = [f"{key}#{i}" for i in range(n)]
    rows = client.query(table, filter=expr("key in {ks}", ks=keys),
                        output_fields=["key", "value"])
    parts = {r["key"]: r["value"] for r in rows}
    if len(parts) != n:
        return None
    return "".join(parts[k] for k in keys)


class Client:
    """A pymilvus client whose failures are LibraryErrors naming the library."""

    def __init__(self, client: Any, where: str) -> None:
        self._client, self._where = client, where

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception as e:  # pymilvus and grpc errors have no common base
                if isinstance(e, LibraryError):
                    raise
                raise LibraryError(f"{self._where}: Milvus failed ({reason(e)}); check the "
                                   "server (docs/scale.md) and run again") from e

        return call


def reason(e: Exception) -> str:
    """The first line of a Milvus or grpc error, for one-line messages."""
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__


def stored_manifest(client: Any, text: str, name: str) -> Manifest | None:
    """The manifest of library `name` (at location `text`), or None when there is none."""
    if not client.has_collection(collection_names(name)["meta"]):
        return None
    value = get_meta(client, name, MANIFEST_KEY)
    if value is None:
        return None
    try:
        doc = json.loads(value)
    except json.JSONDecodeError as e:
        raise LibraryError(f"{text}: damaged manifest ({e}); rebuild the library") from e
    return Manifest.from_json(doc, f"{text} manifest", text)


def reference_of(row: dict[str, Any]) -> Reference:
    """A reference row as a Reference."""
    return Reference(int(row["key"]), row["video_id"], row["path"], row["content_hash"],
                     float(row["duration"]), float(row["fps"]), row["descriptor"],
                     int(row["n_frames"]))
