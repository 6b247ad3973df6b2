"""Filling an `EvidenceReport` (DESIGN.md, report) from a library and a query file.

`build_report` does it all: describe the query, then inside one read snapshot of the store
match it keeping the evidence (`evidence_of` over `Library.trace`), state the library's facts
and find the files of the matched references; then decode the thumbnails of every frame pair
(`attach_frames`). The service runs the same steps in two parts (`evidence_report`, when a
query job runs; `attach_frames`, when its page is first asked for).
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vidtrace.descriptors.describe import Progress
from vidtrace.errors import VideoError
from vidtrace.fsutil import file_sha256
from vidtrace.report.data import (
    EvidenceReport,
    FramePair,
    LibraryFacts,
    QueryFacts,
    SegmentEvidence,
)
from vidtrace.report.evidence import QueryEvidence, evidence_of
from vidtrace.settings import QuerySettings
from vidtrace.video.described import QueryViews

if TYPE_CHECKING:
    from vidtrace.api import Library

THUMB_SHORT_SIDE = 144  # thumbnails: short side in pixels ...
THUMB_MAX_LONG_SIDE = 256  # ... long side at most


@dataclass(frozen=True)
class Evidence:
    """What `evidence_report` returns: the report without thumbnails and {reference id: its
    file} of the matched references, for `attach_frames`."""

    report: EvidenceReport
    ref_paths: dict[str, Path]


def library_facts(lib: "Library") -> LibraryFacts:
    """The facts of `lib` a report states (call inside the snapshot the query was matched in,
    so they describe the state it searched)."""
    info = lib.summary()
    generation = info.get("generation")
    return LibraryFacts(lib.manifest.library_id, lib.folder.name,
                        None if generation is None else int(generation), int(info["videos"]),
                        int(info["frames"]), float(info["hours"]), int(info["bytes"]),
                        str(info["descriptor"]), str(info["descriptor_version"]),
                        int(info["dim"]))


def query_facts(path: str | Path, duration_s: float, name: str | None = None,
                sha256: str | None = None) -> QueryFacts:
    """The facts of query file `path`; `name` defaults to its file name, `sha256` (hex) is
    computed when not given."""
    p = Path(path)
    return QueryFacts(name or p.name, float(duration_s), sha256 or file_sha256(p),
                      p.stat().st_size)


def assemble(evidence: QueryEvidence, query: QueryFacts, library: LibraryFacts,
             settings: dict[str, object], threshold: float, run_at: str, elapsed_s: float
             ) -> EvidenceReport:
    """The report of a query matched into `evidence` (without thumbnails)."""
    from vidtrace import __version__

    return EvidenceReport(query, library, dict(settings), __version__, run_at, elapsed_s,
                          threshold, evidence.segments, evidence.hits, evidence.candidates,
                          evidence.other_hits, evidence.nearest)


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def evidence_report(lib: "Library", views: QueryViews, query: QueryFacts,
                    settings: QuerySettings | None = None, query_path: str | Path | None = None,
                    threshold: float | None = None, run_at: str | None = None,
                    started: float | None = None) -> Evidence:
    """The report (without thumbnails) of described query `views` against `lib`, and the
    files of its matched references, all read in one snapshot of the store. `settings`:
    default the library's query defaults; `threshold`: default theirs; `query_path`: the
    query's file, for steps that decode it again (orb-rerank); `run_at` / `started`
    (`time.perf_counter()`): when the run began (default now), for the page's facts."""
    run_at = run_at or now_utc()
    started = time.perf_counter() if started is None else started
    s = settings or lib.query_defaults
    floor = s.match_threshold if threshold is None else threshold
    with lib.store.snapshot():
        trace = lib.trace(views, s, query_path, floor)
        evidence = evidence_of(trace, views, lib.store)
        facts = library_facts(lib)
        paths = {}
        for ref_id in sorted({seg.ref_id for seg in evidence.segments}):
            ref = lib.store.find(video_id=ref_id)
            if ref is not None:
                paths[ref_id] = Path(ref.path)
    every = lib.settings.to_dict() | s.to_dict() | {"match_threshold": floor}
    report = assemble(evidence, query, facts, every, floor, run_at,
                      time.perf_counter() - started)
    return Evidence(report, paths)


def _frames(path: Path | None, times: list[float]) -> list[np.ndarray | None]:
    """Thumbnails of `path` at `times`; all None when the file is missing or unreadable."""
    from vidtrace.video.seek import frames_at

    if path is None or not path.is_file():
        return [None] * len(times)
    try:
        return frames_at(path, times, THUMB_SHORT_SIDE, THUMB_MAX_LONG_SIDE)
    except VideoError:
        return [None] * len(times)


def attach_frames(report: EvidenceReport, query_path: str | Path,
                  ref_paths: Mapping[str, Path]) -> EvidenceReport:
    """`report` with the RGB thumbnails of every frame pair decoded: query frames from
    `query_path`, reference frames from `ref_paths[ref_id]` (None where a file is missing)."""
    pairs = [p for seg in report.segments for p in seg.pairs]
    q_images = _frames(Path(query_path), [p.query_time for p in pairs])
    r_images: list[np.ndarray | None] = []
    for seg in report.segments:
        r_images += _frames(ref_paths.get(seg.ref_id), [p.ref_time for p in seg.pairs])
    it = iter(zip(q_images, r_images, strict=True))
    segments: list[SegmentEvidence] = []
    for seg in report.segments:
        new = tuple(FramePair(p.query_time, p.ref_time, p.similarity, *next(it))
                    for p in seg.pairs)
        segments.append(replace(seg, pairs=new))
    return report.with_segments(tuple(segments))


def build_report(lib: "Library", query_path: str | Path, settings: QuerySettings | None = None,
                 progress: Progress | None = None, name: str | None = None,
                 sha256: str | None = None, frames: bool = True,
                 threshold: float | None = None) -> EvidenceReport:
    """The evidence report of query file `query_path` against `lib` under `settings`
    (default: the library's query defaults) and `threshold` (default: theirs). `name` /
    `sha256`: the query's name and hash when known (an upload); `frames`: decode the
    thumbnails. Raises VideoError for an unusable query file."""
    run_at, started = now_utc(), time.perf_counter()
    s = settings or lib.query_defaults
    views = lib.describe_query(query_path, s, progress)
    facts = query_facts(query_path, views.full.duration, name, sha256)
    found = evidence_report(lib, views, facts, s, query_path, threshold, run_at, started)
    if not frames:
        return found.report
    return attach_frames(found.report, query_path, found.ref_paths)
