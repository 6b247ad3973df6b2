"""The evidence page (vidtrace/report/html.py, svg.py), read back with an HTML parser."""

import re
from pathlib import Path

import numpy as np

from tests.report.page_parser import decode_data_uri, parse, select
from vidtrace.report import (
    CandidateScore,
    EvidenceReport,
    FramePair,
    Hits,
    LibraryFacts,
    QueryFacts,
    SegmentEvidence,
    render_html,
)
from vidtrace.report.svg import nice_ticks


def _nothing_from_the_network(html: str) -> None:
    assert "<script" not in html.lower()
    for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attr.startswith("data:image/jpeg;base64,"), attr
    # the only URL is the SVG namespace, which is a name, not a fetch
    assert set(re.findall(r"https?://[^\s\"']+", html)) <= {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in html


def test_report_page_shows_every_segment(two_segment_report: EvidenceReport,
                                         report_files: dict[str, Path]) -> None:
    html = report_files["two_segment"].read_text(encoding="utf-8")
    _nothing_from_the_network(html)
    els = parse(html)
    r = two_segment_report
    rows = select(els, "tr", "segment")
    assert len(rows) == len(r.segments) == 2
    for row, seg in zip(rows, r.segments, strict=True):
        assert seg.ref_id in row.text and f"{seg.speed:.2f}x" in row.text
        assert f"{seg.score:.3f}" in row.text and f"{r.rule.required(seg.n_hits):.3f}" in row.text
    lines = select(els, "line", "segment")
    assert len(lines) == len(r.segments)
    speeds = [e.text for e in select(els, "text", "speed")]
    assert speeds == [f"{s.speed:.2f}x" for s in r.segments]
    dots = select(els, "circle", "hit")
    assert len(dots) == len(r.hits)
    assert len(select(els, "svg", "alignment")) == 2
    spans = select(els, "rect", "span")
    assert [s.attrs["data-reference"] for s in spans] == [s.ref_id for s in r.segments]
    assert spans[0].attrs["fill"] != spans[1].attrs["fill"]


def test_every_thumbnail_decodes(two_segment_report: EvidenceReport,
                                 report_files: dict[str, Path]) -> None:
    els = parse(report_files["two_segment"].read_text(encoding="utf-8"))
    images = select(els, "img", "thumb")
    n_pairs = sum(len(s.pairs) for s in two_segment_report.segments)
    assert len(images) == 2 * n_pairs >= 20
    for img in images:
        decoded = decode_data_uri(img.attrs["src"])
        assert decoded is not None and decoded.shape[0] > 0 and decoded.shape[1] > 0
    assert len(select(els, "tr", "pair")) == n_pairs


def test_report_page_states_the_facts(two_segment_report: EvidenceReport,
                                      report_files: dict[str, Path]) -> None:
    html = report_files["two_segment"].read_text(encoding="utf-8")
    r = two_segment_report
    for fact in (r.query.name, r.query.sha256, r.library.id, r.library.descriptor_version,
                 r.version, r.run_at, f"{r.query.duration_s:.2f} s", "2 copied segments found"):
        assert fact in html, fact


def test_no_match_page_says_so_with_the_nearest_scores(unrelated_report: EvidenceReport,
                                                       report_files: dict[str, Path]) -> None:
    html = report_files["unrelated"].read_text(encoding="utf-8")
    _nothing_from_the_network(html)
    els = parse(html)
    assert "No copied segment found" in html
    assert select(els, "tr", "segment") == [] and select(els, "line", "segment") == []
    nearest = select(els, "tr", "nearest")
    assert len(nearest) == len(unrelated_report.nearest) >= 1
    top = unrelated_report.nearest[0]
    assert top.ref_id in nearest[0].text and f"{top.best_similarity:.3f}" in nearest[0].text
    assert len(select(els, "tr", "candidate")) == len(unrelated_report.candidates)


def _hand_made(ref_id: str, name: str) -> EvidenceReport:
    image = np.full((20, 30, 3), 200, np.uint8)
    pairs = tuple(FramePair(1.0 + i, 5.0 + i, 0.8, image, None) for i in range(5))
    seg = SegmentEvidence(ref_id, 0.5, 6.0, 4.5, 10.0, 0.7, 1.0, 5, pairs)
    hits = Hits((ref_id,), np.array([1.0, 2.0]), np.zeros(2, np.int32), np.array([5.0, 6.0]),
                np.array([0.8, 0.9], np.float32))
    return EvidenceReport(QueryFacts(name, 7.0, "ab" * 32, 1000),
                          LibraryFacts("0f0e-id", "lib", 3, 1, 10, 0.01, 5000, "sscd", "v1", 512),
                          {"hit_floor": 0.3}, "0.1.0", "2026-01-01T00:00:00+00:00", 1.0, 0.42,
                          (seg,), hits, (CandidateScore(ref_id, 0.6, 0.7),))


def test_user_text_is_escaped_and_missing_frames_are_marked() -> None:
    html = render_html(_hand_made("a<b>&c", "<script>alert(1)</script>.mp4"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in html
    assert "a&lt;b&gt;&amp;c" in html and "a<b>" not in html
    els = parse(html)
    assert len(select(els, "img", "query")) == 5
    assert len(select(els, "div", "missing")) == 5  # reference frames not available


def test_nice_ticks() -> None:
    assert nice_ticks(0.0, 22.0) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert nice_ticks(7.6, 19.8, 6) == [8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    assert nice_ticks(0.0, 3600.0) == [0.0, 1000.0, 2000.0, 3000.0]
    assert nice_ticks(5.0, 5.0) == [5.0]
