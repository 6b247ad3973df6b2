"""Described crops of some query frames and the views they make (stage 1, video): `InsetView`,
the vectors of some rows of a query's frames; `Described`, crops described a batch at a time as
they come; `MirrorCollector`, every frame described flipped left to right (the mirrored view).
The query views that need detection are in `vidtrace.video.views`."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from vidtrace.video.pip import InsetWindow


@dataclass(frozen=True)
class InsetView:
    """Vectors of the cropped inset of some query frames.

    rows: int64[N], strictly increasing indices into the query's frames (its FrameSet rows).
    vectors: float32[N, d]. windows: what the detector found, window by window.
    """

    rows: np.ndarray
    vectors: np.ndarray
    windows: tuple[InsetWindow, ...] = ()

    def __post_init__(self) -> None:
        if self.rows.ndim != 1 or self.vectors.ndim != 2:
            raise ValueError("InsetView needs rows of shape (N,) and vectors of shape (N, d)")
        if len(self.rows) != len(self.vectors):
            raise ValueError(f"InsetView: {len(self.rows)} rows but {len(self.vectors)} vectors")
        if self.rows.dtype != np.int64 or self.vectors.dtype != np.float32:
            raise ValueError("InsetView: rows must be int64 and vectors float32")
        if len(self.rows) and (self.rows[0] < 0 or np.any(np.diff(self.rows) <= 0)):
            raise ValueError("InsetView: rows must be non-negative and strictly increasing")

    @classmethod
    def empty(cls, dim: int, windows: tuple[InsetWindow, ...] = ()) -> "InsetView":
        return cls(np.zeros(0, np.int64), np.zeros((0, dim), np.float32), windows)

    def __len__(self) -> int:
        return len(self.rows)


class Described:
    """Crops of some query rows, described `batch` at a time as they come."""

    def __init__(self, describe: Callable[[np.ndarray], np.ndarray], batch: int) -> None:
        self._describe, self._batch = describe, batch
        self.rows: list[int] = []
        self._crops: list[np.ndarray] = []
        self._vectors: list[np.ndarray] = []

    def add(self, row: int, crop: np.ndarray) -> None:
        self.rows.append(row)
        self._crops.append(crop)
        if len(self._crops) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if self._crops:
            self._vectors.append(self._describe(np.stack(self._crops)))
            self._crops.clear()

    def last(self, n: int) -> np.ndarray:
        """The vectors of the last `n` rows added (flushed first)."""
        self.flush()
        parts: list[np.ndarray] = []
        for vectors in reversed(self._vectors):
            if n <= 0:
                break
            parts.append(vectors[-n:])
            n -= len(parts[-1])
        return np.concatenate(parts[::-1])

    def view(self, dim: int, windows: tuple[InsetWindow, ...] = ()) -> InsetView:
        if not self.rows:
            return InsetView.empty(dim, windows)
        return InsetView(np.asarray(self.rows, np.int64), np.concatenate(self._vectors), windows)


class MirrorCollector:
    """Passes prepared (time_s, frame) pairs on unchanged and describes each frame flipped left
    to right on the side (the mirrored view), `batch_size` at a time. Flipping the prepared
    frame equals preparing the flipped frame: the border crop is symmetric. Call `view` once
    `frames` is exhausted.

    describe: uint8[B, size, size, 3] -> float32[B, d] (a descriptor's `describe`).
    """

    def __init__(self, describe: Callable[[np.ndarray], np.ndarray], batch_size: int) -> None:
        self._flipped = Described(describe, batch_size)

    def frames(self, prepared: Iterable[tuple[float, np.ndarray]]
               ) -> Iterator[tuple[float, np.ndarray]]:
        for row, (t, frame) in enumerate(prepared):
            self._flipped.add(row, np.ascontiguousarray(frame[:, ::-1]))
            yield t, frame
        self._flipped.flush()

    def view(self, dim: int) -> InsetView:
        """The mirrored vectors of every frame `frames` passed on (rows 0..n-1)."""
        return self._flipped.view(dim)
