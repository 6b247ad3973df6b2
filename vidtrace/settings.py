"""Every default of vidtrace in one frozen dataclass, shared by CLI, service and library.

A library records the settings it was built with in its manifest; the fields that change what is
stored (descriptor, sampling, frame size) must match when it is reopened.
"""

import os
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from vidtrace.errors import ConfigError


class Metric(StrEnum):
    """How two descriptor vectors are compared."""

    INNER_PRODUCT = "ip"
    HAMMING = "hamming"


FINE_SOURCES = ("library", "decode")
# How frames are picked from a video (video/decode.py): every 1/fps s, key frames only (fps
# caps the rate), or on content change (at least one every 2/fps s).
SAMPLING_MODES = ("fixed", "keyframes", "scene")
INDEX_TYPES = ("auto", "flat", "ivfpq")  # library/index.py

# Settings that only change how queries are answered: they may differ from those a library was
# built with (`Library.match(..., settings)`); every other field is fixed at creation.
QUERY_TIME = frozenset({"query_fps", "batch_size", "threads", "knn_k", "max_candidates",
                        "hit_floor", "max_gap_s", "min_speed", "max_speed", "min_hits",
                        "match_threshold", "stage1", "stage2", "rerank_top", "pip_view",
                        "mirror_view", "canvas_view", "query_sampling", "nprobe"})


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Defaults for decoding, describing, retrieving and aligning.

    Frame sampling: `index_fps` frames per second for references, `query_fps` for queries.
    Frames are resized on decode so the short side is `short_side` pixels, the long side at most
    `max_long_side` (aspect kept); then uniform borders are cropped (`crop_borders`) and the
    frame is resized to the descriptor's `input_size` x `input_size` (docs/preprocessing.md).
    Retrieval: `knn_k` nearest reference frames per query frame; the best `max_candidates`
    reference videos are aligned.
    Alignment: hits below `hit_floor` cosine similarity are ignored; a chain of hits may skip at
    most `max_gap_s` seconds of query; the speed ratio reference/query lies in
    [`min_speed`, `max_speed`]; a segment needs `min_hits` matched frames and a score of at least
    `match_threshold` (see docs/align.md for how the score is made).
    Strategies (docs/strategies.md): `stage1` ranks candidate references ("vote", "bipartite" or
    "orb-rerank", which verifies the best `rerank_top` candidates of "vote" geometrically);
    `stage2` aligns each candidate ("lis", "interp" or "hough"). With `fine_fps` > 0 the
    segments found are refined against reference vectors at that rate, stored in the library at
    index time (`fine_source` "library") or decoded from the reference file at query time
    ("decode").
    Extra view (docs/pip.md): with `pip_view` on, each 10 s window of a query is searched for a
    picture-in-picture inset in the same decode, and the frames of a window with one are also
    described cropped to the inset; a query frame then matches a reference frame by the better
    of its two views. On by default (it raised F1@3s on both benchmark splits with no false
    positive added); it costs about 1.4 ms of detection per query frame, and one more
    descriptor pass per frame of a window with an inset. With `canvas_view` on, a window with
    no inset is searched for a picture centred on a blurred canvas, described the same way
    (docs/views.md). With `mirror_view` on, every query frame is also described flipped left to
    right, for mirrored copies (docs/views.md).
    Sampling (`index_sampling` for references, `query_sampling` for queries, SAMPLING_MODES):
    "fixed" takes a frame every 1/fps s, "keyframes" decodes key frames only (the rate capped
    at fps), "scene" takes frames on content change (docs/sampling.md).
    The descriptor may be a fusion of backends, "sscd+sift-fv" (descriptors/fusion.py).
    Index (`index_type`, INDEX_TYPES, docs/speed.md): "flat" searches every reference frame
    exactly, "ivfpq" an inverted file of product-quantised codes (`nprobe` lists per search);
    "auto" is flat up to 50,000 frames (about 14 h) and ivfpq from there.
    """

    descriptor: str = "sscd"
    index_fps: float = 1.0
    query_fps: float = 2.0
    short_side: int = 288
    max_long_side: int = 512
    input_size: int = 224
    crop_borders: bool = True
    batch_size: int = 16
    threads: int = 0
    knn_k: int = 10
    max_candidates: int = 8
    hit_floor: float = 0.3
    max_gap_s: float = 6.0
    min_speed: float = 0.5
    max_speed: float = 2.0
    min_hits: int = 3
    match_threshold: float = 0.42  # calibrated: benchmarks/default-ablation.json
    stage1: str = "vote"
    stage2: str = "hough"
    rerank_top: int = 3
    fine_fps: float = 0.0
    fine_source: str = "library"
    pip_view: bool = True
    canvas_view: bool = True
    mirror_view: bool = False
    index_sampling: str = "fixed"
    query_sampling: str = "fixed"
    index_type: str = "auto"
    nprobe: int = 64  # benchmarks/speed.json, docs/speed.md: 1.000 of copied frames at 50 h

    def __post_init__(self) -> None:
        positive = ("index_fps", "query_fps", "short_side", "max_long_side", "input_size",
                    "batch_size", "knn_k", "nprobe",
                    "max_candidates", "max_gap_s", "min_speed", "max_speed", "min_hits")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"setting {name} must be positive, got {getattr(self, name)}")
        if self.max_long_side < self.short_side:
            raise ConfigError("setting max_long_side must be at least short_side")
        if self.min_speed > self.max_speed:
            raise ConfigError("setting min_speed must not exceed max_speed")
        if self.rerank_top <= 0:
            raise ConfigError(f"setting rerank_top must be positive, got {self.rerank_top}")
        if self.fine_fps < 0:
            raise ConfigError("setting fine_fps must be 0 (off) or a positive rate")
        if self.fine_source not in FINE_SOURCES:
            raise ConfigError(f"setting fine_source must be one of {', '.join(FINE_SOURCES)}, "
                              f"got {self.fine_source!r}")
        for name in ("pip_view", "canvas_view", "mirror_view", "crop_borders"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"setting {name} must be true or false, got "
                                  f"{getattr(self, name)!r}")
        for name in ("index_sampling", "query_sampling"):
            if getattr(self, name) not in SAMPLING_MODES:
                raise ConfigError(f"setting {name} must be one of {', '.join(SAMPLING_MODES)}, "
                                  f"got {getattr(self, name)!r}")
        if self.index_type not in INDEX_TYPES:
            raise ConfigError(f"setting index_type must be one of {', '.join(INDEX_TYPES)}, "
                              f"got {self.index_type!r}")
        if self.threads < 0:
            raise ConfigError("setting threads must be 0 (all cores) or a positive count")

    @property
    def thread_count(self) -> int:
        """Threads to use: `threads`, or every core the process may run on when it is 0."""
        return self.threads or usable_cores()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """Settings from a stored dict; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_changes(self, **changes: Any) -> "Settings":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)


DEFAULT_SETTINGS = Settings()
