"""The Milvus store: a library in Milvus (stage 3, library), for libraries that outgrow one
machine (`milvus://HOST:PORT/NAME`) or embedded (`milvus-lite://PATH.db`); needs the
[milvus] extra. The layout is milvus_schema.py's; how several writers stay safe without a lock
of ours is docs/scale.md's:

- keys come from content (a reference's key is its file's sha256), rows are upserted, so adding
  the same file twice, or from two writers at once, writes the same rows;
- a reference's row is written after all its frames and removed before them: it is the commit
  marker, and hits on frames without a committed reference are dropped;
- two writers giving one id to different content both write, then look: a writer that finds
  its id held twice takes its own reference back out and fails with one line.

Audio prints live in two more collections (milvus_prints.py), written before the reference
row and removed after it, like frames. Reads see each reference whole or not at all (its
checksum is verified); `snapshot()` reads the committed reference rows once, and the query in
it sees that set of references only.
"""

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.audio import PRINT_VERSION
from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import LibraryError
from vidtrace.library import milvus_prints
from vidtrace.library import milvus_schema as ms
from vidtrace.library.catalog import blob_checksum
from vidtrace.library.manifest import FORMAT_VERSION, Manifest
from vidtrace.settings import Metric
from vidtrace.types import FrameHits, FrameSet, Reference

MANIFEST_KEY = ms.MANIFEST_KEY
STATE_KEY = "descriptor-state"


def _checksum(times: np.ndarray, vectors: np.ndarray) -> str:
    return blob_checksum(np.asarray(times, np.float64).tobytes(),
                         np.asarray(vectors, np.float16).tobytes())


class MilvusStore:
    """A library in Milvus; `create` or `open` it with a MilvusLocation (locate.py)."""

    def __init__(self, location: Any, client: Any, manifest: Manifest) -> None:
        self.location = location.text
        self.name = location.name
        self.server = location.server
        self.client = client
        self.manifest = manifest
        self.tables = ms.collection_names(location.name)
        self._writing = False
        self._snapshot: dict[int, Reference] | None = None  # inside snapshot(): the refs
        # a library made before audio prints were kept in Milvus has no prints collections
        self._audio = client.has_collection(self.tables["prints"])

    # ---- lifecycle -----------------------------------------------------------------------

    @classmethod
    def connect(cls, location: Any) -> Any:
        try:
            from pymilvus import MilvusClient
            # failures become one-line LibraryErrors here; pymilvus would log each as well
            logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
        except ImportError as e:
            raise LibraryError(f"{location.text}: a Milvus library needs the [milvus] extra; "
                               "pip install 'vidtrace[milvus]'") from e
        try:
            client = MilvusClient(location.uri)
        except Exception as e:  # pymilvus raises its own and grpc's errors
            raise LibraryError(f"{location.text}: cannot reach Milvus ({ms.reason(e)}); start the "
                               "server or check the address (docs/scale.md)") from e
        return ms.Client(client, location.text)

    @classmethod
    def create(cls, location: Any, manifest: Manifest, exist_ok: bool = False
               ) -> "MilvusStore":
        """Make the library's collections and store `manifest`; with `exist_ok`, a library
        already there (made before, or by another process first) is opened instead."""
        if not location.server:
            try:
                Path(location.uri).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise LibraryError(f"{location.text}: cannot make its folder ({e.strerror or e});"
                                   " choose a folder you can write") from e
        client = cls.connect(location)
        try:
            ms.load_collections(client, location.name)  # a library already there
            stored = ms.stored_manifest(client, location.text, location.name)
            if stored is not None:
                if not exist_ok:
                    raise LibraryError(f"{location.text}: already holds a library; open it "
                                       "instead")
                return cls(location, client, stored)
            if manifest.metric == Metric.HAMMING:
                raise LibraryError(f"{location.text}: binary descriptors ({manifest.descriptor})"
                                   " are kept in folder libraries only; choose a float "
                                   "descriptor such as sscd for a Milvus library")
            spec = ms.index_spec(manifest.settings.index_type, manifest.dim, location.server)
            ms.create_collections(client, location.name, manifest.dim, spec,
                                  manifest.settings.fine_fps > 0, location.server)
            ms.put_meta(client, location.name, "index", json.dumps(
                {"kind": spec[0], "params": spec[1]}))
            ms.put_meta(client, location.name, MANIFEST_KEY, json.dumps(manifest.to_json()))
            # a racing creator's, if it was last
            stored = ms.stored_manifest(client, location.text, location.name)
            return cls(location, client, stored or manifest)
        except Exception:
            client.close()
            raise

    @classmethod
    def open(cls, location: Any) -> "MilvusStore":
        if not location.server and not Path(location.uri).exists():  # opening would make it
            raise LibraryError(f"{location.text}: no vidtrace library there; create it with "
                               "`vidtrace index LIB VIDEO...`")
        client = cls.connect(location)
        ms.load_collections(client, location.name)
        stored = ms.stored_manifest(client, location.text, location.name)
        if stored is None:
            client.close()
            raise LibraryError(f"{location.text}: no vidtrace library there; create it with "
                               "`vidtrace index LIB VIDEO...`")
        return cls(location, client, stored)

    def close(self) -> None:
        self.client.close()

    # ---- reading -------------------------------------------------------------------------

    def _refs(self, filter: str, params: dict[str, Any]) -> list[Reference]:
        rows = self.client.query(self.tables["refs"], filter=ms.expr(filter, **params),
                                 output_fields=ms.REF_FIELDS)
        return [ms.reference_of(r) for r in rows]

    def references(self) -> list[Reference]:
        it = self.client.query_iterator(self.tables["refs"], batch_size=4096, filter="key >= 0",
                                        output_fields=ms.REF_FIELDS)
        out: list[Reference] = []
        try:
            while batch := it.next():
                out += [ms.reference_of(r) for r in batch]
        finally:
            it.close()
        return sorted(out, key=lambda r: r.video_id)

    def find(self, *, video_id: str | None = None, content_hash: str | None = None
             ) -> Reference | None:
        if video_id is not None:
            found = self._refs("video_id == {v}", {"v": video_id})
        else:
            found = self._refs("key == {k} and content_hash == {h}",
                               {"k": ms.reference_key(str(content_hash)), "h": content_hash})
        return min(found, key=lambda r: r.key) if found else None

    def _committed(self, keys: list[int]) -> dict[int, Reference]:
        """The committed references among `keys`: inside `snapshot()`, those committed when it
        began; outside, those committed now."""
        if self._snapshot is not None:
            return {k: self._snapshot[k] for k in keys if k in self._snapshot}
        found = {r.key: r for r in self._refs("key in {ks}", {"ks": keys})} if keys else {}
        return {k: found[k] for k in keys if k in found}

    def reference(self, key: int) -> Reference:
        ref = self._committed([int(key)]).get(int(key))
        if ref is None:
            raise LibraryError(f"{self.location}: no reference with key {key}; it was removed "
                               "meanwhile: query again")
        return ref

    def print_hits(self, hashes: np.ndarray, version: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prints of committed references only (milvus_prints.py)."""
        if not self._audio or not len(hashes):
            empty = np.zeros(0, np.int64)
            return np.zeros(0, np.uint32), empty, empty.copy()
        h, keys, ticks = milvus_prints.hits(self.client, self.tables, hashes, version)
        committed = self._committed(np.unique(keys).tolist())
        keep = np.isin(keys, np.fromiter(committed, np.int64, len(committed)))
        return h[keep], keys[keep], ticks[keep]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One set of references for the block: the reference rows committed when it begins
        are read once (one round trip per 4,096 references), and every hit (frames, prints)
        of a reference outside that set is dropped, so references another process adds
        meanwhile stay invisible. One removed meanwhile whose frames are then read fails
        with "query again" (Milvus keeps no old versions to read)."""
        if self._snapshot is not None:
            yield
            return
        self._snapshot = {r.key: r for r in self.references()}
        try:
            yield
        finally:
            self._snapshot = None

    def search(self, vectors: np.ndarray, k: int, nprobe: int, ef_search: int = 0
               ) -> FrameHits:
        """`ef_search` is for hnsw folder indexes; Milvus's own index takes `nprobe`."""
        if not len(vectors):
            return FrameHits.empty()
        rows = self.client.search(self.tables["frames"], data=list(np.asarray(vectors,
                                  np.float32)), limit=k, anns_field="v",
                                  search_params=ms.search_params(nprobe),
                                  output_fields=["ref", "frame"])
        q, keys, frames, sims = [], [], [], []
        for i, hits in enumerate(rows):
            for h in hits:
                q.append(i)
                keys.append(int(h["entity"]["ref"]))
                frames.append(int(h["entity"]["frame"]))
                sims.append(float(h["distance"]))
        hits = FrameHits(np.asarray(q, np.int64), np.asarray(keys, np.int64),
                         np.asarray(frames, np.int64), np.asarray(sims, np.float32))
        committed = self._committed(sorted(set(keys)))  # drop frames of uncommitted refs
        return hits.select(np.isin(hits.ref_key, np.fromiter(committed, np.int64)))

    def _read_frames(self, table: str, key: int, n: int, checksum: str
                     ) -> tuple[np.ndarray, np.ndarray]:
        rows: list[dict[str, Any]] = []
        for lo in range(0, max(n, 1), ms.READ_BATCH):
            where = ms.expr("ref == {k} and frame >= {lo} and frame < {hi}", k=key, lo=lo,
                            hi=lo + ms.READ_BATCH)
            rows += self.client.query(self.tables[table], filter=where,
                                      output_fields=["frame", "t", "v"], limit=ms.READ_BATCH)
        rows.sort(key=lambda r: r["frame"])
        times = np.array([r["t"] for r in rows], np.float64)
        vectors = np.array([r["v"] for r in rows], np.float32).reshape(len(rows),
                                                                       self.manifest.dim)
        if len(rows) != n or _checksum(times, vectors) != checksum:
            raise LibraryError(f"{self.location}: the stored {table} of reference key {key} do "
                               "not match their checksum (changed meanwhile, or damaged); "
                               "query again, or remove and add the reference again")
        return times, vectors

    def frames(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        ref = self.reference(key)
        row = self._ref_row(ref.key)
        return self._read_frames("frames", ref.key, ref.n_frames, row["checksum"])

    def fine_frames(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        if self.manifest.settings.fine_fps <= 0:
            return None
        row = self._ref_row(self.reference(key).key)
        return self._read_frames("fine", int(key), int(row["fine_frames"]),
                                 row["fine_checksum"])

    def _ref_row(self, key: int) -> dict[str, Any]:
        rows = self.client.query(self.tables["refs"], filter=ms.expr("key == {k}", k=key),
                                 output_fields=ms.REF_FIELDS)
        if not rows:
            raise LibraryError(f"{self.location}: reference key {key} was removed meanwhile; "
                               "query again")
        return dict(rows[0])

    # ---- writing -------------------------------------------------------------------------

    @contextmanager
    def writing(self, wait: float = 0.0, on_wait: Callable[[str], None] | None = None
                ) -> Iterator[None]:
        """A write session. Milvus has no lock of ours: writes are safe by design (module
        docstring); the manifest is read again, as another writer may have changed it."""
        if self._writing:
            yield
            return
        self.manifest = ms.stored_manifest(self.client, self.location, self.name) or self.manifest
        if not self._audio:
            ms.create_audio_collections(self.client, self.name, self.server)
            self._audio = True
        self._writing = True
        try:
            yield
        finally:
            self._writing = False

    def _check_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("library changes need a write session: `with store.writing():`")

    def _upsert_frames(self, table: str, key: int, content_hash: str, frames: FrameSet
                       ) -> tuple[int, str]:
        vectors = ms.stored_vectors(frames.vectors)
        ids = ms.frame_ids(content_hash + (":fine" if table == "fine" else ""), len(frames))
        for lo in range(0, len(frames), ms.WRITE_BATCH):
            hi = min(lo + ms.WRITE_BATCH, len(frames))
            self.client.upsert(self.tables[table], [
                {"id": ids[i], "ref": key, "frame": i, "t": float(frames.times[i]),
                 "v": vectors[i]} for i in range(lo, hi)])
        return len(frames), _checksum(frames.times, vectors)

    def add(self, ref: Reference, frames: FrameSet, fine: FrameSet | None,
            prints: Any = None) -> Reference:
        """Store one reference: its frames, its fine frames, its audio prints, then its row
        (the commit)."""
        self._check_writing()
        key = ms.reference_key(ref.content_hash)
        n, checksum = self._upsert_frames("frames", key, ref.content_hash, frames)
        fine_n, fine_checksum = (0, "")
        if fine is not None and self.manifest.settings.fine_fps > 0:
            fine_n, fine_checksum = self._upsert_frames("fine", key, ref.content_hash, fine)
        if prints is not None and len(prints):
            milvus_prints.write(self.client, self.tables, key, ref.content_hash, prints,
                                ms.placeholder())
        stored = replace(ref, key=key, n_frames=n)
        self.client.upsert(self.tables["refs"], [{
            "key": key, "video_id": ref.video_id, "path": ref.path,
            "content_hash": ref.content_hash, "duration": float(ref.duration),
            "fps": float(ref.fps), "descriptor": ref.descriptor, "n_frames": n,
            "checksum": checksum, "fine_fps": float(self.manifest.settings.fine_fps),
            "fine_frames": fine_n, "fine_checksum": fine_checksum, "v": ms.placeholder()}])
        rivals = [r for r in self._refs("video_id == {v}", {"v": ref.video_id}) if r.key != key]
        if rivals:  # another writer gave this id to other content meanwhile: step back
            self._delete(key)
            raise LibraryError(f"{ref.path}: id {ref.video_id!r} is already used by "
                               f"{rivals[0].path} (other content); give another id with --id, "
                               "or remove the old one with `vidtrace remove`")
        return stored

    def _delete(self, key: int) -> None:
        self.client.delete(self.tables["refs"], filter=ms.expr("key == {k}", k=key))
        for table in ("frames", "fine"):  # after the commit marker is gone
            if table == "frames" or self.manifest.settings.fine_fps > 0:
                self.client.delete(self.tables[table], filter=ms.expr("ref == {k}", k=key))
        if self._audio:
            milvus_prints.delete(self.client, self.tables, key)

    def remove(self, video_id: str) -> Reference:
        self._check_writing()
        found = self._refs("video_id == {v}", {"v": video_id})
        if not found:
            raise LibraryError(f"no reference video with id {video_id!r} in {self.location}")
        for ref in found:
            self._delete(ref.key)
        return found[0]

    def set_manifest(self, manifest: Manifest) -> None:
        self._check_writing()
        ms.put_meta(self.client, self.name, MANIFEST_KEY, json.dumps(manifest.to_json()))
        self.manifest = manifest

    def settle(self, timeout_s: float = 600.0) -> None:
        """Seal what was written and wait until the frames' index covers it (Milvus indexes
        sealed segments; growing ones are searched exhaustively): for measurements. Covered
        means every row is in an indexed segment; `pending_index_rows` is not waited for: on a
        large collection (3.6 million rows, Milvus 2.3.5) the server keeps compacting indexed
        segments into larger ones and indexing those again for many minutes, and the old
        segments serve searches meanwhile."""
        import time

        table = self.tables["frames"]
        self.client.flush(table)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.client.describe_index(table, "v")
            if int(state.get("indexed_rows", 0)) >= int(state.get("total_rows", 0)):
                return
            time.sleep(0.5)
        raise LibraryError(f"{self.location}: the index did not cover every frame within "
                           f"{timeout_s:.0f} s")

    # ---- the descriptor ------------------------------------------------------------------

    def load_descriptor(self, threads: int) -> Descriptor:
        from vidtrace.descriptors import create_descriptor

        m = self.manifest
        d = create_descriptor(m.descriptor, threads)
        state = ms.get_meta(self.client, self.name, STATE_KEY) if d.trainable else None
        if state is not None:
            with np.load(io.BytesIO(bytes.fromhex(state))) as data:
                d.load_state({k: data[k] for k in data.files})
            if d.version != m.descriptor_version and not self.references():
                d = create_descriptor(m.descriptor, threads)  # an interrupted first add's
        if d.version != m.descriptor_version:
            raise LibraryError(f"{self.location}: built with descriptor {m.descriptor_version} "
                               f"but the installed one is {d.version}; "
                               f"{d.version_fix(m.descriptor_version)}")
        return d

    def save_descriptor_state(self, descriptor: Descriptor) -> None:
        self._check_writing()
        buf = io.BytesIO()
        np.savez(buf, **descriptor.state())  # type: ignore[arg-type]
        ms.put_meta(self.client, self.name, STATE_KEY, buf.getvalue().hex())
        self.set_manifest(replace(self.manifest, descriptor_version=descriptor.version))

    # ---- facts ---------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Facts for `vidtrace info` (bytes: the frame vectors' raw size, an estimate)."""
        m = self.manifest
        videos = self.references()
        frames = sum(v.n_frames for v in videos)
        index = json.loads(ms.get_meta(self.client, self.name, "index") or "{}")
        hours = sum(v.duration for v in videos) / 3600
        size = frames * (m.dim * 4 + 32)
        return {
            "format_version": FORMAT_VERSION, "id": m.library_id, "generation": None,
            "backend": "milvus" if self.server else "milvus-lite",
            "descriptor": m.descriptor, "descriptor_version": m.descriptor_version,
            "dim": m.dim, "metric": m.metric.value,
            "settings": m.settings.to_dict() | {"query": m.query.to_dict()},
            "videos": len(videos), "frames": frames,
            "index": {"kind": index.get("kind", "?"),
                      "lists": index.get("params", {}).get("nlist", 0), "vectors": frames},
            "audio": {"version": PRINT_VERSION} | (milvus_prints.facts(
                self.client, self.tables, PRINT_VERSION, {v.key for v in videos})
                if self._audio else {"references": 0, "prints": 0, "other_version": 0}),
            "hours": hours, "bytes": size, "bytes_per_hour": size / hours if hours else 0.0,
            "references": [
                {"id": v.video_id, "path": v.path, "duration": v.duration, "frames": v.n_frames,
                 "content_hash": v.content_hash} for v in videos
            ],
        }
