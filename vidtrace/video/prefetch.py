"""Decoding ahead in a background thread (stage 1, video; docs/speed.md).

Describing a video alternates two kinds of work: decoding and preparing frames (FFmpeg through
PyAV, OpenCV) and running the descriptor (onnxruntime). Both release Python's GIL for most of
their time, so `prefetch` runs the first in a thread and hands its items over through a bounded
queue: the descriptor works on one batch while the next frames are decoded, and at most `depth`
frames wait in memory. Errors raised while decoding (a corrupt file's VideoError) reach the
consumer at the position where they happened; a consumer that stops early (an error of its
own, Ctrl-C) stops the thread.
"""

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()
_POLL_S = 0.1  # how often a producer blocked on a full queue checks whether to stop


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch[T](items: Iterable[T], depth: int) -> Iterator[T]:
    """The items of `items`, in order, produced by a background thread at most `depth` ahead of
    the consumer. Exceptions from `items` are raised by the iterator at their position."""
    if depth < 1:
        raise ValueError(f"prefetch depth must be at least 1, got {depth}")
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as e:  # handed to the consumer, which re-raises it
            put(_Failure(e))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own cleanup (closing the video file) runs here
        put(_DONE)

    worker = threading.Thread(target=produce, name="vidtrace-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
