"""Decoding ahead in a thread (vidtrace/video/prefetch.py): same items in the same order, errors
where they happened, and a consumer that stops early stops the producer."""

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from tests.conftest import CLIPS
from vidtrace.errors import VideoError
from vidtrace.video.decode import iter_frames
from vidtrace.video.prefetch import prefetch


def test_same_frames_in_the_same_order_as_decoding_directly() -> None:
    path = CLIPS / "mdn_friday_1940.mp4"
    direct = list(iter_frames(path, 2.0, 144, 256))
    ahead = list(prefetch(iter_frames(path, 2.0, 144, 256), 3))
    assert [t for t, _ in ahead] == [t for t, _ in direct]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(ahead, direct, strict=True))


def test_a_decoding_error_is_raised_at_its_position(truncated_mp4) -> None:  # type: ignore[no-untyped-def]
    seen = []
    with pytest.raises(VideoError, match="truncated"):
        for t, _ in prefetch(iter_frames(truncated_mp4, 1.0, 144, 256), 2):
            seen.append(t)
    direct = []
    with pytest.raises(VideoError, match="truncated"):
        for t, _ in iter_frames(truncated_mp4, 1.0, 144, 256):
            direct.append(t)
    assert seen == direct and seen


def test_stopping_early_stops_the_producer() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def numbers() -> Iterator[int]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = prefetch(numbers(), 4)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()  # what a `for` loop left by an exception does
    assert closed.wait(2.0)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 3 + 4 + 2  # consumed + queued + one in hand


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(prefetch([1, 2], 0))
