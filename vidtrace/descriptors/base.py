"""Stage 2 of the pipeline: the interface every frame-descriptor backend implements."""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar

import numpy as np

from vidtrace.settings import Metric


class Descriptor(ABC):
    """Turns RGB frames into one vector per frame.

    A backend declares a class-level `name`, and per instance its `version` (changes whenever the
    vectors it produces would change), `dim` and `metric`. A library refuses to mix versions.
    """

    name: ClassVar[str]
    version: str
    dim: int
    metric: Metric

    # A trainable backend learns state from reference frames before it can describe (a
    # vocabulary, a PCA): `fit` learns it, `state`/`load_state` move it to and from the arrays a
    # library saves beside its catalog, and `version` must then name the state (a hash).
    trainable: ClassVar[bool] = False

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    @property
    def ready(self) -> bool:
        """Whether `describe` can run (a trainable backend needs `fit` or `load_state`)."""
        return True

    def fit(self, frames: np.ndarray, seed: int = 0) -> None:
        """Learn the backend's state from uint8[T, H, W, 3] prepared reference frames."""
        raise NotImplementedError(f"descriptor {self.name} learns nothing")

    def state(self) -> dict[str, np.ndarray]:
        """The learned state as named arrays (empty for a backend that learns nothing)."""
        return {}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what `state` returned; ValueError when the arrays do not fit."""
        if arrays:
            raise ValueError(f"descriptor {self.name} keeps no state")

    def version_fix(self, stored: str) -> str:
        """What to do about a library built with descriptor version `stored`, not this one."""
        return "rebuild the library with `vidtrace index`"

    @abstractmethod
    def describe(self, frames: np.ndarray) -> np.ndarray:
        """uint8[T, H, W, 3] RGB frames (one size) -> float32[T, dim] vectors."""

    def describe_stream(
        self, frames: Iterable[tuple[float, np.ndarray]], batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Describe (time, frame) pairs in batches: yields (times float64[B], vectors[B, dim])."""
        times: list[float] = []
        batch: list[np.ndarray] = []
        for t, frame in frames:
            if batch and frame.shape != batch[0].shape:
                yield self._flush(times, batch)
                times, batch = [], []
            times.append(t)
            batch.append(frame)
            if len(batch) >= batch_size:
                yield self._flush(times, batch)
                times, batch = [], []
        if batch:
            yield self._flush(times, batch)

    def _flush(self, times: list[float], batch: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(times, dtype=np.float64), self.describe(np.stack(batch))


def signs_from_bits(bits: np.ndarray) -> np.ndarray:
    """bool or 0/1 [T, n] bits -> float32[T, n] vectors of +-1/sqrt(n) (1 -> positive)."""
    bits = np.asarray(bits)
    n = bits.shape[1]
    return np.where(bits.astype(bool), 1.0, -1.0).astype(np.float32) / np.float32(np.sqrt(n))


def bits_from_signs(vectors: np.ndarray) -> np.ndarray:
    """float[T, n] vectors (n a multiple of 8) -> uint8[T, n / 8] packed bits of `vectors > 0`
    (a zero vector packs to all zeros: keep `has_content` beside the bits)."""
    return np.packbits(np.asarray(vectors) > 0, axis=1)


def has_content(vectors: np.ndarray) -> np.ndarray:
    """bool[T]: which rows of float[T, n] are not the zero vector of a frame without content."""
    return np.asarray(vectors).any(axis=1)
