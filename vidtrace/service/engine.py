"""The service's work behind the HTTP layer: one writer, a pool of queries, index snapshots.

Additions and removals run one at a time on a single writer thread that owns the library's
writing `Library`; queries run on a pool of threads, each opening its own read-only view.
Queries read the faiss index from an immutable `Snapshot` published by the writer after each
change (the index file of the catalog generation it just wrote, loaded afresh), so a query
never sees an index being changed, and never writes an index file itself; catalog rows are
read from SQLite (WAL: readers do not wait for the writer), and a reference removed while a
query runs is skipped by it. The descriptor is loaded once and shared (onnxruntime sessions
are safe to run from several threads).

This is the service's own serialisation on today's `Library`: when the store gets its
cross-process write lock and read snapshots, `_read_view` and `_publish` become calls of those.
"""

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vidtrace.api import AddStatus, Library
from vidtrace.errors import VidtraceError
from vidtrace.library import FrameIndex
from vidtrace.library.catalog import VideoRecord
from vidtrace.report.build import assemble, library_facts, now_utc, query_facts, reference_paths
from vidtrace.report.evidence import match_evidence
from vidtrace.service.jobs import Job
from vidtrace.video import probe

log = logging.getLogger(__name__)

DESCRIBE_SHARE = 0.95  # progress given to decoding and describing; the rest is matching


@dataclass(frozen=True)
class Snapshot:
    """The faiss index of catalog generation `generation`, never changed after publishing."""

    generation: int
    index: FrameIndex


@dataclass(frozen=True)
class QueryOutcome:
    """What a finished query keeps for its report: the report without thumbnails, the files
    of its matched references, and the query file."""

    report: Any
    ref_paths: dict[str, Path]
    query_path: Path


def _public_error(e: Exception, path: Path, name: str) -> str:
    """The error's message with the server's path of an upload replaced by the client's name."""
    return str(e).replace(str(path.resolve()), name).replace(str(path), name)


class Engine:
    """Runs the jobs of a service on the library in `folder` (which must exist); `workers`
    queries at once. Call `start` (blocking) before submitting and `close` at the end."""

    def __init__(self, folder: Path, media_dir: Path, workers: int = 2) -> None:
        self.folder = folder
        self.media_dir = media_dir  # where uploaded references are kept
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="vidtrace-writer")
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="vidtrace-query")
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._wlib: Library | None = None
        self._descriptor: Any = None

    # ---- writer thread ----------------------------------------------------------------------

    def start(self) -> None:
        """Open the writing library and the descriptor on the writer thread; publish the first
        snapshot. Raises what `Library.open` raises."""
        self._writer.submit(self._open_writer).result()

    @property
    def _lib(self) -> Library:
        """The writing library (writer thread only)."""
        if self._wlib is None:
            raise RuntimeError("the service engine is not started")
        return self._wlib

    def _open_writer(self) -> None:
        lib = Library.open(self.folder)
        self._descriptor = lib.descriptor
        lib.index  # noqa: B018 - fitted (and saved when stale) here, on the writer thread
        self._wlib = lib
        self._publish()

    def _publish(self) -> None:
        lib = self._lib
        gen = lib.catalog.generation
        index = FrameIndex.load(lib.folder, gen, lib.manifest.dim, lib.catalog.binary)
        if index is None:  # no file for this generation yet: write the writer's own
            lib.index.save(lib.folder, gen)
            index = FrameIndex.load(lib.folder, gen, lib.manifest.dim, lib.catalog.binary)
        if index is None:
            raise RuntimeError(f"{lib.folder}: index file of generation {gen} cannot be read")
        with self._lock:
            self._snapshot = Snapshot(gen, index)

    def submit_add(self, job: Job, path: Path, ref_id: str, name: str) -> Future[None]:
        """Queue the addition of uploaded reference `path` as `ref_id` (job `job`)."""
        return self._writer.submit(self._guarded, job, self._add, job, path, ref_id, name)

    def _add(self, job: Job, path: Path, ref_id: str, name: str) -> None:
        lib = self._lib
        try:
            duration = max(probe(path).duration, 1e-3)

            def per_file(_: Path) -> Any:
                return lambda seconds: job.set_progress(DESCRIBE_SHARE * seconds / duration)

            result = lib.add([path], ids=[ref_id], progress=per_file)[0]
        except VidtraceError as e:
            path.unlink(missing_ok=True)
            job.fail(_public_error(e, path, name))
            return
        if result.status is AddStatus.UNCHANGED:
            path.unlink(missing_ok=True)  # the catalog keeps the file it had
        else:
            self._publish()
        job.finish({"reference": result.video_id, "status": str(result.status),
                    "duration": round(result.duration, 3), "frames": result.n_frames})

    def remove(self, ref_id: str) -> Future[VideoRecord]:
        """Queue the removal of reference `ref_id`; the future raises LibraryError when there
        is none."""
        return self._writer.submit(self._remove, ref_id)

    def _remove(self, ref_id: str) -> VideoRecord:
        rec = self._lib.remove(ref_id)
        self._publish()
        stored = Path(rec.path)
        if stored.parent == self.media_dir.resolve():
            stored.unlink(missing_ok=True)
        return rec

    # ---- query pool -------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                raise RuntimeError("the service engine is not started")
            return self._snapshot

    @contextmanager
    def _read_view(self) -> Iterator[tuple[Library, Snapshot]]:
        """A `Library` of this thread that searches the current snapshot's index with the
        shared descriptor (it never builds or writes an index)."""
        snap = self.snapshot
        lib = Library.open(self.folder)
        lib._descriptor = self._descriptor  # the store redesign exposes these (see module doc)
        lib._index = snap.index
        try:
            yield lib, snap
        finally:
            lib.close()

    def submit_query(self, job: Job, path: Path, name: str, sha256: str) -> Future[None]:
        """Queue the query of uploaded file `path` (client's name `name`, hash `sha256`)."""
        return self._pool.submit(self._guarded, job, self._query, job, path, name, sha256)

    def _query(self, job: Job, path: Path, name: str, sha256: str) -> None:
        run_at, start = now_utc(), time.perf_counter()
        try:
            with self._read_view() as (lib, snap):
                s = lib.settings
                duration = max(probe(path).duration, 1e-3)
                views = lib.describe_query_views(
                    path, lambda t: job.set_progress(DESCRIBE_SHARE * t / duration), s)
                evidence = match_evidence(lib, views, s, path)
                facts = replace(library_facts(lib), generation=snap.generation)
                report = assemble(evidence, query_facts(path, views.full.duration, name, sha256),
                                  facts, s, run_at, time.perf_counter() - start)
                refs = reference_paths(lib, sorted({g.ref_id for g in report.segments}))
        except VidtraceError as e:
            path.unlink(missing_ok=True)  # no report will need it
            job.fail(_public_error(e, path, name))
            return
        matches = [m.to_json() for m in report.matches()]
        job.finish({"query": name, "matches": matches}, QueryOutcome(report, refs, path))

    def render_report(self, outcome: QueryOutcome) -> Future[str]:
        """The evidence page of a finished query, thumbnails decoded, on the query pool."""
        from vidtrace.report import attach_frames, render_html

        def render() -> str:
            report = attach_frames(outcome.report, outcome.query_path, outcome.ref_paths)
            return render_html(report)

        return self._pool.submit(render)

    def references(self) -> list[VideoRecord]:
        """The references in the catalog now (call from a worker thread, not the loop)."""
        lib = Library.open(self.folder)
        try:
            return lib.videos()
        finally:
            lib.close()

    # ---- both -------------------------------------------------------------------------------

    @staticmethod
    def _guarded(job: Job, fn: Any, *args: Any) -> None:
        """Run a job's function; an unexpected exception fails the job and is logged."""
        job.start()
        try:
            fn(*args)
        except Exception:
            log.exception("job %s failed unexpectedly", job.id)
            job.fail("internal error; see the server log")

    def close(self) -> None:
        """Finish running jobs (queued ones are cancelled) and close the writing library."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._wlib is not None:
            self._writer.submit(self._wlib.close).result()
        self._writer.shutdown(wait=True, cancel_futures=True)
