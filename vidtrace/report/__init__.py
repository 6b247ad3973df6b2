"""Stage 5 of the pipeline (DESIGN.md, report): the evidence page of a query.

`build_report(lib, query)` fills an `EvidenceReport` (data.py) from a library and a query file:
the matches with the hits, candidates and frame pairs that support them (evidence.py, build.py);
`render_html(report)` draws it as one self-contained HTML file (html.py, svg.py);
`write_report` does both and writes the file.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidtrace.report.build import attach_frames, build_report
from vidtrace.report.data import (
    CandidateScore,
    EvidenceReport,
    FramePair,
    Hits,
    LibraryFacts,
    NearestReference,
    QueryFacts,
    SegmentEvidence,
)
from vidtrace.report.html import render_html

if TYPE_CHECKING:
    from vidtrace.api import Library


def write_report(lib: "Library", query_path: str | Path, out: str | Path, **kwargs: Any
                 ) -> EvidenceReport:
    """Build the report of `query_path` against `lib` and write its page to `out` (UTF-8);
    `kwargs` go to `build_report`. Returns the report."""
    report = build_report(lib, query_path, **kwargs)
    Path(out).write_text(render_html(report), encoding="utf-8")
    return report


__all__ = ["CandidateScore", "EvidenceReport", "FramePair", "Hits", "LibraryFacts",
           "NearestReference", "QueryFacts", "SegmentEvidence", "attach_frames", "build_report",
           "render_html", "write_report"]
