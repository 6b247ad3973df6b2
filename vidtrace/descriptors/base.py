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

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

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
