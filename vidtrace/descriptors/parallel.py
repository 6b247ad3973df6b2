"""Describing several references at once in worker processes (`vidtrace index --jobs N`).

Each worker loads the descriptor once (from its spec and the state it learned) on an equal
share of the threads and describes whole files; results stream back to the one process that
writes the library. Workers are started with "spawn" (no fork of onnxruntime's thread pools)
and die with their parent: each watches the parent's pid and exits when it is gone, so a
`kill -9` of `vidtrace index` leaves no worker behind.
"""

import os
import threading
import time
from collections.abc import Generator, Sequence
from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.describe import describe_reference
from vidtrace.errors import VidtraceError
from vidtrace.settings import LibrarySettings
from vidtrace.types import FrameSet

_worker_descriptor: Descriptor | None = None
_PARENT_POLL_S = 0.5  # how often a worker checks that its parent is alive


def _watch_parent(parent: int) -> None:
    """Exit this worker at once when the process that started it is gone (its parent pid
    changes: the worker was re-parented)."""
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(_PARENT_POLL_S)


def _start_worker(spec: str, state: dict[str, np.ndarray], threads: int, parent: int) -> None:
    global _worker_descriptor
    from vidtrace.descriptors import create_descriptor

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    d = create_descriptor(spec, threads)
    if state:
        d.load_state(state)
    _worker_descriptor = d


def _describe_in_worker(path: Path, video_id: str, lib: LibrarySettings, batch_size: int
                        ) -> tuple[FrameSet, FrameSet | None]:
    if _worker_descriptor is None:
        raise RuntimeError("worker started without its descriptor")
    return describe_reference(path, _worker_descriptor, lib, batch_size, video_id)


def describe_references(
    jobs: Sequence[tuple[Path, str]], descriptor: Descriptor, spec: str, lib: LibrarySettings,
    batch_size: int, threads: int, workers: int,
) -> Generator[tuple[int, tuple[FrameSet, FrameSet | None] | Exception], None, None]:
    """Describe the (path, video id) `jobs` in `workers` processes, each with its own copy of
    `descriptor` (made from `spec` and the state it learned) on an equal share of `threads`;
    yields (position in `jobs`, result or the VidtraceError it raised) as each finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    per_worker = max(1, threads // workers)
    context = multiprocessing.get_context("spawn")  # no fork of onnxruntime's thread pools
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker,
                               initargs=(spec, descriptor.state(), per_worker, os.getpid()))
    try:
        futures = {pool.submit(_describe_in_worker, path, vid, lib, batch_size): i
                   for i, (path, vid) in enumerate(jobs)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except VidtraceError as e:
                yield futures[future], e
    finally:  # a caller that stops early (an error, ^C) does not wait for the files left
        pool.shutdown(wait=True, cancel_futures=True)
