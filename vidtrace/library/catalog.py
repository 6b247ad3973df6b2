"""The SQLite catalog: the library's source of truth (stage 3, library).

One row per reference video: its id, source path, content hash, duration, sampling rate,
descriptor, and its frame rows as two blobs (times float64[T], vectors float16[T, d], or for a
binary descriptor packed bits and a content flag, uint8[T, d / 8 + 1]), with a sha256 over both
blobs that is checked whenever they are read. A library with a fine rate
(`LibrarySettings.fine_fps`) also keeps each video's fine-rate rows in `fine_frames`, written in
the same transaction, checksummed the same way, and a video with sound its audio fingerprints
with their inverted index (prints.py, schema 3; a schema-2 catalog is migrated when a writer
opens it, and read as having no prints until then). Every change is one transaction that also
bumps `generation`, so a crash leaves the previous state. `meta` also holds the library's id
(checked against the manifest) and what the last saved index file was (index.py).

The catalog runs in WAL mode: readers see the last committed state while a writer works.
Reading never writes: a library in a read-only folder is opened read-only (immutable when
SQLite could not otherwise open it there). Every SQLite failure is a LibraryError that names
the file and the fix.
"""

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import bits_from_signs, has_content, signs_from_bits
from vidtrace.errors import LibraryError
from vidtrace.library import prints as audio
from vidtrace.types import AudioPrints, Reference

SCHEMA_VERSION = 3
READABLE_VERSIONS = (2, 3)  # 2: before audio fingerprints (migrated by a writer)
CATALOG_FILE = "catalog.sqlite"
BUSY_TIMEOUT_S = 30.0  # a reader waits this long for a writer's commit (WAL: rarely at all)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE videos (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    duration REAL NOT NULL,
    fps REAL NOT NULL,
    descriptor TEXT NOT NULL,
    n_frames INTEGER NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now')),
    times BLOB NOT NULL,
    vectors BLOB NOT NULL,
    checksum TEXT NOT NULL
);
CREATE TABLE fine_frames (
    video_rowid INTEGER PRIMARY KEY REFERENCES videos(rowid) ON DELETE CASCADE,
    fps REAL NOT NULL,
    n_frames INTEGER NOT NULL,
    times BLOB NOT NULL,
    vectors BLOB NOT NULL,
    checksum TEXT NOT NULL
);
"""

_COLUMNS = "rowid, video_id, path, content_hash, duration, fps, descriptor, n_frames"


def blob_checksum(times: bytes, vectors: bytes) -> str:
    """sha256 (hex) of a frame row's two blobs."""
    return hashlib.sha256(len(times).to_bytes(8, "little") + times + vectors).hexdigest()


def _damaged(path: Path, e: Exception) -> LibraryError:
    reason = str(e)
    if "full" in reason:
        return LibraryError(f"{path}: the disk is full ({reason}); free some space and run "
                            "again (the library keeps its last committed state)")
    if "readonly" in reason or "read-only" in reason:
        return LibraryError(f"{path}: cannot be written ({reason}); make the library folder "
                            "writable, or only query it")
    return LibraryError(f"{path}: damaged catalog ({reason}); run `vidtrace check` on the "
                        "library, then `vidtrace repair` or rebuild it from the reference files")


class Catalog:
    """The catalog of the library in `folder`. `binary`: vectors are a binary descriptor's
    +-1/sqrt(d) components, stored as packed bits (descriptors/base.py). Open an existing one
    with `Catalog(folder)`; make a new one with `Catalog.create` (LibraryError when the file is
    missing: a library without its catalog is damaged, never empty). `readonly`: open it so
    nothing is written (a reader)."""

    def __init__(self, folder: Path, binary: bool = False, readonly: bool = False) -> None:
        self.path = folder / CATALOG_FILE
        self.binary = binary
        self.readonly = readonly
        self._lock = threading.RLock()  # one connection, used from the service's threads too
        if not self.path.is_file():
            raise LibraryError(f"{self.path}: the library's catalog is missing; restore it from "
                               "a backup or rebuild the library with `vidtrace index`")
        try:
            self._db = self._connect(folder, readonly)
            version = self._meta("schema_version")
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from e
        if version is None or not version.isdigit() or int(version) not in READABLE_VERSIONS:
            self._db.close()
            raise LibraryError(
                f"{self.path}: catalog schema {version} is not supported (this vidtrace reads "
                f"{SCHEMA_VERSION}); rebuild the library with `vidtrace index` into a new folder")
        self.schema = int(version)
        if self.schema < SCHEMA_VERSION and not readonly:
            self._migrate()

    def _migrate(self) -> None:
        """Schema 2 -> 3: add the (empty) audio tables; the library's references keep no
        prints until they are added again."""
        with self.transaction():
            for statement in audio.AUDIO_SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                             (str(SCHEMA_VERSION),))
        self.schema = SCHEMA_VERSION

    def _connect(self, folder: Path, readonly: bool) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        if readonly:
            wal = self.path.with_name(self.path.name + "-wal")
            # In a folder this process cannot write, SQLite cannot make the WAL index (-shm):
            # open the file as immutable unless a WAL left by a writer must be read.
            wal_empty = not wal.exists() or wal.stat().st_size == 0
            immutable = not os.access(folder, os.W_OK) and wal_empty
            uri += "?immutable=1" if immutable else "?mode=ro"
        db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                             check_same_thread=False)
        if not readonly:
            db.execute("PRAGMA synchronous=FULL")
        return db

    @classmethod
    def create(cls, folder: Path, library_id: str, binary: bool = False) -> "Catalog":
        """A new, empty catalog in `folder` (which must not hold one)."""
        path = folder / CATALOG_FILE
        try:
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA + audio.AUDIO_SCHEMA)
            db.executemany("INSERT INTO meta VALUES (?, ?)",
                           [("schema_version", str(SCHEMA_VERSION)), ("generation", "0"),
                            ("library_id", library_id)])
            db.close()
        except sqlite3.DatabaseError as e:
            raise _damaged(path, e) from e
        return cls(folder, binary)

    # ---- reading -------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:  # type: ignore[type-arg]
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from e

    def _meta(self, key: str) -> str | None:
        with self._lock:
            rows = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchall()
        return None if not rows else str(rows[0][0])

    def meta(self, key: str) -> str | None:
        try:
            return self._meta(key)
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from e

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    @property
    def library_id(self) -> str | None:
        return self.meta("library_id")

    def checkpoint(self, wait_s: float = 1.0) -> None:
        """Fold the write-ahead log into the database file (a writer, when it is done), so a
        reader that cannot write the folder finds everything in the file itself. Waits at
        most `wait_s` for readers still on an older snapshot; if they stay, the log is folded
        by a later writer (a reader is never blocked by this)."""
        with self._lock, suppress(sqlite3.DatabaseError):
            self._db.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        self._db.close()

    def videos(self) -> list[Reference]:
        rows = self._query(f"SELECT {_COLUMNS} FROM videos ORDER BY rowid")
        return [Reference(*r) for r in rows]

    def find(self, *, video_id: str | None = None, content_hash: str | None = None
             ) -> Reference | None:
        key, value = ("video_id", video_id) if video_id is not None else (
            "content_hash", content_hash)
        rows = self._query(f"SELECT {_COLUMNS} FROM videos WHERE {key} = ?", (value,))
        return Reference(*rows[0]) if rows else None

    def record(self, rowid: int) -> Reference:
        """The video with catalog row `rowid` (LibraryError when there is none)."""
        rows = self._query(f"SELECT {_COLUMNS} FROM videos WHERE rowid = ?", (rowid,))
        if not rows:
            raise LibraryError(f"{self.path}: no video with row {rowid}; the index does not "
                               "match the catalog: run `vidtrace repair` on the library")
        return Reference(*rows[0])

    def frames(self, rowid: int) -> tuple[np.ndarray, np.ndarray]:
        """(times float64[T], vectors float32[T, d]) of the video with catalog row `rowid`,
        checked against their checksum."""
        rows = self._query("SELECT times, vectors, n_frames, checksum, video_id FROM videos "
                           "WHERE rowid = ?", (rowid,))
        if not rows:
            raise LibraryError(f"{self.path}: no video with row {rowid}")
        return self._rows(*rows[0])

    def fine_frames(self, rowid: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(times float64[T], vectors float32[T, d]) of the video's fine-rate rows, or None
        when the library keeps none for it."""
        rows = self._query(
            "SELECT f.times, f.vectors, f.n_frames, f.checksum, v.video_id FROM fine_frames f "
            "JOIN videos v ON v.rowid = f.video_rowid WHERE f.video_rowid = ?", (rowid,))
        return self._rows(*rows[0]) if rows else None

    def print_hits(self, hashes: np.ndarray, version: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hash uint32[m], video rowid int64[m], tick int64[m]) of every stored audio print
        of fingerprinter `version` with a hash in `hashes` (none before schema 3)."""
        if self.schema < 3:
            empty = np.zeros(0, np.int64)
            return np.zeros(0, np.uint32), empty, empty
        try:
            with self._lock:
                return audio.print_hits(self._db, hashes, version)
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from e

    def audio_facts(self, version: str) -> dict[str, int]:
        """References with prints of `version` and their print count, and references with
        prints of another version (`vidtrace info`)."""
        if self.schema < 3:
            return {"references": 0, "prints": 0, "other_version": 0}
        try:
            with self._lock:
                return audio.audio_facts(self._db, version)
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from e

    def _rows(self, times: bytes, vectors: bytes, n: int, checksum: str, video_id: str
              ) -> tuple[np.ndarray, np.ndarray]:
        if blob_checksum(times, vectors) != checksum:
            raise LibraryError(f"{self.path}: the stored frames of reference {video_id!r} are "
                               "damaged (checksum mismatch); run `vidtrace repair` on the "
                               "library and add that file again")
        return np.frombuffer(times, dtype=np.float64).copy(), self._vectors(vectors, n)

    def _vectors(self, blob: bytes, n: int) -> np.ndarray:
        if not self.binary:
            return np.frombuffer(blob, dtype=np.float16).reshape(n, -1).astype(np.float32)
        rows = np.frombuffer(blob, dtype=np.uint8).reshape(n, -1)
        vectors = signs_from_bits(np.unpackbits(rows[:, :-1], axis=1))
        vectors[rows[:, -1] == 0] = 0.0
        return vectors

    def _blob(self, vectors: np.ndarray) -> bytes:
        """Binary rows: the packed bits, then one byte 1 (a frame with content) or 0 (the zero
        vector of a frame without, descriptors/base.py)."""
        if self.binary:
            flag = has_content(vectors).astype(np.uint8)[:, None]
            return np.concatenate([bits_from_signs(vectors), flag], axis=1).tobytes()
        return np.asarray(vectors, np.float16).tobytes()

    def stored_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """`vectors` as the catalog gives them back (float16 or bits), float32."""
        return self._vectors(self._blob(vectors), len(vectors))

    def checksums(self) -> Iterator[tuple[str, str, bool]]:
        """(video id, table, checksum holds) of every stored frame row: `vidtrace check`."""
        for table, join in (("videos", "videos v"),
                            ("fine_frames", "fine_frames f JOIN videos v ON "
                             "v.rowid = f.video_rowid")):
            alias = "v" if table == "videos" else "f"
            for video_id, times, vectors, checksum in self._query(
                    f"SELECT v.video_id, {alias}.times, {alias}.vectors, {alias}.checksum "
                    f"FROM {join}"):
                yield video_id, table, blob_checksum(times, vectors) == checksum
        if self.schema >= 3:
            with self._lock:
                stored = list(audio.stored_prints(self._db))
            for video_id, hashes, ticks, checksum in stored:
                yield video_id, "audio", blob_checksum(hashes, ticks) == checksum

    # ---- writing (a writer holds the library's lock, library/lock.py) ---------------------

    def insert(self, ref: Reference, times: np.ndarray, vectors: np.ndarray,
               fine: tuple[float, np.ndarray, np.ndarray] | None = None,
               prints: AudioPrints | None = None) -> int:
        """Insert one video in its own transaction, with its fine-rate rows
        (fps, times, vectors) and its audio prints when given; returns its rowid."""
        t_blob, v_blob = np.asarray(times, np.float64).tobytes(), self._blob(vectors)
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO videos (video_id, path, content_hash, duration, fps, descriptor,"
                " n_frames, times, vectors, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref.video_id, ref.path, ref.content_hash, ref.duration, ref.fps,
                 ref.descriptor, len(times), t_blob, v_blob, blob_checksum(t_blob, v_blob)),
            )
            if fine is not None:
                fps, fine_times, fine_vectors = fine
                ft, fv = np.asarray(fine_times, np.float64).tobytes(), self._blob(fine_vectors)
                self._db.execute(
                    "INSERT INTO fine_frames (video_rowid, fps, n_frames, times, vectors, "
                    "checksum) VALUES (?, ?, ?, ?, ?, ?)",
                    (cur.lastrowid, fps, len(fine_times), ft, fv, blob_checksum(ft, fv)))
            if prints is not None and len(prints):
                h = np.asarray(prints.hashes, np.uint32).tobytes()
                t = np.asarray(prints.ticks, np.int32).tobytes()
                audio.insert_prints(self._db, int(cur.lastrowid or 0), prints,
                                    blob_checksum(h, t))
            self._bump()
        return int(cur.lastrowid or 0)

    def delete(self, video_id: str) -> Reference:
        rec = self.find(video_id=video_id)
        if rec is None:
            raise LibraryError(f"no reference video with id {video_id!r} in {self.path.parent}")
        with self.transaction():
            self._db.execute("DELETE FROM fine_frames WHERE video_rowid = ?", (rec.key,))
            if self.schema >= 3:
                audio.delete_prints(self._db, rec.key)
            self._db.execute("DELETE FROM videos WHERE rowid = ?", (rec.key,))
            self._bump()
        return rec

    def set_meta(self, values: dict[str, str]) -> None:
        """Store `values` in `meta` in one transaction (no generation bump)."""
        with self.transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def _bump(self) -> None:
        self._db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @contextmanager
    def read_transaction(self) -> Iterator[None]:
        """Every read in the block sees one committed state (a WAL snapshot); a writer's
        commits go on meanwhile. Reentrant: inside another transaction it does nothing."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            try:
                self._db.execute("BEGIN")
                self._db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()  # take the snapshot
            except sqlite3.DatabaseError as e:
                raise _damaged(self.path, e) from e
            try:
                yield
            finally:
                with suppress(sqlite3.DatabaseError):
                    self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; SQLite errors become
        LibraryError (a full disk, a read-only file, a damaged page)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as e:
                raise _damaged(self.path, e) from e
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException as e:
                with suppress(sqlite3.DatabaseError):
                    self._db.execute("ROLLBACK")
                if isinstance(e, sqlite3.DatabaseError):
                    raise _damaged(self.path, e) from e
                raise
