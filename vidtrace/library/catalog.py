"""The SQLite catalog: the library's source of truth.

One row per reference video: its id, source path, content hash, duration, sampling rate,
descriptor, and its frame rows as two blobs (times float64[T], vectors float16[T, d], or for a
binary descriptor packed bits and a content flag, uint8[T, d / 8 + 1]). A library
with a fine rate (`Settings.fine_fps`, stage 2 at a finer sampling) also keeps each video's
fine-rate rows in `fine_frames`, written in the same transaction. Every change is one
transaction that also bumps `generation`, so a crash leaves the previous state.
The faiss index is a cache derived from these rows (see index.py).
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import bits_from_signs, has_content, signs_from_bits
from vidtrace.errors import LibraryError

SCHEMA_VERSION = 1
CATALOG_FILE = "catalog.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
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
    vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS fine_frames (
    video_rowid INTEGER PRIMARY KEY REFERENCES videos(rowid) ON DELETE CASCADE,
    fps REAL NOT NULL,
    n_frames INTEGER NOT NULL,
    times BLOB NOT NULL,
    vectors BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class VideoRecord:
    """A catalog row without its frame blobs."""

    rowid: int
    video_id: str
    path: str
    content_hash: str
    duration: float
    fps: float
    descriptor: str
    n_frames: int


_COLUMNS = "rowid, video_id, path, content_hash, duration, fps, descriptor, n_frames"


class Catalog:
    """The catalog of the library in `folder`; `binary`: vectors are a binary descriptor's
    +-1/sqrt(d) components, stored as packed bits (descriptors/base.py)."""

    def __init__(self, folder: Path, binary: bool = False) -> None:
        self.path = folder / CATALOG_FILE
        self.binary = binary
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            version = self._meta("schema_version")
        except sqlite3.DatabaseError as e:
            raise LibraryError(f"{self.path}: damaged catalog ({e}); rebuild the library") from e
        if version is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._db.execute("INSERT INTO meta VALUES ('generation', 0)")
        elif int(version) != SCHEMA_VERSION:
            raise LibraryError(
                f"{self.path}: catalog schema {version} is not supported (this vidtrace reads "
                f"{SCHEMA_VERSION}); rebuild the library"
            )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def close(self) -> None:
        self._db.close()

    def videos(self) -> list[VideoRecord]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM videos ORDER BY rowid").fetchall()
        return [VideoRecord(*r) for r in rows]

    def find(self, *, video_id: str | None = None, content_hash: str | None = None
             ) -> VideoRecord | None:
        key, value = ("video_id", video_id) if video_id is not None else (
            "content_hash", content_hash)
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM videos WHERE {key} = ?", (value,)).fetchone()
        return None if row is None else VideoRecord(*row)

    def record(self, rowid: int) -> VideoRecord:
        """The video with catalog row `rowid` (LibraryError when there is none)."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM videos WHERE rowid = ?",
                               (rowid,)).fetchone()
        if row is None:
            raise LibraryError(f"{self.path}: no video with row {rowid}; rebuild the index")
        return VideoRecord(*row)

    def frames(self, rowid: int) -> tuple[np.ndarray, np.ndarray]:
        """(times float64[T], vectors float32[T, d]) of the video with catalog row `rowid`."""
        row = self._db.execute(
            "SELECT times, vectors, n_frames FROM videos WHERE rowid = ?", (rowid,)).fetchone()
        if row is None:
            raise LibraryError(f"{self.path}: no video with row {rowid}")
        return np.frombuffer(row[0], dtype=np.float64).copy(), self._vectors(row[1], row[2])

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

    def fine_frames(self, rowid: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(times float64[T], vectors float32[T, d]) of the video's fine-rate rows, or None
        when the library keeps none for it."""
        row = self._db.execute(
            "SELECT times, vectors, n_frames FROM fine_frames WHERE video_rowid = ?", (rowid,)
        ).fetchone()
        if row is None:
            return None
        return np.frombuffer(row[0], dtype=np.float64).copy(), self._vectors(row[1], row[2])

    def insert(self, rec: VideoRecord, times: np.ndarray, vectors: np.ndarray,
               fine: tuple[float, np.ndarray, np.ndarray] | None = None) -> int:
        """Insert one video in its own transaction, with its fine-rate rows
        (fps, times, vectors) when given; returns its rowid."""
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO videos (video_id, path, content_hash, duration, fps, descriptor,"
                " n_frames, times, vectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.video_id, rec.path, rec.content_hash, rec.duration, rec.fps,
                 rec.descriptor, len(times), np.asarray(times, np.float64).tobytes(),
                 self._blob(vectors)),
            )
            if fine is not None:
                fps, fine_times, fine_vectors = fine
                self._db.execute(
                    "INSERT INTO fine_frames (video_rowid, fps, n_frames, times, vectors)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (cur.lastrowid, fps, len(fine_times),
                     np.asarray(fine_times, np.float64).tobytes(),
                     self._blob(fine_vectors)),
                )
            self._bump()
        return int(cur.lastrowid or 0)

    def delete(self, video_id: str) -> VideoRecord:
        rec = self.find(video_id=video_id)
        if rec is None:
            raise LibraryError(f"no reference video with id {video_id!r} in {self.path.parent}")
        with self._transaction():
            self._db.execute("DELETE FROM fine_frames WHERE video_rowid = ?", (rec.rowid,))
            self._db.execute("DELETE FROM videos WHERE rowid = ?", (rec.rowid,))
            self._bump()
        return rec

    def _bump(self) -> None:
        self._db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _transaction(self):  # type: ignore[no-untyped-def]
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
