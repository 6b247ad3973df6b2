"""Audio fingerprints in the SQLite catalog (stage 3, library), beside the frame rows.

    audio         one row per reference with sound: the fingerprinter's version, the tick
                  length, the count, and the prints themselves as two blobs (hashes uint32[n],
                  ticks int32[n]) with a sha256 over both, checked on every full read
    audio_prints  the inverted index derived from them: (hash, video_rowid, tick), clustered
                  by hash, so a query's hashes are looked up by the primary key

Both are written in the transaction that inserts the reference and removed with it. A
reference without sound has no rows (a library built before catalog schema 3 gains the
empty tables when a writer first opens it, catalog.py). The functions take the catalog's
connection; the caller holds its lock and transaction.
"""

import sqlite3
from collections.abc import Iterator

import numpy as np

from vidtrace.types import AudioPrints

AUDIO_SCHEMA = """
CREATE TABLE IF NOT EXISTS audio (
    video_rowid INTEGER PRIMARY KEY REFERENCES videos(rowid) ON DELETE CASCADE,
    version TEXT NOT NULL,
    tick_s REAL NOT NULL,
    n_prints INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    ticks BLOB NOT NULL,
    checksum TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audio_prints (
    hash INTEGER NOT NULL,
    video_rowid INTEGER NOT NULL,
    tick INTEGER NOT NULL,
    PRIMARY KEY (hash, video_rowid, tick)
) WITHOUT ROWID;
"""

_CHUNK = 2000  # hashes per lookup statement (SQLite's variable limit is far above)


def insert_prints(db: sqlite3.Connection, rowid: int, prints: AudioPrints, checksum: str
                  ) -> None:
    """Store `prints` of the video with catalog row `rowid` (inside a transaction)."""
    h = np.asarray(prints.hashes, np.uint32)
    t = np.asarray(prints.ticks, np.int32)
    db.execute("INSERT INTO audio (video_rowid, version, tick_s, n_prints, hashes, ticks, "
               "checksum) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (rowid, prints.version, prints.tick_s, len(h), h.tobytes(), t.tobytes(),
                checksum))
    db.executemany("INSERT OR IGNORE INTO audio_prints VALUES (?, ?, ?)",
                   zip(h.tolist(), [rowid] * len(h), t.tolist(), strict=True))


def delete_prints(db: sqlite3.Connection, rowid: int) -> None:
    """Remove the prints of catalog row `rowid` (inside a transaction); the index rows are
    found through the stored blob, by primary key."""
    rows = db.execute("SELECT hashes, ticks FROM audio WHERE video_rowid = ?",
                      (rowid,)).fetchall()
    if rows:
        h = np.frombuffer(rows[0][0], np.uint32).tolist()
        t = np.frombuffer(rows[0][1], np.int32).tolist()
        db.executemany("DELETE FROM audio_prints WHERE hash = ? AND video_rowid = ? AND "
                       "tick = ?", zip(h, [rowid] * len(h), t, strict=True))
    db.execute("DELETE FROM audio WHERE video_rowid = ?", (rowid,))


def print_hits(db: sqlite3.Connection, hashes: np.ndarray, version: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash uint32[m], video rowid int64[m], tick int64[m]) of every stored print of
    fingerprinter `version` whose hash is in `hashes`."""
    out: list[tuple[int, int, int]] = []
    values = np.unique(np.asarray(hashes, np.int64)).tolist()
    for i in range(0, len(values), _CHUNK):
        chunk = values[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        out.extend(db.execute(
            f"SELECT p.hash, p.video_rowid, p.tick FROM audio_prints p JOIN audio a ON "
            f"a.video_rowid = p.video_rowid WHERE p.hash IN ({marks}) AND a.version = ?",
            (*chunk, version)).fetchall())
    if not out:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64)
    arr = np.asarray(out, np.int64)
    return arr[:, 0].astype(np.uint32), arr[:, 1], arr[:, 2]


def stored_prints(db: sqlite3.Connection) -> Iterator[tuple[str, bytes, bytes, str]]:
    """(video id, hashes blob, ticks blob, checksum) of every reference with prints."""
    yield from db.execute("SELECT v.video_id, a.hashes, a.ticks, a.checksum FROM audio a "
                          "JOIN videos v ON v.rowid = a.video_rowid").fetchall()


def audio_facts(db: sqlite3.Connection, version: str) -> dict[str, int]:
    """How many references have prints (of `version`, of another) and how many prints."""
    rows = db.execute("SELECT version = ?, COUNT(*), COALESCE(SUM(n_prints), 0) FROM audio "
                      "GROUP BY version = ?", (version, version)).fetchall()
    by = {bool(current): (int(n), int(total)) for current, n, total in rows}
    return {"references": by.get(True, (0, 0))[0], "prints": by.get(True, (0, 0))[1],
            "other_version": by.get(False, (0, 0))[0]}
