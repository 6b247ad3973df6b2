"""The `pdq` backend: Meta's PDQ perceptual hash (package `pdqhash`), 256 bits, Hamming search.

PDQ downsamples the luminance to 64 x 64 (Jarosz filter), takes a 16 x 16 block of its DCT and
sets each bit by whether the coefficient is above the block's median. It is built to survive
re-encoding, resizing, mild colour change and noise, not crops, mirrors or overlays on large
areas. Bits come back as +-1/sqrt(256) components (base.py), so inner product 1.0 is an identical
hash and 0.0 the 128 differing bits of unrelated frames; a featureless frame is the zero vector.
Nothing is learned.
"""

from importlib import metadata
from typing import ClassVar

import numpy as np

from vidtrace.descriptors.base import Descriptor, signs_from_bits
from vidtrace.errors import ConfigError
from vidtrace.settings import Metric

PDQ_BITS = 256
# PDQ's own quality score (0-100, from the gradient energy): its authors advise discarding
# hashes below 50 as too featureless to compare; such a frame (black, flat, a fade) is the zero
# vector here, which matches nothing (descriptors/base.py).
PDQ_MIN_QUALITY = 50


class PDQDescriptor(Descriptor):
    """PDQ hash of each frame as 256 +-1/16 components; metric Hamming."""

    name: ClassVar[str] = "pdq"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        try:
            import pdqhash
        except ImportError as e:
            raise ConfigError("the pdq descriptor needs the package pdqhash; reinstall "
                              "vidtrace") from e
        self._compute = pdqhash.compute
        self.dim = PDQ_BITS
        self.metric = Metric.HAMMING
        self.version = f"pdq/2/pdqhash-{metadata.version('pdqhash')}"

    def describe(self, frames: np.ndarray) -> np.ndarray:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"describe needs uint8[T, H, W, 3] frames, got {frames.dtype}"
                             f"{list(frames.shape)}")
        bits = np.zeros((len(frames), PDQ_BITS), dtype=bool)
        usable = np.zeros(len(frames), dtype=bool)
        for i, frame in enumerate(frames):
            hash_bits, quality = self._compute(np.ascontiguousarray(frame))
            bits[i] = np.asarray(hash_bits) > 0
            usable[i] = quality >= PDQ_MIN_QUALITY
        out = signs_from_bits(bits)
        out[~usable] = 0.0
        return out
