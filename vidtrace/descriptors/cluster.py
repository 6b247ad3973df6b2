"""Describing references on a Dask cluster (`vidtrace index --cluster ...`; the [dask] extra).

The cluster is `tcp://HOST:PORT` (a running `dask scheduler` with workers that have vidtrace
and the same descriptor installed, and that read the files at the same paths) or `local:N`
(N worker processes on this machine, started and stopped here). Each worker loads the
descriptor once (from its spec and the state it learned, sent once to every worker) and
describes whole files; results stream back, as each file finishes, to the one process that
writes the library (library/ingest.py), the same way `--jobs` worker processes do
(parallel.py). A file that cannot be described comes back as its VidtraceError and the run
goes on; a task on a worker that dies is run again elsewhere by the scheduler (Dask allows a
task `distributed.scheduler.allowed-failures` lost workers, 3 by default; a file given up is
tried once more alone, `describe_on_cluster`), and one that fails for another reason (not a
VidtraceError) is retried RETRIES times.
"""

import asyncio
import hashlib
import logging
import re
import threading
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.describe import describe_reference
from vidtrace.errors import ConfigError, VideoError, VidtraceError
from vidtrace.settings import LibrarySettings, usable_cores
from vidtrace.types import FrameSet

RETRIES = 2
_LOCAL = re.compile(r"local:([1-9][0-9]{0,2})")
_REMOTE = re.compile(r"(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}")

# what each worker process loaded: (spec, state digest, threads) -> descriptor and its lock
_models: dict[tuple[str, str, int], tuple[Descriptor, threading.Lock]] = {}
_models_lock = threading.Lock()

Result = tuple[FrameSet, FrameSet | None] | VidtraceError


def _not_a_shutdown_race(record: logging.LogRecord) -> bool:
    """False for the nanny's report of its own wait being cancelled: a local worker that died
    just before the cluster is closed leaves the nanny unregistering it when the close
    cancels that (a CancelledError logged as an ERROR with its traceback). Nothing is lost;
    every other record passes."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, asyncio.CancelledError)


def check_cluster(cluster: str) -> str:
    """`cluster` when it is `local:N` or `tcp://HOST:PORT` (tls:// too), else ConfigError."""
    if not (_LOCAL.fullmatch(cluster) or _REMOTE.fullmatch(cluster)):
        raise ConfigError(f"--cluster {cluster}: give tcp://SCHEDULER:8786 (a running Dask "
                          "scheduler) or local:N (N worker processes here)")
    return cluster


def _model(spec: str, state: dict[str, np.ndarray], digest: str, threads: int
           ) -> tuple[Descriptor, threading.Lock]:
    """This worker's descriptor for `spec` with `state`, loaded on first use."""
    from vidtrace.descriptors import create_descriptor

    key = (spec, digest, threads)
    with _models_lock:
        if key not in _models:
            d = create_descriptor(spec, threads or usable_cores())
            if state:
                d.load_state(state)
            _models[key] = (d, threading.Lock())
        return _models[key]


def _describe_task(path: str, video_id: str, spec: str, state: dict[str, np.ndarray],
                   digest: str, threads: int, lib: LibrarySettings, batch_size: int) -> Result:
    """Run on a worker: one file described, or the VidtraceError that stopped it (returned,
    not raised, so Dask does not retry a file that cannot be read)."""
    d, lock = _model(spec, state, digest, threads)
    try:
        with lock:  # a worker with several threads describes one file at a time per model
            return describe_reference(Path(path), d, lib, batch_size, video_id)
    except VidtraceError as e:
        return e


def _state_digest(state: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(state):
        h.update(k.encode() + np.ascontiguousarray(state[k]).tobytes())
    return h.hexdigest()


def _connect(cluster: str, threads: int) -> tuple[Any, Any, int]:
    """(client, local cluster or None, threads per worker's descriptor; 0: its own cores)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ConfigError("--cluster needs the [dask] extra; pip install 'vidtrace[dask]'"
                          ) from e
    local = _LOCAL.fullmatch(check_cluster(cluster))
    if local is None:
        try:
            return Client(cluster, timeout="10s"), None, 0
        except OSError as e:
            raise ConfigError(f"--cluster {cluster}: cannot reach the Dask scheduler ({e}); "
                              "start it (`dask scheduler`) or check the address") from e
    n = int(local.group(1))
    made = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40)
    return Client(made), made, max(1, threads // n)


def describe_on_cluster(
    jobs: Sequence[tuple[Path, str]], descriptor: Descriptor, spec: str, lib: LibrarySettings,
    batch_size: int, threads: int, cluster: str,
) -> Generator[tuple[int, tuple[FrameSet, FrameSet | None] | Exception], None, None]:
    """Describe the (path, video id) `jobs` on the Dask `cluster`; yields (position in
    `jobs`, result or the VidtraceError it gave) as each finishes, like parallel.py's
    `describe_references`. `threads`: this machine's share, split among local workers.

    Files whose workers kept dying (Dask's KilledWorker) are described again at the end, one
    at a time: the scheduler counts a death against every file the dead worker held, queued
    ones too, so a file queued behind one that kills its workers would fail with it. Alone on
    the cluster, a death is the file's own, and a file given up then is reported."""
    client, local, per_worker = _connect(cluster, threads)
    nanny = logging.getLogger("distributed.nanny")
    if local is not None:
        nanny.addFilter(_not_a_shutdown_race)
    try:
        from distributed import KilledWorker, as_completed

        state = descriptor.state()
        digest = _state_digest(state)
        shared = client.scatter(state, broadcast=True) if state else {}

        def submit(i: int) -> Any:
            return client.submit(_describe_task, str(Path(jobs[i][0]).absolute()), jobs[i][1],
                                 spec, shared, digest, per_worker, lib, batch_size, pure=False,
                                 retries=RETRIES)

        futures = {submit(i): i for i in range(len(jobs))}
        suspects: list[int] = []
        for future in as_completed(futures):
            i = futures.pop(future)
            result = _outcome(future, jobs[i][0], KilledWorker)
            if isinstance(result, _Killed):
                suspects.append(i)
                continue
            yield i, result
        for i in sorted(suspects):  # alone on the cluster: each death is this file's
            result = _outcome(submit(i), jobs[i][0], KilledWorker)
            yield i, result.error if isinstance(result, _Killed) else result
    finally:  # a caller that stops early (an error, ^C) cancels the files left
        client.close()
        if local is not None:
            try:
                local.close()
            finally:
                nanny.removeFilter(_not_a_shutdown_race)


class _Killed:
    """A file whose workers died: its error, kept until it has been tried alone."""

    def __init__(self, error: VideoError) -> None:
        self.error = error


def _outcome(future: Any, path: Path, killed: type[Exception]
             ) -> tuple[FrameSet, FrameSet | None] | Exception | _Killed:
    """The result of a finished `future` describing `path`: frames, the VidtraceError the
    file gave, a VideoError when it failed otherwise (retried and lost), or _Killed."""
    try:
        result: tuple[FrameSet, FrameSet | None] | Exception = future.result()
        return result
    except VidtraceError as e:
        return e
    except killed as e:
        deaths = int(getattr(e, "allowed_failures", 0)) + 1
        return _Killed(VideoError(path, f"could not be described on the cluster (KilledWorker: "
                                  f"{deaths} workers died describing it; out of memory, or a "
                                  "crash in a decoder?); check the workers' logs"))
    except Exception as e:  # retried and lost: this file fails, the run goes on
        return VideoError(path, f"could not be described on the cluster "
                          f"({type(e).__name__}: {e}); add it again")
