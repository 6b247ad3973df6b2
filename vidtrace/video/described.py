"""Described crops of some query frames and the views they make (stage 1, video): `InsetView`,
the vectors of some rows of a query's frames; `Described`, crops described a batch at a time as
they come; `MirrorCollector`, every frame described flipped left to right (the mirrored view);
`QueryViews`, a described query with all its views. The query views that need detection are
in `vidtrace.video.views`."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from vidtrace.types import FrameSet
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

    def add_best(self, rows: list[int], crops: list[list[np.ndarray]],
                 nearest: Callable[[np.ndarray], np.ndarray]) -> None:
        """For each of `rows`, the vector of whichever of its `crops` (as many for each row)
        comes nearest a reference frame (`nearest`: vectors -> each one's similarity to its
        nearest reference frame), described now."""
        if not rows:
            return
        self.flush()
        k = len(crops[0])
        vectors = self._describe(np.stack([c for row in crops for c in row]))
        vectors = vectors.reshape(len(rows), k, -1)
        pick = nearest(vectors.reshape(len(rows) * k, -1)).reshape(len(rows), k).argmax(axis=1)
        self.rows.extend(rows)
        self._vectors.append(vectors[np.arange(len(rows)), pick])

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


@dataclass(frozen=True)
class QueryViews:
    """A described query: `full`, the whole frames (what `Library.describe_query` returns);
    `inset`, the inset's vectors for the frames of windows where one was found (may be empty);
    `mirror`, the horizontally flipped whole frames; `beside`, the picture beside a
    picture-in-picture inset (`beside_box`) for the frames that have one; `turned`, the frames
    of windows whose picture is turned, turned back (`turn_back`); `turned_inset`, the inset,
    the strip beside it or the canvas's picture found in those turned-back frames, per frame
    the one nearer a reference frame (None or empty when not described)."""

    full: FrameSet
    inset: InsetView
    mirror: InsetView | None = None
    beside: InsetView | None = None
    turned: InsetView | None = None
    turned_inset: InsetView | None = None

    def __post_init__(self) -> None:
        for name, view in (("inset", self.inset), ("mirror", self.mirror),
                           ("beside", self.beside), ("turned", self.turned),
                           ("turned_inset", self.turned_inset)):
            if view is None or len(view) == 0:
                continue
            if view.vectors.shape[1] != self.full.dim:
                raise ValueError(f"QueryViews {self.full.video_id}: {name} vectors of dimension "
                                 f"{view.vectors.shape[1]}, frames of {self.full.dim}")
            if view.rows[-1] >= len(self.full):
                raise ValueError(f"QueryViews {self.full.video_id}: {name} row "
                                 f"{view.rows[-1]} beyond its {len(self.full)} frames")

    @classmethod
    def of(cls, full: FrameSet) -> "QueryViews":
        """The whole-frame view alone."""
        return cls(full, InsetView.empty(full.dim))

    @property
    def extra(self) -> list[InsetView]:
        """The non-empty views besides the whole frames."""
        return [v for v in (self.inset, self.mirror, self.beside, self.turned,
                            self.turned_inset) if v is not None and len(v)]

    def similarity(self, ref_vectors: np.ndarray) -> np.ndarray:
        """float32[Tq, Tr]: S[i, j] = the largest of full[i] . r_j and each extra view's
        vector of frame i . r_j (for the rows it has). ref_vectors: float32[Tr, d]."""
        S = self.full.vectors @ ref_vectors.T
        for view in self.extra:
            rows = view.rows
            S[rows] = np.maximum(S[rows], view.vectors @ ref_vectors.T)
        return S

    def best_vectors(self, ref_vectors: np.ndarray) -> np.ndarray:
        """float32[Tq, d]: for each query frame, the vector of the view that comes closer to
        any of `ref_vectors` (float32[Tr, d]): one vector per frame, for steps that take only
        one (fine-rate refinement)."""
        out = self.full.vectors.copy()
        if len(ref_vectors) == 0:
            return out
        best = (out @ ref_vectors.T).max(axis=1)
        for view in self.extra:
            rows = view.rows
            view_best = (view.vectors @ ref_vectors.T).max(axis=1)
            better = view_best > best[rows]
            out[rows[better]] = view.vectors[better]
            best[rows[better]] = view_best[better]
        return out
