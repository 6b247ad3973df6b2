"""The `learned:<head.npz>` backend: a trained head (seed 000, docs/learned.md) on a backbone.

The head file names its backbone (`HeadConfig.backbone`, e.g. "sscd"); frames are described by
the backbone and its vectors mapped by `Head.apply`, numpy only (torch is never imported). The
version joins the backbone's version and the head's digest, so a library built with one head
refuses another, and a head trained on another version of the backbone is refused outright.
The head itself is descriptors/head.py; learn/ trains it.
"""

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import ConfigError
from vidtrace.settings import Metric

PREFIX = "learned:"


def head_file(spec: str) -> Path:
    """"learned:/x/head.npz" -> /x/head.npz; ConfigError for another specification."""
    if not spec.startswith(PREFIX) or not spec[len(PREFIX):].strip():
        raise ConfigError(f"descriptor {spec!r}: write a learned head as learned:PATH.npz")
    return Path(spec[len(PREFIX):].strip())


class LearnedDescriptor(Descriptor):
    """Backbone vectors through a trained head: `dim` the head's, inner product."""

    name: ClassVar[str] = "learned"

    def __init__(self, spec: str, create: Callable[[str, int], Descriptor],
                 threads: int = 1) -> None:
        from vidtrace.descriptors.head import Head

        super().__init__(threads)
        self.spec = spec
        self.path = head_file(spec)
        self.head = Head.load(self.path)
        c = self.head.config
        backbone = create(c.backbone, threads)
        if backbone.trainable or backbone.metric != Metric.INNER_PRODUCT:
            raise ConfigError(f"{self.path}: its backbone {c.backbone} must be an inner-product "
                              "backend that learns nothing (sscd, sscd-fast)")
        if backbone.dim != c.input_dim:
            raise ConfigError(f"{self.path}: the head takes {c.input_dim}-d vectors but "
                              f"{c.backbone} gives {backbone.dim}-d; train a head for it with "
                              f"`vidtrace train --backbone {c.backbone}`")
        if c.backbone_version and c.backbone_version != backbone.version:
            raise ConfigError(f"{self.path}: the head was trained on {c.backbone_version} but the "
                              f"installed backbone is {backbone.version}; train it again with "
                              f"`vidtrace train --backbone {c.backbone}`")
        self.backbone = backbone
        self.dim = self.head.dim
        self.metric = Metric.INNER_PRODUCT
        self.version = f"learned/{backbone.version}/{self.head.digest}"

    def describe(self, frames: np.ndarray) -> np.ndarray:
        return self.head.apply(self.backbone.describe(frames))

    def version_fix(self, stored: str) -> str:
        if stored.startswith("learned/"):
            return (f"{self.path} now holds head {self.head.digest}, not the head "
                    f"{stored.rsplit('/', 1)[-1]} the library was built with: put that head back "
                    "at this path, or rebuild the library with `vidtrace index` into a new folder")
        return super().version_fix(stored)
