"""Records shared by every pipeline stage: frame vectors, stored references, k-NN hits,
candidate references, matched segments, ground truth.

Times are float seconds from the start of the video. Vectors are float32 arrays of shape (T, d).
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameSet:
    """Descriptors of the sampled frames of one video.

    times: float64[T], seconds, strictly increasing. vectors: float32[T, d].
    duration: the video's length in seconds (>= the last time).
    """

    video_id: str
    times: np.ndarray
    vectors: np.ndarray
    duration: float

    def __post_init__(self) -> None:
        if self.times.ndim != 1 or self.vectors.ndim != 2:
            raise ValueError("FrameSet needs times of shape (T,) and vectors of shape (T, d)")
        if len(self.times) != len(self.vectors):
            raise ValueError(
                f"FrameSet {self.video_id}: {len(self.times)} times but {len(self.vectors)} vectors"
            )
        if self.vectors.dtype != np.float32:
            raise ValueError(f"FrameSet {self.video_id}: vectors must be float32")
        if len(self.times) > 1 and not np.all(np.diff(self.times) > 0):
            raise ValueError(f"FrameSet {self.video_id}: times must be strictly increasing")

    def __len__(self) -> int:
        return len(self.times)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


@dataclass(frozen=True)
class Reference:
    """A stored reference video, without its frames: `key` is the store's integer handle for
    it (a catalog row), `video_id` the name users give it, `content_hash` the sha256 of the
    file's bytes, `duration` its decoded length in seconds, `fps` the rate its frames were
    sampled at, `descriptor` the descriptor version that described them."""

    key: int
    video_id: str
    path: str
    content_hash: str
    duration: float
    fps: float
    descriptor: str
    n_frames: int


@dataclass(frozen=True)
class AudioPrints:
    """Audio fingerprints of one soundtrack (audio/landmarks.py): `hashes` uint32[n], each
    the hash of a pair of spectral peaks, at `ticks` int32[n], its first peak's frame
    (`tick_s` seconds each). `version` names the fingerprinter; prints of two versions never
    match."""

    version: str
    tick_s: float
    hashes: np.ndarray
    ticks: np.ndarray

    def __post_init__(self) -> None:
        if self.hashes.shape != self.ticks.shape or self.hashes.ndim != 1:
            raise ValueError("AudioPrints needs hashes and ticks of one length")

    def __len__(self) -> int:
        return len(self.hashes)


@dataclass(frozen=True)
class FrameHits:
    """Flat arrays of k-NN hits: query frame index int64[n], reference key int64[n] (a
    store's `Reference.key`), reference frame index int64[n], similarity float32[n]."""

    query_frame: np.ndarray
    ref_key: np.ndarray
    ref_frame: np.ndarray
    sim: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.sim)
        if any(a.shape != (n,) for a in (self.query_frame, self.ref_key, self.ref_frame)):
            raise ValueError("FrameHits needs four flat arrays of one length")

    def __len__(self) -> int:
        return len(self.sim)

    def select(self, mask: np.ndarray) -> "FrameHits":
        return FrameHits(self.query_frame[mask], self.ref_key[mask], self.ref_frame[mask],
                         self.sim[mask])

    @classmethod
    def concat(cls, parts: "list[FrameHits]") -> "FrameHits":
        return cls(*(np.concatenate([getattr(p, name) for p in parts])
                     for name in ("query_frame", "ref_key", "ref_frame", "sim")))

    @classmethod
    def empty(cls) -> "FrameHits":
        none = np.zeros(0, np.int64)
        return cls(none, none, none, np.zeros(0, np.float32))


@dataclass(frozen=True)
class Candidate:
    """A reference video that stage 1 found worth aligning: its store key, its retrieval
    score, and its id once the store has named it."""

    ref_key: int
    score: float
    ref_id: str = ""


@dataclass(frozen=True)
class Match:
    """One copied segment: query [query_start, query_end] is a copy of reference
    [ref_start, ref_end] of video `ref_id`. Seconds; score in [0, 1], higher is surer.
    `evidence` names what supports it ("video"; "audio" once sound is matched too); `frames`
    how many query frames matched along the picture's segment (0: unknown, or sound alone)."""

    ref_id: str
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    score: float
    evidence: tuple[str, ...] = ("video",)
    frames: int = 0

    def __post_init__(self) -> None:
        if not (self.query_end >= self.query_start and self.ref_end >= self.ref_start):
            raise ValueError(f"Match with an end before its start: {self}")

    @property
    def speed(self) -> float:
        """Reference seconds per query second along the segment (1.0 for a point)."""
        span = self.query_end - self.query_start
        return (self.ref_end - self.ref_start) / span if span > 0 else 1.0

    def to_json(self) -> dict[str, object]:
        """The JSON form the CLI prints: reference id, four boundaries, score, and what
        supports it (["video"], ["audio"] or ["video", "audio"])."""
        return {
            "reference": self.ref_id,
            "query_start": round(float(self.query_start), 3),
            "query_end": round(float(self.query_end), 3),
            "reference_start": round(float(self.ref_start), 3),
            "reference_end": round(float(self.ref_end), 3),
            "score": round(float(self.score), 4),
            "evidence": list(self.evidence),
            "frames": int(self.frames),
        }


@dataclass(frozen=True)
class Threshold:
    """The score a segment needs to be reported, by how many query frames it matched
    (docs/align.md, "The threshold"): `long` for a long segment, rising as
    sqrt(min_frames / frames) to `short` for one of `min_frames` frames, and never below
    `long`. A segment's score is a mean over its frames, and a mean of unrelated frames strays
    from its expectation as one over the root of their number: a chance line through a few
    frames of a long reference can score what a long weak copy scores, a long one cannot.
    `short` <= `long` gives one flat threshold. A match whose frames are unknown (0: sound
    alone, or read from a file without them) needs the most, as if it had `min_frames`."""

    long: float
    short: float = -math.inf
    min_frames: int = 3

    def required(self, frames: int) -> float:
        """The lowest score a segment of `frames` matched query frames keeps."""
        if not math.isfinite(self.long) or self.short <= self.long:
            return self.long
        # fewer than min_frames, or none known (0), need the most
        n = max(frames, self.min_frames)
        return self.long + (self.short - self.long) * math.sqrt(self.min_frames / n)

    def keeps(self, score: float, frames: int) -> bool:
        """Whether a segment scoring `score` over `frames` matched frames is reported."""
        return score >= self.required(frames)


@dataclass(frozen=True)
class CopySegment:
    """Ground truth: query [query_start, query_end] copies reference [ref_start, ref_end]."""

    ref_id: str
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float

    def __post_init__(self) -> None:
        if not (self.query_end > self.query_start and self.ref_end > self.ref_start):
            raise ValueError(f"CopySegment with an empty interval: {self}")


@dataclass(frozen=True)
class QueryTruth:
    """Ground truth of one query video: its copied segments (none for a negative) and the edits
    applied, each edit a plain dict such as {"kind": "scale", "factor": 0.5}."""

    query: str
    duration: float
    segments: tuple[CopySegment, ...]
    edits: tuple[dict[str, object], ...] = ()

    @property
    def is_negative(self) -> bool:
        return not self.segments
