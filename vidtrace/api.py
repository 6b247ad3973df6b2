"""The Python API: `Library.open(path)`, `library.add(paths)`, `library.query(path)`.

`Library` ties the pipeline together: video -> descriptors -> library (index + catalog) for
references, and video -> descriptors -> retrieve -> align for queries.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.align import AlignParams, Segment, aligner
from vidtrace.align.fine import fine_window, refine_fine
from vidtrace.descriptors import Descriptor, create_descriptor
from vidtrace.errors import ConfigError, LibraryError, VideoError
from vidtrace.library import Catalog, FrameIndex, Manifest, VideoRecord
from vidtrace.library.index import RETRAIN_GROWTH, build_index, index_kind, ivf_lists
from vidtrace.library.manifest import write_atomic
from vidtrace.pipeline import (
    Progress,
    describe_query_views,
    describe_reference,
    describe_references,
    describe_video,
    file_hash,
    training_frames,
)
from vidtrace.retrieve import FrameHits, FrameSource, knn_hits, rank
from vidtrace.settings import DEFAULT_SETTINGS, QUERY_TIME, Metric, Settings
from vidtrace.types import FrameSet, Match
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import check_video_path
from vidtrace.video.views import QueryViews

# The learned state of a trainable descriptor (a vocabulary), beside the catalog.
STATE_FILE = "descriptor-state.npz"


class AddStatus(StrEnum):
    """What `Library.add` did with one file."""

    ADDED = "added"
    UNCHANGED = "unchanged"  # the same content was already in the library


@dataclass(frozen=True)
class AddResult:
    """One file given to `Library.add`: its reference id and what was done."""

    path: str
    video_id: str
    status: AddStatus
    duration: float
    n_frames: int


def _with_view_hits(hits: FrameHits, view_hits: FrameHits, rows: np.ndarray) -> FrameHits:
    """Hits of the whole frames and of an extra view (`view_hits.query_frame` indexing
    `rows`), as hits of the same query frames."""
    return FrameHits(np.concatenate([hits.query_frame, rows[view_hits.query_frame]]),
                     np.concatenate([hits.ref_rowid, view_hits.ref_rowid]),
                     np.concatenate([hits.ref_frame, view_hits.ref_frame]),
                     np.concatenate([hits.sim, view_hits.sim]))


class Library:
    """A reference library folder. Create with `Library.create`, reopen with `Library.open`."""

    def __init__(self, folder: Path, manifest: Manifest, catalog: Catalog) -> None:
        self.folder = folder
        self.manifest = manifest
        self.settings = manifest.settings
        self.catalog = catalog
        self._descriptor: Descriptor | None = None
        self._index: FrameIndex | None = None

    @classmethod
    def create(cls, folder: str | Path, settings: Settings = DEFAULT_SETTINGS) -> "Library":
        """Make a new empty library in `folder` (created if needed, must not hold one)."""
        root = Path(folder)
        if root.exists() and not root.is_dir():
            raise LibraryError(f"{root}: exists and is not a folder; choose another path")
        if (root / "manifest.json").exists():
            raise LibraryError(f"{root}: already holds a library; open it instead")
        if root.is_dir() and any(root.iterdir()):
            raise LibraryError(f"{root}: is a folder with other files, not a library; "
                               "give a new or empty folder for the library")
        root.mkdir(parents=True, exist_ok=True)
        descriptor = create_descriptor(settings.descriptor, settings.thread_count)
        manifest = Manifest(settings.descriptor, descriptor.version, descriptor.dim,
                            str(descriptor.metric), settings)
        catalog = Catalog(root, binary=descriptor.metric == Metric.HAMMING)
        manifest.save(root)
        lib = cls(root, manifest, catalog)
        lib._descriptor = descriptor
        return lib

    @classmethod
    def open(cls, folder: str | Path) -> "Library":
        root = Path(folder)
        if not root.is_dir():
            raise LibraryError(f"{root}: no such library folder; create it with `vidtrace index`")
        manifest = Manifest.load(root)
        return cls(root, manifest, Catalog(root, binary=manifest.metric == Metric.HAMMING))

    @classmethod
    def open_or_create(cls, folder: str | Path, settings: Settings = DEFAULT_SETTINGS
                       ) -> "Library":
        root = Path(folder)
        if (root / "manifest.json").exists():
            return cls.open(root)
        return cls.create(root, settings)

    def check_settings(self, **wanted: object) -> None:
        """Raise ConfigError when a setting asked for differs from the one the library was
        built with (sampling and descriptor are fixed when a library is created)."""
        stored = self.settings.to_dict()
        for key, value in wanted.items():
            if stored.get(key) != value:
                raise ConfigError(
                    f"{self.folder}: was built with {key} = {stored.get(key)!r}, not {value!r}; "
                    "settings apply to new libraries only (index into another folder)"
                )

    def store_query_settings(self, **changes: Any) -> Settings:
        """Change query-time settings (`vidtrace.settings.QUERY_TIME`, e.g. a calibrated
        `match_threshold`) in the library's manifest (written atomically); returns the new
        settings. ConfigError for a setting fixed at creation."""
        fixed = sorted(set(changes) - QUERY_TIME)
        if fixed:
            raise ConfigError(f"{self.folder}: {', '.join(fixed)} cannot change after the "
                              "library is created (build another library)")
        self.settings = self.settings.with_changes(**changes)
        self.manifest = replace(self.manifest, settings=self.settings)
        self.manifest.save(self.folder)
        return self.settings

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def descriptor(self) -> Descriptor:
        """The library's descriptor backend, loaded on first use and checked against the
        version the library was built with."""
        if self._descriptor is None:
            d = create_descriptor(self.manifest.descriptor, self.settings.thread_count)
            if d.trainable:
                d = self._with_state(d)
            if d.version != self.manifest.descriptor_version:
                stored = self.manifest.descriptor_version
                raise LibraryError(f"{self.folder}: built with descriptor {stored} but the "
                                   f"installed one is {d.version}; {d.version_fix(stored)}")
            self._descriptor = d
        return self._descriptor

    @property
    def index(self) -> FrameIndex:
        """The faiss index matching the catalog, rebuilt from the catalog when stale."""
        if self._index is None:
            gen = self.catalog.generation
            index = FrameIndex.load(self.folder, gen, self.manifest.dim, self.catalog.binary)
            fitted = self._fitting_index(index)
            if fitted is not index:
                fitted.save(self.folder, gen)
            self._index = fitted
        return self._index

    def _fitting_index(self, index: FrameIndex | None) -> FrameIndex:
        """`index` when it is of the kind the catalog's size asks for under the index_type
        setting; else (or when None) a new index of every catalog frame, of that kind (an ivfpq
        one is trained on a sample of the catalog first). An ivfpq index whose list count the
        library has outgrown (RETRAIN_GROWTH) is rebuilt too."""
        n = sum(rec.n_frames for rec in self.catalog.videos())
        kind = index_kind(self.settings.index_type, n, self.catalog.binary)
        if index is not None and index.kind == kind and not (
                kind == "ivfpq" and ivf_lists(n) >= RETRAIN_GROWTH * index.nlist):
            return index

        def videos() -> Iterator[tuple[int, np.ndarray]]:
            for rec in self.catalog.videos():
                yield rec.rowid, self.catalog.frames(rec.rowid)[1]

        return build_index(self.manifest.dim, self.catalog.binary, kind, n, videos)

    def _with_state(self, d: Descriptor) -> Descriptor:
        """Trainable descriptor `d` with the state saved beside the catalog, if any. A state
        left by an interrupted first `add` (the catalog still empty, the manifest not naming
        it) is discarded, to be learned again: then a fresh `d` is returned."""
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
            path.unlink()
            return create_descriptor(self.manifest.descriptor, self.settings.thread_count)
        return d

    def _learn(self, files: Sequence[Path]) -> None:
        """Fit the trainable descriptor on frames of `files` (`training_frames`) and save its
        state, then the manifest naming it (both atomically)."""
        import io

        d = self.descriptor
        frames = training_frames(files, self.settings)
        if not len(frames):
            raise LibraryError(f"{self.folder}: descriptor {self.manifest.descriptor} learns its "
                               "vocabulary from the first references added, and none could be "
                               "decoded; add readable video files")
        d.fit(frames, seed=0)
        buf = io.BytesIO()
        np.savez(buf, **d.state())  # type: ignore[arg-type]
        write_atomic(self.folder / STATE_FILE, buf.getvalue())
        self.manifest = replace(self.manifest, descriptor_version=d.version)
        self.manifest.save(self.folder)

    def videos(self) -> list[VideoRecord]:
        return self.catalog.videos()

    # ---- references -------------------------------------------------------------------------

    def add(self, paths: Iterable[str | Path], ids: Iterable[str | None] | None = None,
            on_error: Callable[[Path, Exception], None] | None = None,
            progress: Callable[[Path], Progress] | None = None, jobs: int = 1
            ) -> list[AddResult]:
        """Add reference videos; a file whose content is already in the library is a no-op.

        Each file is committed on its own, so an interrupted run keeps what it finished. With
        `on_error`, a file that fails (VideoError, LibraryError) is reported to it and skipped;
        without, the error is raised. `progress(path)` gives a per-file seconds callback (with
        `jobs` > 1 it is called once a file is done, with its duration). `jobs` > 1 describes
        that many files at once in worker processes, the threads shared among them; the
        library is written by this process alone.
        """
        files = [Path(p) for p in paths]
        id_list: list[str | None] = list(ids) if ids is not None else [None] * len(files)
        if jobs < 1:
            raise ConfigError(f"jobs must be 1 or more, got {jobs}")
        results: list[AddResult] = []
        index = self.index
        if not self.descriptor.ready:
            self._learn(files)
        try:
            if jobs > 1 and len(files) > 1:
                self._add_parallel(files, id_list, index, on_error, progress, jobs, results)
            else:
                for path, video_id in zip(files, id_list, strict=True):
                    try:
                        results.append(self._add_one(path, video_id, index, progress))
                    except (VideoError, LibraryError) as e:
                        if on_error is None:
                            raise
                        on_error(path, e)
        finally:
            if any(r.status is AddStatus.ADDED for r in results):
                # rebuilt when grown past IVF_MIN_FRAMES, or past its lists
                index = self._index = self._fitting_index(index)
                index.save(self.folder, self.catalog.generation)
        return results

    def _add_parallel(self, files: list[Path], ids: list[str | None], index: FrameIndex,
                      on_error: Callable[[Path, Exception], None] | None,
                      progress: Callable[[Path], Progress] | None, jobs: int,
                      results: list[AddResult]) -> None:
        """`add` with the describing done by `jobs` worker processes (describe_references);
        each file is checked before and again just before it is committed, as `_add_one`
        checks it. Results are appended in the order the files finish."""
        todo: list[tuple[Path, str, str]] = []  # path, video id, content hash
        for path, video_id in zip(files, ids, strict=True):
            try:
                checked = self._check_new(path, video_id)
            except (VideoError, LibraryError) as e:
                if on_error is None:
                    raise
                on_error(path, e)
                continue
            if isinstance(checked, AddResult):
                results.append(checked)
            else:
                todo.append((path, *checked))
        if not todo:
            return
        done = describe_references([(p, vid) for p, vid, _ in todo], self.descriptor,
                                   self.manifest.descriptor, self.settings,
                                   min(jobs, len(todo)))
        with closing(done):  # raising here stops the workers at once
            for i, outcome in done:
                path, vid, digest = todo[i]
                try:
                    if isinstance(outcome, Exception):
                        raise outcome
                    checked = self._check_new(path, vid, digest)  # a twin may have come first
                    if isinstance(checked, AddResult):
                        results.append(checked)
                        continue
                    results.append(self._commit(path, vid, digest, *outcome, index))
                except (VideoError, LibraryError) as e:
                    if on_error is None:
                        raise
                    on_error(path, e)
                    continue
                if progress:
                    progress(path)(results[-1].duration)

    def _check_new(self, path: Path, video_id: str | None, digest: str | None = None
                   ) -> AddResult | tuple[str, str]:
        """An UNCHANGED AddResult when the content of `path` is in the library already, else
        (video id, content hash); LibraryError when the id is taken by other content."""
        digest = digest or file_hash(check_video_path(path))
        vid = video_id or path.stem
        same = self.catalog.find(content_hash=digest)
        if same is not None:
            return AddResult(str(path), same.video_id, AddStatus.UNCHANGED, same.duration,
                             same.n_frames)
        taken = self.catalog.find(video_id=vid)
        if taken is not None:
            raise LibraryError(
                f"{path}: id {vid!r} is already used by {taken.path} (other content); "
                "give another id with --id, or remove the old one with `vidtrace remove`"
            )
        return vid, digest

    def _add_one(self, path: Path, video_id: str | None, index: FrameIndex,
                 progress: Callable[[Path], Progress] | None) -> AddResult:
        checked = self._check_new(path, video_id)
        if isinstance(checked, AddResult):
            return checked
        vid, digest = checked
        fs, fine = describe_reference(path, self.descriptor, self.settings, vid,
                                      progress(path) if progress else None)
        return self._commit(path, vid, digest, fs, fine, index)

    def _commit(self, path: Path, vid: str, digest: str, fs: FrameSet, fine: FrameSet | None,
                index: FrameIndex) -> AddResult:
        """Insert a described reference into the catalog (its own transaction) and the index."""
        s = self.settings
        rec = VideoRecord(0, vid, str(path.resolve()), digest, fs.duration, s.index_fps,
                          self.manifest.descriptor_version, len(fs))
        rowid = self.catalog.insert(
            rec, fs.times, fs.vectors,
            None if fine is None else (s.fine_fps, fine.times, fine.vectors))
        # the index holds what a rebuild from the catalog's float16 rows would hold
        index.add(rowid, fs.vectors.astype(np.float16).astype(np.float32))
        return AddResult(str(path), vid, AddStatus.ADDED, fs.duration, len(fs))

    def remove(self, video_id: str) -> VideoRecord:
        """Remove one reference video by id; raises LibraryError when there is none."""
        index = self.index
        rec = self.catalog.delete(video_id)
        index.remove(rec.rowid)
        index.save(self.folder, self.catalog.generation)
        return rec

    # ---- queries ----------------------------------------------------------------------------

    def describe_query(self, path: str | Path, progress: Progress | None = None,
                       settings: Settings | None = None) -> FrameSet:
        """The query's frames sampled at `query_fps` and described; raises VideoError."""
        s = settings or self.settings
        return describe_video(path, self.descriptor, s.query_fps, s, progress=progress,
                              sampling=s.query_sampling)

    def describe_query_views(self, path: str | Path, progress: Progress | None = None,
                             settings: Settings | None = None) -> QueryViews:
        """The query described with the extra views its settings turn on (`pip_view`,
        `canvas_view`, `mirror_view`; `vidtrace.pipeline.describe_query_views`), the whole
        frames alone when all are off. Raises VideoError."""
        return describe_query_views(path, self.descriptor, settings or self.settings, progress)

    def query(self, path: str | Path, progress: Progress | None = None,
              settings: Settings | None = None) -> list[Match]:
        """Every copied segment of the query video `path`, best score first ([] if none).
        `settings`: query-time settings other than the library's (see `match`)."""
        s = self.query_settings(settings)
        return self.match(self.describe_query_views(path, progress, s), s, query_path=path)

    def query_settings(self, settings: Settings | None) -> Settings:
        """`settings` checked against the library's: only the fields in
        `vidtrace.settings.QUERY_TIME` (and `fine_source` "decode") may differ."""
        if settings is None:
            return self.settings
        stored, wanted = self.settings.to_dict(), settings.to_dict()
        for key, value in wanted.items():
            if key in QUERY_TIME or stored[key] == value:
                continue
            if key in ("fine_fps", "fine_source") and (
                    settings.fine_source == "decode" or settings.fine_fps == 0):
                continue  # off, or decoded at query time: the library's fine rows not needed
            raise ConfigError(
                f"{self.folder}: was built with {key} = {stored[key]!r}; a query cannot use "
                f"{value!r} (build another library with it)")
        return settings

    def match(self, query: FrameSet | QueryViews, settings: Settings | None = None,
              query_path: str | Path | None = None) -> list[Match]:
        """Matches of an already-described query: stage 1 ranks candidate references by
        `settings.stage1`, stage 2 aligns each by `settings.stage2`, segments scoring below
        `match_threshold` are dropped. `query_path` lets "orb-rerank" decode query frames
        again (without it, that ranker falls back to "vote"). A `QueryViews` query with
        inset vectors (`describe_query_views`) is matched by the better view of each frame:
        the inset's neighbours count as the frame's hits, and the alignment matrix holds the
        larger of the two similarities."""
        s = self.query_settings(settings)
        views = query if isinstance(query, QueryViews) else QueryViews.of(query)
        full = views.full
        candidates = self._candidates(views, s, query_path)
        align = aligner(s.stage2)
        # the threshold is applied last, so a calibration sweep over it is exact
        params = replace(AlignParams.from_settings(s), threshold=-np.inf)
        matches: list[Match] = []
        for rowid, _score in candidates:
            rec = self.catalog.record(rowid)
            r_times, r_vectors = self.catalog.frames(rowid)
            S = views.similarity(r_vectors)
            best = full
            if s.fine_fps > 0 and views.extra:
                best = replace(full, vectors=views.best_vectors(r_vectors))
            for g in align(full.times, r_times, S, params, full.duration, rec.duration):
                if s.fine_fps > 0:
                    g = self._refine_fine(g, best, rec, params, s)
                if g.score >= s.match_threshold:
                    matches.append(Match(rec.video_id, g.query_start, g.query_end,
                                         g.ref_start, g.ref_end, g.score))
        return sorted(matches, key=lambda m: -m.score)

    def candidates(self, query: FrameSet | QueryViews, settings: Settings | None = None,
                   query_path: str | Path | None = None) -> list[tuple[str, float]]:
        """Stage 1 alone: the references `match` would align, as (reference id, score), best
        first."""
        s = self.query_settings(settings)
        views = query if isinstance(query, QueryViews) else QueryViews.of(query)
        return [(self.catalog.record(rowid).video_id, score)
                for rowid, score in self._candidates(views, s, query_path)]

    def _candidates(self, views: QueryViews, s: Settings, query_path: str | Path | None
                    ) -> list[tuple[int, float]]:
        query = views.full
        if len(query) == 0 or self.index.ntotal == 0:
            return []
        self.index.nprobe = s.nprobe
        hits = knn_hits(self.index, query.vectors, s.knn_k)
        for view in views.extra:
            view_hits = knn_hits(self.index, view.vectors, s.knn_k)
            hits = _with_view_hits(hits, view_hits, view.rows)
        frames = None if query_path is None else self._frame_source(Path(query_path), s)
        return rank(s.stage1, hits, len(query), s.hit_floor, s.max_candidates,
                    rerank_top=s.rerank_top, query_times=query.times,
                    ref_times=lambda rowid: self.catalog.frames(rowid)[0], frames=frames)

    def _refine_fine(self, seg: Segment, query: FrameSet, rec: VideoRecord, params: AlignParams,
                     s: Settings) -> Segment:
        """`seg` refined on the reference's fine-rate frames around it (docs/strategies.md)."""
        start, end = fine_window(seg, rec.duration)
        if s.fine_source == "library":
            stored = self.catalog.fine_frames(rec.rowid)
            if stored is None:
                return seg
            f_times, f_vectors = stored
            inside = (f_times >= start) & (f_times <= end)
            f_times, f_vectors = f_times[inside], f_vectors[inside]
        else:
            from vidtrace.video.seek import iter_window

            frames = (
                (t, prepare_frame(image, s.input_size, s.crop_borders))
                for t, image in iter_window(rec.path, s.fine_fps, start, end, s.short_side,
                                            s.max_long_side)
            )
            described = list(self.descriptor.describe_stream(frames, s.batch_size))
            if not described:
                return seg
            f_times = np.concatenate([t for t, _ in described])
            f_vectors = np.concatenate([v for _, v in described])
        return refine_fine(seg, query.times, query.vectors, f_times, f_vectors, params,
                           query.duration, rec.duration)

    def _frame_source(self, query_path: Path, s: Settings) -> FrameSource:
        """Frames of the query (rowid None) or of a reference at given times, decoded again
        (for geometric re-ranking); missing reference files give no frames."""
        from vidtrace.video.seek import frames_at

        def frames(rowid: int | None, times: Sequence[float]) -> list[np.ndarray | None]:
            path = query_path if rowid is None else Path(self.catalog.record(rowid).path)
            if rowid is not None and not path.is_file():
                return [None] * len(times)
            return frames_at(path, times, s.short_side, s.max_long_side)

        return frames

    def summary(self) -> dict[str, Any]:
        """Facts for `vidtrace info`: format, descriptor, counts, size on disk, references."""
        from vidtrace.library.manifest import FORMAT_VERSION

        videos = self.catalog.videos()
        size = sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
        hours = sum(v.duration for v in videos) / 3600
        return {
            "format_version": FORMAT_VERSION,
            "descriptor": self.manifest.descriptor,
            "descriptor_version": self.manifest.descriptor_version,
            "dim": self.manifest.dim,
            "metric": self.manifest.metric,
            "settings": self.settings.to_dict(),
            "videos": len(videos),
            "frames": sum(v.n_frames for v in videos),
            "index": {"kind": self.index.kind, "lists": self.index.nlist,
                      "vectors": self.index.ntotal},
            "hours": hours,
            "bytes": size,
            "bytes_per_hour": size / hours if hours else 0.0,
            "references": [
                {"id": v.video_id, "path": v.path, "duration": v.duration, "frames": v.n_frames,
                 "content_hash": v.content_hash} for v in videos
            ],
        }
