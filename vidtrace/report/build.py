"""Filling an `EvidenceReport` (DESIGN.md, report) from a library and a query file.

`build_report` does it all: describe the query, match it keeping the evidence
(`match_evidence`), gather the facts of the query and the library, and decode the thumbnails of
every frame pair (`attach_frames`). The service runs the same steps in two parts: the matching
when a query job runs, the thumbnails when its report is first asked for.
"""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import VideoError
from vidtrace.pipeline import Progress, file_hash
from vidtrace.report.data import (
    EvidenceReport,
    FramePair,
    LibraryFacts,
    QueryFacts,
    SegmentEvidence,
)
from vidtrace.report.evidence import QueryEvidence, match_evidence
from vidtrace.settings import Settings

THUMB_SHORT_SIDE = 144  # thumbnails: short side in pixels ...
THUMB_MAX_LONG_SIDE = 256  # ... long side at most


def library_facts(lib: Any) -> LibraryFacts:
    """The facts of `lib` (a `vidtrace.api.Library`) a report states."""
    info = lib.summary()
    return LibraryFacts(Path(lib.folder).name, int(lib.catalog.generation), int(info["videos"]),
                        int(info["frames"]), float(info["hours"]), int(info["bytes"]),
                        str(info["descriptor"]), str(info["descriptor_version"]),
                        int(info["dim"]))


def query_facts(path: str | Path, duration_s: float, name: str | None = None,
                sha256: str | None = None) -> QueryFacts:
    """The facts of query file `path`; `name` defaults to its file name, `sha256` (hex) is
    computed when not given."""
    p = Path(path)
    return QueryFacts(name or p.name, float(duration_s), sha256 or file_hash(p), p.stat().st_size)


def assemble(evidence: QueryEvidence, query: QueryFacts, library: LibraryFacts,
             settings: Settings, run_at: str, elapsed_s: float) -> EvidenceReport:
    """The report of a query matched into `evidence` (without thumbnails)."""
    from vidtrace import __version__

    return EvidenceReport(query, library, settings.to_dict(), __version__, run_at, elapsed_s,
                          settings.match_threshold, evidence.segments, evidence.hits,
                          evidence.candidates, evidence.other_hits, evidence.nearest)


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def reference_paths(lib: Any, ref_ids: list[str]) -> dict[str, Path]:
    """{reference id: its file} for the ids still in `lib`'s catalog."""
    out = {}
    for ref_id in ref_ids:
        rec = lib.catalog.find(video_id=ref_id)
        if rec is not None:
            out[ref_id] = Path(rec.path)
    return out


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
        segments.append(SegmentEvidence(seg.ref_id, seg.query_start, seg.query_end,
                                        seg.ref_start, seg.ref_end, seg.score, seg.speed,
                                        seg.n_hits, new))
    return report.with_segments(tuple(segments))


def build_report(lib: Any, query_path: str | Path, settings: Settings | None = None,
                 progress: Progress | None = None, name: str | None = None,
                 sha256: str | None = None, frames: bool = True) -> EvidenceReport:
    """The evidence report of query file `query_path` against `lib` (a `vidtrace.api.Library`)
    under `settings` (default: the library's). `name` / `sha256`: the query's name and hash when
    known (an upload); `frames`: decode the thumbnails. Raises VideoError for an unusable
    query file."""
    run_at = now_utc()
    start = time.perf_counter()
    s = lib.query_settings(settings)
    views = lib.describe_query_views(query_path, progress, s)
    evidence = match_evidence(lib, views, s, query_path)
    elapsed = time.perf_counter() - start
    report = assemble(evidence, query_facts(query_path, views.full.duration, name, sha256),
                      library_facts(lib), s, run_at, elapsed)
    if frames:
        ids = sorted({seg.ref_id for seg in report.segments})
        report = attach_frames(report, query_path, reference_paths(lib, ids))
    return report
