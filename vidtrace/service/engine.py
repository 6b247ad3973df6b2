"""The service's work behind the HTTP layer: one writer thread, a pool of queries.

Additions and removals run one at a time on a single writer thread through its own `Library`
(`Library.add` / `Library.remove` take the store's cross-process write lock, so a `vidtrace
index` in another process and the service can change one library safely: each waits for the
other). Queries (and dedup runs over the references, dedup/) run on a pool of threads sharing
one reading `Library` (`Readers`): decoding
and describing run in parallel; matching runs inside a read snapshot of the store
(`Library.trace` in `report.build.evidence_report`), so a query sees one committed state of
the catalog and its index, whatever the writer commits meanwhile. Readers never write: the
writer's session saves the index of each state it commits. When the library's manifest changes
(new query defaults from `vidtrace calibrate`, a trainable descriptor's first state), the
writer and the readers open the library again before their next job.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidtrace.api import AddStatus, Library
from vidtrace.dedup import dedup_library
from vidtrace.errors import VidtraceError
from vidtrace.report import EvidenceReport
from vidtrace.report.build import evidence_report, now_utc, query_facts
from vidtrace.service.jobs import Job
from vidtrace.types import Reference
from vidtrace.video import probe

log = logging.getLogger(__name__)

DESCRIBE_SHARE = 0.95  # progress given to decoding and describing; the rest is matching
WRITE_WAIT_S = 600.0  # how long an addition waits for another process writing the library
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class QueryOutcome:
    """What a finished query keeps for its report: the report without thumbnails, the files
    of its matched references, and the query file."""

    report: EvidenceReport
    ref_paths: dict[str, Path]
    query_path: Path


def _public_error(e: Exception, path: Path, name: str) -> str:
    """The error's message with the server's path of an upload replaced by the client's name."""
    return str(e).replace(str(path.resolve()), name).replace(str(path), name)


def _manifest_stamp(folder: Path) -> tuple[int, int, int]:
    """(inode, mtime ns, size) of the library's manifest: it is replaced atomically (a new
    inode) whenever it changes."""
    st = (folder / MANIFEST).stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


def _open(folder: Path) -> Library:
    """The library in `folder` with its descriptor loaded (before threads share it)."""
    lib = Library.open(folder)
    try:
        lib.descriptor  # noqa: B018 - loaded once, here, not by the first of several threads
    except BaseException:
        lib.close()
        raise
    return lib


class Readers:
    """The `Library` the query threads share, opened again when the manifest changes: a new
    one serves the next queries, the old one is closed when its last query ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._lib: Library | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[int, int] = {}
        self._retired: dict[int, Library] = {}

    def _current(self) -> Library:
        stamp = _manifest_stamp(self.folder)
        if self._lib is not None and stamp == self._stamp:
            return self._lib
        fresh = _open(self.folder)
        if self._lib is not None and fresh.manifest == self._lib.manifest:
            fresh.close()  # rewritten with the same content
        else:
            if self._lib is not None:
                self._retire(self._lib)
            self._lib = fresh
            self._users.setdefault(id(fresh), 0)
        self._stamp = stamp
        return self._lib

    def _retire(self, lib: Library) -> None:
        if self._users.get(id(lib), 0) == 0:
            self._users.pop(id(lib), None)
            lib.close()
        else:
            self._retired[id(lib)] = lib

    @contextmanager
    def use(self) -> Iterator[Library]:
        """The current reading library, for the `with` block."""
        with self._lock:
            lib = self._current()
            self._users[id(lib)] += 1
        try:
            yield lib
        finally:
            with self._lock:
                self._users[id(lib)] -= 1
                if id(lib) in self._retired and self._users[id(lib)] == 0:
                    del self._retired[id(lib)], self._users[id(lib)]
                    lib.close()

    def close(self) -> None:
        with self._lock:
            for lib in [*self._retired.values(), *([self._lib] if self._lib else [])]:
                lib.close()
            self._lib, self._retired, self._users = None, {}, {}


class Engine:
    """Runs the jobs of a service on the library in `folder` (which must exist); `workers`
    queries at once. Call `start` (blocking) before submitting and `close` at the end."""

    def __init__(self, folder: Path, media_dir: Path, workers: int = 2) -> None:
        self.folder = folder
        self.media_dir = media_dir  # where uploaded references are kept
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="vidtrace-writer")
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="vidtrace-query")
        self.readers = Readers(folder)
        self._writer_lib: Library | None = None
        self._writer_stamp: tuple[int, int, int] | None = None

    # ---- writer thread ----------------------------------------------------------------------

    def start(self) -> None:
        """Open the writing and the reading library (loading their descriptors); raises what
        `Library.open` raises."""
        self._writer.submit(self._writing_library).result()
        with self.readers.use():
            pass

    def _writing_library(self) -> Library:
        """The writer's library, opened again when the manifest changed (writer thread)."""
        stamp = _manifest_stamp(self.folder)
        if self._writer_lib is None or stamp != self._writer_stamp:
            if self._writer_lib is not None:
                self._writer_lib.close()
                self._writer_lib = None
            self._writer_lib = _open(self.folder)
            self._writer_stamp = stamp
        return self._writer_lib

    def submit_add(self, job: Job, path: Path, ref_id: str, name: str) -> Future[None]:
        """Queue the addition of uploaded reference `path` as `ref_id` (job `job`)."""
        return self._writer.submit(self._guarded, job, self._add, job, path, ref_id, name)

    def _add(self, job: Job, path: Path, ref_id: str, name: str) -> None:
        try:
            lib = self._writing_library()
            duration = max(probe(path).duration, 1e-3)

            def per_file(_: Path) -> Callable[[float], None]:
                return lambda seconds: job.set_progress(DESCRIBE_SHARE * seconds / duration)

            result = lib.add([path], ids=[ref_id], progress=per_file, wait=WRITE_WAIT_S)[0]
        except VidtraceError as e:
            path.unlink(missing_ok=True)
            job.fail(_public_error(e, path, name))
            return
        if result.status is AddStatus.UNCHANGED:
            path.unlink(missing_ok=True)  # the catalog keeps the file it had
        job.finish({"reference": result.video_id, "status": str(result.status),
                    "duration": round(result.duration, 3), "frames": result.n_frames})

    def remove(self, ref_id: str) -> Future[Reference | None]:
        """Queue the removal of reference `ref_id`: the future gives the removed reference,
        None when there is none, or raises LibraryError (the library cannot be written, or
        another process kept its write lock for WRITE_WAIT_S)."""
        return self._writer.submit(self._remove, ref_id)

    def _remove(self, ref_id: str) -> Reference | None:
        lib = self._writing_library()
        if lib.store.find(video_id=ref_id) is None:
            return None
        ref = lib.remove(ref_id, wait=WRITE_WAIT_S)
        stored = Path(ref.path)
        if stored.parent == self.media_dir.resolve():
            stored.unlink(missing_ok=True)
        return ref

    # ---- query pool -------------------------------------------------------------------------

    def submit_query(self, job: Job, path: Path, name: str, sha256: str) -> Future[None]:
        """Queue the query of uploaded file `path` (client's name `name`, hash `sha256`)."""
        return self._pool.submit(self._guarded, job, self._query, job, path, name, sha256)

    def _query(self, job: Job, path: Path, name: str, sha256: str) -> None:
        run_at, started = now_utc(), time.perf_counter()
        try:
            with self.readers.use() as lib:
                s = lib.query_defaults
                duration = max(probe(path).duration, 1e-3)
                views = lib.describe_query(
                    path, s, lambda t: job.set_progress(DESCRIBE_SHARE * t / duration))
                facts = query_facts(path, views.full.duration, name, sha256)
                found = evidence_report(lib, views, facts, s, path, None, run_at, started)
        except VidtraceError as e:
            path.unlink(missing_ok=True)  # no report will need it
            job.fail(_public_error(e, path, name))
            return
        matches = [m.to_json() for m in found.report.matches()]
        job.finish({"query": name, "matches": matches},
                   QueryOutcome(found.report, found.ref_paths, path))

    def submit_dedup(self, job: Job, min_duration: float) -> Future[None]:
        """Queue a dedup run over every reference (job `job`; dedup/): its result is the
        `vidtrace dedup --json` object, videos named by reference id."""
        return self._pool.submit(self._guarded, job, self._dedup, job, min_duration)

    def _dedup(self, job: Job, min_duration: float) -> None:
        try:
            with self.readers.use() as lib:
                found = dedup_library(lib, min_duration=min_duration,
                                      progress=lambda done, total: job.set_progress(done / total))
        except VidtraceError as e:
            job.fail(str(e).replace(str(self.folder), "the library"))
            return
        job.finish(found.to_json())

    def render_report(self, outcome: QueryOutcome) -> Future[str]:
        """The evidence page of a finished query, thumbnails decoded, on the query pool."""
        from vidtrace.report import attach_frames, render_html

        def render() -> str:
            report = attach_frames(outcome.report, outcome.query_path, outcome.ref_paths)
            return render_html(report)

        return self._pool.submit(render)

    def references(self) -> list[Reference]:
        """The references in the library now (call from a worker thread, not the loop)."""
        with self.readers.use() as lib:
            return lib.videos()

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
        """Finish running jobs (queued ones are cancelled) and close the libraries."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._writer.submit(self._close_writer).result()
        self._writer.shutdown(wait=True, cancel_futures=True)
        self.readers.close()

    def _close_writer(self) -> None:
        if self._writer_lib is not None:
            self._writer_lib.close()
            self._writer_lib = None

