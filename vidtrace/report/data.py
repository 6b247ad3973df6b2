"""The evidence of one query (DESIGN.md, report): the records an evidence page is drawn from.

`EvidenceReport` holds what a person needs to check a detection without running anything: the
query file (name, duration, sha256), the library searched (id, name, catalog generation, size,
descriptor), the settings and vidtrace version, when it ran, the score threshold, every
accepted segment with its speed and frame pairs sampled along it (times, similarity, RGB
thumbnails), the retrieved frame hits on the references that were aligned, and the nearest
candidates with their scores (what a page with no match shows).

Times are float seconds from the start of each video; similarities are the descriptor's (cosine
for the default SSCD). Built by `vidtrace.report.build`, drawn by `vidtrace.report.html`.
"""

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vidtrace.settings import short_frames
from vidtrace.types import Match, Threshold


@dataclass(frozen=True)
class QueryFacts:
    """The query file: the name it was given (never a server path), its duration in seconds,
    the sha256 of its bytes (hex) and its size in bytes."""

    name: str
    duration_s: float
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class LibraryFacts:
    """The library searched: `id` (the uuid it was created with, in its manifest and catalog),
    `name` (its folder's name), the catalog `generation` searched (bumped by every addition and
    removal; None when the store does not say), its references, frames, hours and bytes on
    disk, and its descriptor (name, version, dimension)."""

    id: str
    name: str
    generation: int | None
    references: int
    frames: int
    hours: float
    bytes: int
    descriptor: str
    descriptor_version: str
    dim: int


@dataclass(frozen=True)
class FramePair:
    """A query frame and the reference frame the segment maps it to.

    query_time / ref_time: seconds; similarity: of the nearest sampled query frame and the
    nearest sampled reference frame (the best of the query's views). Images: RGB uint8[H, W, 3]
    thumbnails, None until decoded or when the file cannot be read."""

    query_time: float
    ref_time: float
    similarity: float
    query_image: np.ndarray | None = field(default=None, compare=False, repr=False)
    ref_image: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SegmentEvidence:
    """One accepted segment (a match of the query): query [query_start, query_end] copies
    reference `ref_id` [ref_start, ref_end]; `speed` is reference seconds per query second of
    its line, `n_hits` the query frames that matched along it (0 for a copy found by its sound
    alone); `pairs` are frames sampled along it; `evidence` what supports it ("video",
    "audio"), and `sound_votes` the landmark hashes of its soundtrack on the line (0 without
    sound)."""

    ref_id: str
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    score: float
    speed: float
    n_hits: int
    pairs: tuple[FramePair, ...] = ()
    evidence: tuple[str, ...] = ("video",)
    sound_votes: int = 0

    def to_match(self) -> Match:
        return Match(self.ref_id, self.query_start, self.query_end, self.ref_start,
                     self.ref_end, self.score, self.evidence, self.n_hits)


@dataclass(frozen=True)
class Hits:
    """Retrieved frame hits, flat: hit i is query time `query_time[i]` s -> reference
    `ref_ids[ref_index[i]]` at `ref_time[i]` s with similarity `similarity[i]`.

    query_time float64[N], ref_index int32[N], ref_time float64[N], similarity float32[N]."""

    ref_ids: tuple[str, ...]
    query_time: np.ndarray
    ref_index: np.ndarray
    ref_time: np.ndarray
    similarity: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.query_time)
        arrays = (self.query_time, self.ref_index, self.ref_time, self.similarity)
        if any(a.ndim != 1 or len(a) != n for a in arrays):
            raise ValueError("Hits needs four 1-d arrays of one length")
        if n and (self.ref_index.min() < 0 or self.ref_index.max() >= len(self.ref_ids)):
            raise ValueError("Hits: a ref_index outside ref_ids")

    @classmethod
    def empty(cls) -> "Hits":
        return cls((), np.zeros(0), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.query_time)

    def of(self, ref_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query times, reference times, similarities) of the hits on reference `ref_id`."""
        if ref_id not in self.ref_ids:
            return np.zeros(0), np.zeros(0), np.zeros(0, np.float32)
        m = self.ref_index == self.ref_ids.index(ref_id)
        return self.query_time[m], self.ref_time[m], self.similarity[m]


@dataclass(frozen=True)
class CandidateScore:
    """A reference stage 1 ranked for alignment: its retrieval score, and the best score of a
    segment aligned on it (None when none could be placed) with that segment's matched query
    frames, to read against the threshold for them (`EvidenceReport.rule`)."""

    ref_id: str
    retrieval_score: float
    best_segment_score: float | None
    best_segment_frames: int = 0


@dataclass(frozen=True)
class NearestReference:
    """A reference among the k nearest frames of the query's frames, whatever their
    similarity: its `best_similarity` to any query frame, and how many query `frames` had it
    among their neighbours. A page with no match lists the closest few."""

    ref_id: str
    best_similarity: float
    frames: int


@dataclass(frozen=True)
class EvidenceReport:
    """Everything an evidence page shows for one query (see the module docstring).

    `segments` are the accepted ones, best score first (the query's matches); `run_at` is an
    ISO 8601 UTC time, `elapsed_s` the seconds describing and matching took; `other_hits`
    counts hits on references that were not aligned (not in `hits`); `nearest` the references
    closest to the query frame by frame, below the hit floor too."""

    query: QueryFacts
    library: LibraryFacts
    settings: dict[str, Any]
    version: str
    run_at: str
    elapsed_s: float
    threshold: float
    segments: tuple[SegmentEvidence, ...]
    hits: Hits
    candidates: tuple[CandidateScore, ...]
    other_hits: int = 0
    nearest: tuple[NearestReference, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.segments)

    @property
    def rule(self) -> Threshold:
        """The threshold by matched frames: `threshold` for a long segment, up to the
        settings' `short_threshold` for a short one (`QuerySettings.threshold`)."""
        s = self.settings
        return Threshold(self.threshold, float(s.get("short_threshold", -math.inf)),
                         short_frames(int(s.get("min_hits", 3))))

    def matches(self) -> list[Match]:
        """The segments as `Match` records, in order (best first)."""
        return [s.to_match() for s in self.segments]

    def with_segments(self, segments: tuple[SegmentEvidence, ...]) -> "EvidenceReport":
        return replace(self, segments=segments)
