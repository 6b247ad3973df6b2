"""The folder store: a library as a folder on disk (stage 3, library; the embedded default).

    manifest.json          format, id, descriptor identity, settings (manifest.py)
    catalog.sqlite         the references, their frame rows and audio prints, the source of
                           truth (catalog.py, prints.py)
    index-<gen>.faiss      the search index, derived from the catalog (index.py)
    descriptor-state.npz   what a trainable descriptor learned (a vocabulary)
    write.lock             the single writer's lock (lock.py)

Guarantees (docs/library.md): a library is created whole or not at all (built in a temporary
folder, then renamed into place); one writer at a time; readers never write (a stale index is
rebuilt in memory) and see one committed state inside `snapshot()`; the index is used only when
its generation and sha256 match what the catalog recorded; every frame row is checksummed.
"""

import io
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.audio import PRINT_VERSION
from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import LibraryError
from vidtrace.fsutil import fsync_dir, write_atomic
from vidtrace.library.catalog import CATALOG_FILE, Catalog
from vidtrace.library.index import (
    RETRAIN_GROWTH,
    FrameIndex,
    build_index,
    index_kind,
    ivf_lists,
    unpack_ids,
)
from vidtrace.library.lock import LOCK_FILE, write_lock
from vidtrace.library.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest
from vidtrace.settings import DEFAULT_QUERY, Metric
from vidtrace.types import AudioPrints, FrameHits, FrameSet, Reference

STATE_FILE = "descriptor-state.npz"


def _os_error(folder: Path, e: OSError) -> LibraryError:
    return LibraryError(f"{folder}: {e.strerror or e} while writing the library; free some "
                        "space or fix the folder's permissions and run again (the library keeps "
                        "its last committed state)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _remove_dead_creators(parent: Path, name: str) -> None:
    """Remove `.NAME.creating-PID` folders whose creating process is gone (killed while it
    created the library), so a crash leaves nothing behind once the next create runs."""
    for tmp in parent.glob(f".{name}.creating-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


class FolderStore:
    """A library folder; make one with `create`, open one with `open`."""

    def __init__(self, folder: Path, manifest: Manifest, catalog: Catalog) -> None:
        self.folder = folder
        self.location = str(folder)
        self.manifest = manifest
        self.catalog = catalog
        self._index: FrameIndex | None = None
        self._index_generation = -1
        self._writing = False
        self._dirty = False  # the in-memory index holds changes not saved yet

    # ---- lifecycle -----------------------------------------------------------------------

    @classmethod
    def create(cls, folder: str | Path, manifest: Manifest, exist_ok: bool = False
               ) -> "FolderStore":
        """Make a new empty library in `folder` (created; must be absent or an empty folder).
        It is built in a temporary folder beside it and renamed into place, so a crash leaves
        either no library or a whole one. With `exist_ok`, a library another process made
        there first (or before) is opened instead."""
        root = Path(folder)
        if root.exists() and not root.is_dir():
            raise LibraryError(f"{root}: exists and is not a folder; give a folder path for "
                               "the library")
        if (root / MANIFEST_FILE).exists():
            if exist_ok:
                return cls.open(root)
            raise LibraryError(f"{root}: already holds a library; open it instead")
        if root.is_dir() and any(root.iterdir()):
            raise LibraryError(f"{root}: is a folder with other files, not a library; "
                               "give a new or empty folder for the library")
        parent = root.absolute().parent
        tmp = parent / f".{root.name}.creating-{os.getpid()}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_dead_creators(parent, root.name)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            Catalog.create(tmp, manifest.library_id,
                           binary=manifest.metric == Metric.HAMMING).close()
            (tmp / LOCK_FILE).touch()
            manifest.save(tmp)
            fsync_dir(tmp)
            try:
                os.rename(tmp, root)  # onto a missing or empty folder
            except OSError:
                if exist_ok and (root / MANIFEST_FILE).exists():  # another process was first
                    shutil.rmtree(tmp, ignore_errors=True)
                    return cls.open(root)
                raise
            fsync_dir(parent)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise LibraryError(f"{root}: cannot create the library ({e.strerror or e}); "
                               "choose a folder you can write, with free space") from e
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls.open(root)

    @classmethod
    def open(cls, folder: str | Path) -> "FolderStore":
        root = Path(folder)
        try:
            is_dir = root.is_dir()
            exists = root.exists()
        except OSError as e:
            raise LibraryError(f"{root}: cannot be read ({e.strerror or e}); check the path"
                               ) from e
        if exists and not is_dir:
            raise LibraryError(f"{root}: is a file, not a library folder; give the folder "
                               "`vidtrace index` created")
        if root.is_symlink() and not exists:
            raise LibraryError(f"{root}: is a symbolic link that leads nowhere (a loop, or its "
                               "target is gone); give the library folder itself")
        if not is_dir:
            raise LibraryError(f"{root}: no such library folder; create it with "
                               "`vidtrace index LIB VIDEO...`")
        manifest = Manifest.load(root)
        catalog = Catalog(root, binary=manifest.metric == Metric.HAMMING, readonly=True)
        if catalog.library_id != manifest.library_id:
            catalog.close()
            raise LibraryError(f"{root / CATALOG_FILE}: belongs to another library than "
                               f"{root / MANIFEST_FILE}; restore this library's catalog")
        return cls(root, manifest, catalog)

    def close(self) -> None:
        self.catalog.close()

    # ---- reading (ReadStore) -------------------------------------------------------------

    def references(self) -> list[Reference]:
        return self.catalog.videos()

    def find(self, *, video_id: str | None = None, content_hash: str | None = None
             ) -> Reference | None:
        return self.catalog.find(video_id=video_id, content_hash=content_hash)

    def reference(self, key: int) -> Reference:
        return self.catalog.record(key)

    def frames(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        return self.catalog.frames(key)

    def fine_frames(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        return self.catalog.fine_frames(key)

    def print_hits(self, hashes: np.ndarray, version: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.catalog.print_hits(hashes, version)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read in the block (search included) sees one committed state."""
        with self.catalog.read_transaction():
            yield

    def search(self, vectors: np.ndarray, k: int, nprobe: int,
               ef_search: int = DEFAULT_QUERY.ef_search) -> FrameHits:
        index = self.index
        D, I = index.search(vectors, k, nprobe, ef_search)
        keys, frames = unpack_ids(I)
        q = np.repeat(np.arange(len(vectors)), D.shape[1])
        valid = keys.ravel() >= 0
        return FrameHits(q[valid], keys.ravel()[valid], frames.ravel()[valid],
                         D.ravel()[valid].astype(np.float32))

    @property
    def index(self) -> FrameIndex:
        """The search index of the catalog's current state: the saved file when the catalog
        vouches for it (generation and sha256), else rebuilt from the catalog in memory."""
        generation = self.catalog.generation
        if self._index is None or (self._index_generation != generation and not self._writing):
            saved = None
            if self.catalog.meta("index_generation") == str(generation):
                saved = FrameIndex.load(self.folder, generation, self.manifest.dim,
                                        self.catalog.binary, self.catalog.meta("index_sha256"))
            self._index = self._fitting_index(saved)
            self._dirty = self._index is not saved
            self._index_generation = generation
        return self._index

    def _fitting_index(self, index: FrameIndex | None) -> FrameIndex:
        """`index` when it is of the kind the catalog's size asks for under the index_type
        setting; else (or when None) a new index of every catalog frame, of that kind (an ivfpq
        one is trained on a sample of the catalog first). An ivfpq index whose list count the
        library has outgrown (RETRAIN_GROWTH) is rebuilt too."""
        refs = self.catalog.videos()
        n = sum(r.n_frames for r in refs)
        lib = self.manifest.settings
        kind = index_kind(lib.index_type, n, self.catalog.binary, dim=self.manifest.dim,
                          m=lib.hnsw_m)
        if index is not None and index.kind == kind and not (
                kind == "ivfpq" and ivf_lists(n) >= RETRAIN_GROWTH * index.nlist):
            return index

        def videos() -> Iterator[tuple[int, np.ndarray]]:
            for ref in refs:
                yield ref.key, self.catalog.frames(ref.key)[1]

        return build_index(self.manifest.dim, self.catalog.binary, kind, n, videos,
                           m=lib.hnsw_m, ef_construction=lib.hnsw_ef_construction)

    # ---- writing -------------------------------------------------------------------------

    @contextmanager
    def writing(self, wait: float = 0.0, on_wait: Callable[[str], None] | None = None
                ) -> Iterator[None]:
        """A write session: holds the library's lock, works on a writable catalog connection,
        and saves the index (with its checksum in the catalog) when the block ends, even on an
        error, so what was committed is searchable."""
        if self._writing:
            yield
            return
        with write_lock(self.folder, wait, on_wait):
            self.manifest = Manifest.load(self.folder)  # another writer may have changed it
            reader = self.catalog
            self.catalog = Catalog(self.folder, reader.binary)
            self._writing = True
            try:
                self._index = None
                self.index  # noqa: B018 - the current state, before any change
                yield
            finally:
                try:
                    if self._dirty:
                        self._save_index()
                finally:
                    self._writing = False
                    self.catalog.checkpoint()
                    self.catalog.close()
                    self.catalog = reader

    def rebuild_index(self) -> None:
        """Build the index again from the catalog, whatever file is saved; it is saved when
        the write session ends."""
        self._check_writing()
        self._index = self._fitting_index(None)
        self._index_generation, self._dirty = self.catalog.generation, True

    def _save_index(self) -> None:
        assert self._index is not None
        generation = self.catalog.generation
        fitted = self._fitting_index(self._index)  # grown into another kind, or its lists
        try:
            digest = fitted.save(self.folder, generation)
        except OSError as e:
            raise _os_error(self.folder, e) from e
        self.catalog.set_meta({"index_generation": str(generation), "index_sha256": digest,
                               "index_vectors": str(fitted.ntotal)})
        self._index, self._index_generation, self._dirty = fitted, generation, False

    def _check_writing(self) -> None:
        if not self._writing:
            raise RuntimeError("library changes need a write session: `with store.writing():`")

    def add(self, ref: Reference, frames: FrameSet, fine: FrameSet | None,
            prints: AudioPrints | None = None) -> Reference:
        self._check_writing()
        index = self.index
        key = self.catalog.insert(
            ref, frames.times, frames.vectors,
            None if fine is None else (self.manifest.settings.fine_fps, fine.times, fine.vectors),
            prints)
        # the index holds what a rebuild from the catalog's stored rows would hold
        index.add(key, self.catalog.stored_vectors(frames.vectors))
        self._index_generation, self._dirty = self.catalog.generation, True
        return self.catalog.record(key)

    def remove(self, video_id: str) -> Reference:
        self._check_writing()
        index = self.index
        ref = self.catalog.delete(video_id)
        if index.removable:
            index.remove(ref.key)
        else:  # an hnsw graph cannot drop frames: build it again from the catalog
            self._index = self._fitting_index(None)
        self._index_generation, self._dirty = self.catalog.generation, True
        return ref

    def set_manifest(self, manifest: Manifest) -> None:
        self._check_writing()
        manifest.save(self.folder)
        self.manifest = manifest

    # ---- the descriptor ------------------------------------------------------------------

    def load_descriptor(self, threads: int) -> Descriptor:
        from vidtrace.descriptors import create_descriptor

        m = self.manifest
        d = create_descriptor(m.descriptor, threads)
        if d.trainable:
            d = self._with_state(d, threads)
        if d.version != m.descriptor_version:
            raise LibraryError(f"{self.folder}: built with descriptor {m.descriptor_version} but "
                               f"the installed one is {d.version}; "
                               f"{d.version_fix(m.descriptor_version)}")
        return d

    def _with_state(self, d: Descriptor, threads: int) -> Descriptor:
        """Trainable descriptor `d` with the state saved beside the catalog, if any. A state
        left by an interrupted first add (the catalog still empty, the manifest not naming
        it) is ignored, to be learned again: then a fresh `d` is returned."""
        from vidtrace.descriptors import create_descriptor

        path = self.folder / STATE_FILE
        if not path.exists():
            return d
        try:
            with np.load(path) as data:
                d.load_state({k: data[k] for k in data.files})
        except (OSError, ValueError) as e:
            raise LibraryError(f"{path}: damaged descriptor state ({e}); rebuild the library "
                               "with `vidtrace index` into a new folder") from e
        if d.version != self.manifest.descriptor_version and not self.catalog.videos():
            return create_descriptor(self.manifest.descriptor, threads)
        return d

    def save_descriptor_state(self, descriptor: Descriptor) -> None:
        """Save what `descriptor` learned, then the manifest naming its version (both
        atomically)."""
        self._check_writing()
        buf = io.BytesIO()
        np.savez(buf, **descriptor.state())  # type: ignore[arg-type]
        try:
            write_atomic(self.folder / STATE_FILE, buf.getvalue())
        except OSError as e:
            raise _os_error(self.folder, e) from e
        from dataclasses import replace

        self.set_manifest(replace(self.manifest, descriptor_version=descriptor.version))

    # ---- facts ---------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Facts for `vidtrace info`: format, descriptor, counts, size on disk, references."""
        m = self.manifest
        videos = self.catalog.videos()
        size = 0
        for f in self.folder.iterdir():
            with suppress(FileNotFoundError):  # a writer replaced it meanwhile (index, tmp)
                size += f.stat().st_size if f.is_file() else 0
        hours = sum(v.duration for v in videos) / 3600
        index = self.index
        return {
            "format_version": FORMAT_VERSION,
            "id": m.library_id,
            "generation": self.catalog.generation,  # bumped by every addition and removal
            "descriptor": m.descriptor,
            "descriptor_version": m.descriptor_version,
            "dim": m.dim,
            "metric": m.metric.value,
            "settings": m.settings.to_dict() | {"query": m.query.to_dict()},
            "videos": len(videos),
            "frames": sum(v.n_frames for v in videos),
            "index": {"kind": index.kind, "lists": index.nlist, "vectors": index.ntotal},
            "audio": {"version": PRINT_VERSION} | self.catalog.audio_facts(PRINT_VERSION),
            "hours": hours,
            "bytes": size,
            "bytes_per_hour": size / hours if hours else 0.0,
            "references": [
                {"id": v.video_id, "path": v.path, "duration": v.duration, "frames": v.n_frames,
                 "content_hash": v.content_hash} for v in videos
            ],
        }
