"""Score fusion of several backends (seed 001 fused Fisher-vector and CNN scores), as one backend.

A fused backend describes each frame with every part and concatenates the parts' vectors, each
scaled by sqrt(w_i) for weights w_i summing to 1. The inner product of two fused vectors is then
exactly sum_i w_i * s_i, the weighted mean of the parts' own similarities (a binary part's s_i is
1 - 2 * hamming / bits, base.py): every frame pair is scored by all backends at once, in one
exact search, and the library keeps the parts' vectors side by side in each row. All parts share
one similarity scale on which unrelated frames score near 0 (sscd by training; pdq and sift-fv by
construction), which is what makes a weighted mean meaningful without per-backend calibration.

Specification: "a+b" (equal weights) or with weights "a*2+b*1" (normalised to sum 1).
"""

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import ConfigError
from vidtrace.settings import Metric


def parse_fusion(spec: str) -> list[tuple[str, float]]:
    """"a*2+b" -> [("a", 2/3), ("b", 1/3)]; ConfigError for a malformed specification."""
    parts: list[tuple[str, float]] = []
    for item in spec.split("+"):
        name, _, weight = item.strip().partition("*")
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            w = float("nan")
        if not name.strip() or not w > 0:
            raise ConfigError(f"descriptor {spec!r}: write a fusion as NAME+NAME or "
                              "NAME*WEIGHT+NAME*WEIGHT with positive weights")
        parts.append((name.strip(), w))
    names = [n for n, _ in parts]
    if len(parts) < 2 or len(set(names)) != len(names):
        raise ConfigError(f"descriptor {spec!r}: a fusion needs two or more different backends")
    total = sum(w for _, w in parts)
    return [(n, w / total) for n, w in parts]


class FusedDescriptor(Descriptor):
    """Concatenation of sqrt(w_i)-scaled part vectors; metric inner product."""

    name: ClassVar[str] = "fusion"

    def __init__(self, spec: str, create: Callable[[str, int], Descriptor],
                 threads: int = 1) -> None:
        super().__init__(threads)
        self.spec = spec
        self.weights = parse_fusion(spec)
        self.parts = [create(n, threads) for n, _ in self.weights]
        self.dim = sum(p.dim for p in self.parts)
        self.metric = Metric.INNER_PRODUCT
        self.trainable = any(p.trainable for p in self.parts)  # type: ignore[misc]

    @property
    def version(self) -> str:  # type: ignore[override]
        """The parts' versions and weights (parts learn their state after construction)."""
        return "+".join(f"{p.version}*{w:.4g}" for p, (_, w) in zip(self.parts, self.weights,
                                                                   strict=True))

    @property
    def ready(self) -> bool:
        return all(p.ready for p in self.parts)

    def describe(self, frames: np.ndarray) -> np.ndarray:
        out = [np.sqrt(np.float32(w)) * p.describe(frames)
               for p, (_, w) in zip(self.parts, self.weights, strict=True)]
        return np.concatenate(out, axis=1).astype(np.float32, copy=False)

    def fit(self, frames: np.ndarray, seed: int = 0) -> None:
        for p in self.parts:
            if p.trainable:
                p.fit(frames, seed)

    def state(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, p in enumerate(self.parts) for k, v in p.state().items()}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for i, p in enumerate(self.parts):
            prefix = f"{i}."
            p.load_state({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        unknown = [k for k in arrays if not k.split(".", 1)[0].isdigit()
                   or int(k.split(".", 1)[0]) >= len(self.parts)]
        if unknown:
            raise ValueError(f"fusion {self.spec}: unknown state arrays {unknown[:3]}")

