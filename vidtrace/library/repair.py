"""`vidtrace check` and `vidtrace repair` for a library folder (stage 3, library).

`check_library` reads everything and changes nothing: the manifest, SQLite's own integrity
check of the catalog, the catalog's library id, every stored frame row against its checksum,
the saved index against what the catalog recorded of it, the descriptor state a trainable
backend needs, stray temporary files, and whether the reference files are still where they
were added (a missing one only matters for `--fine decode` and ORB re-ranking).

`repair_library` rebuilds what can be derived from the catalog, under the write lock: frame
rows that fail their checksum are dropped (listed, so the files can be added again); a catalog
SQLite cannot read as a whole is rebuilt from the rows it can still read; then the index is
rebuilt from the catalog and saved, and temporary files are removed. A missing or damaged
manifest cannot be derived: it is reported with what to do.
"""

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from vidtrace.errors import LibraryError
from vidtrace.library.catalog import CATALOG_FILE, Catalog, blob_checksum
from vidtrace.library.folder import STATE_FILE, FolderStore
from vidtrace.library.index import FrameIndex
from vidtrace.library.lock import write_lock
from vidtrace.library.manifest import Manifest


@dataclass
class Report:
    """What `check_library` or `repair_library` found: `problems` make the library unsound,
    `notes` are worth knowing, `dropped` are the references a repair had to remove."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    references: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and
                  (p.name.endswith(".tmp") or ".creating-" in p.name))


def check_library(folder: str | Path) -> Report:
    """Everything about the library in `folder` that can be verified, changing nothing.
    LibraryError when it is not a library at all (no such folder, no manifest)."""
    root = Path(folder)
    report = Report()
    try:
        store = FolderStore.open(root)
    except LibraryError as e:
        if not (root / "manifest.json").exists() and not (root / CATALOG_FILE).exists():
            raise
        report.problems.append(str(e))
        return report
    try:
        catalog = store.catalog
        rows = catalog._query("PRAGMA integrity_check")
        if [r[0] for r in rows] != ["ok"]:
            report.problems.append(f"{catalog.path}: SQLite finds the file damaged "
                                   f"({'; '.join(str(r[0]) for r in rows[:3])})")
        for video_id, table, good in catalog.checksums():
            if not good:
                where = {"fine_frames": "fine-rate frames", "audio": "audio prints"}.get(
                    table, "frames")
                report.problems.append(f"{catalog.path}: the stored {where} of reference "
                                       f"{video_id!r} fail their checksum")
        refs = catalog.videos()
        report.references = len(refs)
        _check_index(store, report)
        _check_descriptor(store, report)
        for ref in refs:
            if not Path(ref.path).is_file():
                report.notes.append(f"reference {ref.video_id!r}: its file {ref.path} is gone "
                                    "(only --fine decode and orb-rerank need it)")
        for tmp in _temp_files(root):
            report.notes.append(f"{tmp}: a temporary file left by an interrupted write; "
                                "`vidtrace repair` removes it")
    except LibraryError as e:
        report.problems.append(str(e))
    finally:
        store.close()
    return report


def _check_index(store: FolderStore, report: Report) -> None:
    catalog = store.catalog
    generation = catalog.generation
    recorded = catalog.meta("index_generation")
    if recorded != str(generation):
        report.notes.append(f"{store.folder}: no index saved for the catalog's state "
                            f"(generation {generation}); it is rebuilt in memory when the "
                            "library is read, and saved by the next writer or `vidtrace repair`")
        return
    saved = FrameIndex.load(store.folder, generation, store.manifest.dim, catalog.binary,
                            catalog.meta("index_sha256"))
    if saved is None:
        report.problems.append(f"{store.folder}: the index file index-{generation}.faiss is "
                               "missing or not the one saved (checksum); `vidtrace repair` "
                               "rebuilds it")
    elif str(saved.ntotal) != catalog.meta("index_vectors"):
        report.problems.append(f"{store.folder}: the index holds {saved.ntotal} vectors, the "
                               f"catalog recorded {catalog.meta('index_vectors')}")


def _check_descriptor(store: FolderStore, report: Report) -> None:
    try:
        d = store.load_descriptor(1)
    except LibraryError as e:
        report.problems.append(str(e))
        return
    if d.trainable and report.references and not (store.folder / STATE_FILE).is_file():
        report.problems.append(f"{store.folder / STATE_FILE}: missing; the descriptor's "
                               "vocabulary is lost: rebuild the library")


def repair_library(folder: str | Path, wait: float = 0.0) -> Report:
    """Rebuild what can be derived from the catalog (see the module docstring); the report
    lists the references dropped. LibraryError when the manifest is missing or damaged."""
    root = Path(folder)
    manifest = Manifest.load(root)
    report = Report()
    with write_lock(root, wait):
        for tmp in _temp_files(root):
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink(missing_ok=True)
            report.notes.append(f"removed {tmp.name}")
        try:
            _drop_damaged_rows(root, manifest, report)
        except LibraryError:
            _salvage_catalog(root, manifest, report)
    store = FolderStore.open(root)
    try:
        with store.writing(wait):
            store.rebuild_index()
        report.references = len(store.references())
    finally:
        store.close()
    report.notes.append(f"index rebuilt from the catalog's {report.references} references")
    return report


def _drop_damaged_rows(root: Path, manifest: Manifest, report: Report) -> None:
    """Delete the references whose frame rows fail their checksum (LibraryError when SQLite
    cannot read the catalog as a whole)."""
    catalog = Catalog(root, binary=manifest.metric == "hamming")
    try:
        if catalog.library_id != manifest.library_id:
            raise LibraryError("the catalog belongs to another library")
        if [r[0] for r in catalog._query("PRAGMA integrity_check")] != ["ok"]:
            raise LibraryError("damaged pages")
        bad = sorted({video_id for video_id, _, good in catalog.checksums() if not good})
        for video_id in bad:
            catalog.delete(video_id)
            report.dropped.append(video_id)
    finally:
        catalog.close()


def _salvage_catalog(root: Path, manifest: Manifest, report: Report) -> None:
    """A new catalog of every reference row the damaged one still gives whole (checksum
    intact); the damaged file is kept beside it as catalog.sqlite.damaged."""
    old = root / CATALOG_FILE
    fresh_dir = root / f".repair-{manifest.library_id[:8]}"
    shutil.rmtree(fresh_dir, ignore_errors=True)
    fresh_dir.mkdir()
    new = Catalog.create(fresh_dir, manifest.library_id, binary=manifest.metric == "hamming")
    kept = 0
    try:
        db = sqlite3.connect(f"{old.resolve().as_uri()}?mode=ro", uri=True)
        known = _known_ids(db)
        rows = _readable_rows(db)
        for row in rows:
            rowid, video_id, path, digest, duration, fps, descriptor, n, times, vectors, check = row
            if blob_checksum(times, vectors) != check:
                report.dropped.append(video_id)
                continue
            with new.transaction():
                new._db.execute(
                    "INSERT INTO videos (rowid, video_id, path, content_hash, duration, fps, "
                    "descriptor, n_frames, times, vectors, checksum) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rowid, video_id, path, digest, duration, fps, descriptor, n, times,
                     vectors, check))
                new._bump()
            kept += 1
            known.discard(video_id)
        report.dropped.extend(sorted(known - set(report.dropped)))
        db.close()
    except sqlite3.DatabaseError as e:
        report.notes.append(f"SQLite stopped reading the damaged catalog ({e})")
    finally:
        new.checkpoint()
        new.close()
    old.replace(root / f"{CATALOG_FILE}.damaged")
    for suffix in ("-wal", "-shm"):
        (root / f"{CATALOG_FILE}{suffix}").unlink(missing_ok=True)
    (fresh_dir / CATALOG_FILE).replace(old)
    shutil.rmtree(fresh_dir, ignore_errors=True)
    report.notes.append(f"the catalog was rebuilt from the {kept} rows it could still read "
                        "(without their fine-rate rows and audio prints, if the library kept "
                        f"any); the damaged file is kept as {CATALOG_FILE}.damaged")


def _known_ids(db: sqlite3.Connection) -> set[str]:
    """Every reference id the damaged catalog still names: from the table, or from its
    unique index on the id (a separate b-tree that may have survived)."""
    ids: set[str] = set()
    for sql in ("SELECT video_id FROM videos",
                "SELECT video_id FROM videos INDEXED BY sqlite_autoindex_videos_1"):
        try:
            ids |= {str(r[0]) for r in db.execute(sql)}
        except sqlite3.DatabaseError:
            continue
    return ids


def _readable_rows(db: sqlite3.Connection) -> list[tuple]:  # type: ignore[type-arg]
    """Every videos row SQLite can still read, one by one by rowid (a damaged page loses the
    rows on it, not the rest)."""
    out = []
    try:
        rowids = [r[0] for r in db.execute("SELECT rowid FROM videos ORDER BY rowid")]
    except sqlite3.DatabaseError:
        rowids = list(range(1, 1 + 100_000))  # the rowid b-tree itself is damaged: probe
    for rowid in rowids:
        try:
            row = db.execute(
                "SELECT rowid, video_id, path, content_hash, duration, fps, descriptor, "
                "n_frames, times, vectors, checksum FROM videos WHERE rowid = ?",
                (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            out.append(row)
    return out
