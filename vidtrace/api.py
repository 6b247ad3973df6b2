"""The Python API: `Library.open(path)`, `library.add(paths)`, `library.query(path)`.

A thin facade over the store (library/), describing (descriptors/) and matching (match/):
references go video -> descriptors -> store; queries go video -> descriptors -> matcher.
"""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.describe import Progress, describe_query
from vidtrace.library.ingest import AddResult, AddStatus, OnError, add_files
from vidtrace.library.locate import create_store, library_exists, open_store
from vidtrace.library.manifest import Manifest
from vidtrace.library.store import Store
from vidtrace.match import Matcher, Sources, Trace, nearest_similarity
from vidtrace.settings import (
    DEFAULT_LIBRARY,
    DEFAULT_RESOURCES,
    LibrarySettings,
    QuerySettings,
    Resources,
    default_query,
)
from vidtrace.types import Candidate, FrameSet, Match, Reference
from vidtrace.video.described import QueryViews

__all__ = ["AddResult", "AddStatus", "Library"]


class Library:
    """A reference library. Create with `Library.create`, reopen with `Library.open`."""

    def __init__(self, store: Store, resources: Resources = DEFAULT_RESOURCES) -> None:
        self.store = store
        self.resources = resources
        self._descriptor: Descriptor | None = None

    @classmethod
    def create(cls, folder: str | Path, settings: LibrarySettings = DEFAULT_LIBRARY,
               resources: Resources = DEFAULT_RESOURCES, exist_ok: bool = False) -> "Library":
        """A new empty library at `folder` or a Milvus URI (`exist_ok`: open one there)."""
        from vidtrace.descriptors import create_descriptor

        d = create_descriptor(settings.descriptor, resources.thread_count)
        manifest = Manifest.new(d.version, d.dim, d.metric, settings, default_query(settings))
        lib = cls(create_store(folder, manifest, exist_ok), resources)
        lib._descriptor = d if d.version == lib.manifest.descriptor_version else None
        return lib

    @classmethod
    def open(cls, folder: str | Path, resources: Resources = DEFAULT_RESOURCES) -> "Library":
        return cls(open_store(folder), resources)

    @classmethod
    def open_or_create(cls, folder: str | Path, settings: LibrarySettings = DEFAULT_LIBRARY,
                       resources: Resources = DEFAULT_RESOURCES) -> "Library":
        exists = library_exists(folder)
        return (cls.open(folder, resources) if exists
                else cls.create(folder, settings, resources, exist_ok=True))

    @property
    def manifest(self) -> Manifest:
        return self.store.manifest

    @property
    def settings(self) -> LibrarySettings:
        return self.store.manifest.settings

    @property
    def query_defaults(self) -> QuerySettings:
        return self.store.manifest.query

    @property
    def folder(self) -> Path:
        return Path(self.store.location)

    @property
    def descriptor(self) -> Descriptor:
        """The library's descriptor, loaded on first use and checked against the version the
        library was built with."""
        if self._descriptor is None:
            self._descriptor = self.store.load_descriptor(self.resources.thread_count)
        return self._descriptor

    def store_query_settings(self, wait: float = 0.0, **changes: Any) -> QuerySettings:
        """Change the library's query defaults (e.g. a calibrated `match_threshold`)."""
        with self.store.writing(wait):
            query = self.query_defaults.with_changes(**changes)
            self.store.set_manifest(self.manifest.with_query(query))
        return query

    def videos(self) -> list[Reference]:
        return self.store.references()

    def add(self, paths: Iterable[str | Path], ids: Iterable[str | None] | None = None,
            on_error: OnError | None = None, progress: Callable[[Path], Progress] | None = None,
            jobs: int = 1, wait: float = 0.0, on_wait: Callable[[str], None] | None = None,
            cluster: str | None = None) -> list[AddResult]:
        """Add reference videos (library/ingest.py; `cluster`: describe them on a Dask
        cluster); content already stored is a no-op. The write session is held throughout
        (`wait`: seconds to wait for another writer)."""
        files = [Path(p) for p in paths]
        id_list = list(ids) if ids is not None else [None] * len(files)
        with self.store.writing(wait, on_wait):
            return add_files(self.store, self.descriptor, files, id_list, self.resources,
                             on_error, progress, jobs, cluster)

    def remove(self, video_id: str, wait: float = 0.0) -> Reference:
        """Remove one reference video by id; LibraryError when there is none."""
        with self.store.writing(wait):
            return self.store.remove(video_id)

    def describe_query(self, path: str | Path, settings: QuerySettings | None = None,
                       progress: Progress | None = None) -> QueryViews:
        """The query described with the views `settings` turn on; raises VideoError."""
        s = settings or self.query_defaults
        return describe_query(path, self.descriptor, self.settings, s, self.resources.batch_size,
                              progress, nearest_similarity(self.store, s))

    def sources(self, settings: QuerySettings, query_path: str | Path | None) -> Sources:
        """What the matcher may need beyond stored vectors (match/sources.py)."""
        from vidtrace.match.sources import sources_for

        return sources_for(self.store, settings, lambda: self.descriptor,
                           self.resources.batch_size, query_path)

    def trace(self, query: FrameSet | QueryViews, settings: QuerySettings | None = None,
              query_path: str | Path | None = None, threshold: float | None = None) -> Trace:
        """Matching of a described query with what every step saw (`Matcher.trace`);
        `query_path` lets steps that need its pixels (orb-rerank) decode it again."""
        s = settings or self.query_defaults
        with self.store.snapshot():
            matcher = Matcher(self.store, s, self.settings.index_fps)
            return matcher.trace(query, self.sources(s, query_path), threshold)

    def match(self, query: FrameSet | QueryViews, settings: QuerySettings | None = None,
              query_path: str | Path | None = None, threshold: float | None = None
              ) -> list[Match]:
        """The matches of a described query, best first (`trace` without the rest)."""
        return self.trace(query, settings, query_path, threshold).matches

    def candidates(self, query: FrameSet | QueryViews, settings: QuerySettings | None = None,
                   query_path: str | Path | None = None) -> list[Candidate]:
        """Stage 1 alone: the references `match` would align, best first."""
        s = settings or self.query_defaults
        with self.store.snapshot():
            matcher = Matcher(self.store, s, self.settings.index_fps)
            return matcher.candidates(query, self.sources(s, query_path))

    def query(self, path: str | Path, settings: QuerySettings | None = None,
              progress: Progress | None = None, threshold: float | None = None) -> list[Match]:
        """Every copied segment of the query video `path`, best score first ([] if none)."""
        s = settings or self.query_defaults
        return self.match(self.describe_query(path, s, progress), s, path, threshold)

    def summary(self) -> dict[str, Any]:
        """Facts for `vidtrace info`."""
        return self.store.info()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
