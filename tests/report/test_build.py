"""The evidence of a query (vidtrace/report/evidence.py, build.py) on real decoded video."""

from pathlib import Path

import numpy as np
import pytest

from tests.clip_media import ClipMedia
from vidtrace.align import Segment
from vidtrace.library.manifest import Manifest
from vidtrace.report import EvidenceReport, attach_frames
from vidtrace.report.evidence import PAIRS_MAX, PAIRS_MIN, match_evidence, pair_times


def test_pair_times_spread_along_the_line() -> None:
    short = Segment(10.0, 20.0, 100.0, 120.0, 0.8, 12, 2.0)
    pairs = pair_times(short)
    assert len(pairs) == PAIRS_MIN
    assert [round(q, 6) for q, _ in pairs] == [11.0, 13.0, 15.0, 17.0, 19.0]
    assert all(abs(r - (100.0 + 2.0 * (q - 10.0))) < 1e-9 for q, r in pairs)
    assert len(pair_times(Segment(0.0, 60.0, 0.0, 60.0, 0.8, 100, 1.0))) == 7
    assert len(pair_times(Segment(0.0, 3600.0, 0.0, 3600.0, 0.8, 100, 1.0))) == PAIRS_MAX


def test_evidence_segments_are_the_library_matches(media: ClipMedia) -> None:
    """Under the default strategies and others (bipartite + lis, interp), with the threshold
    applied last. (Fine refinement happens inside `Library.trace`, which both read.)"""
    from vidtrace.api import Library

    with Library.open(media.library) as lib:
        q = lib.query_defaults
        views = lib.describe_query(media.two_segment, q)
        variants = [(q, None), (q.with_changes(stage1="bipartite", stage2="lis"), None),
                    (q.with_changes(stage2="interp"), None), (q, 0.0)]
        for s, threshold in variants:
            expected = lib.match(views, s, media.two_segment, threshold)
            evidence = match_evidence(lib, views, s, media.two_segment, threshold)
            assert [g.to_match() for g in evidence.segments] == expected, s
            assert len(expected) >= 2, s
            for c in evidence.candidates:
                placed = [g.score for g in evidence.segments if g.ref_id == c.ref_id]
                assert not placed or c.best_segment_score == max(placed)
        # above every segment: nothing accepted, but each candidate keeps its best score
        found = match_evidence(lib, views, q)
        high = match_evidence(lib, views, q, None, max(g.score for g in found.segments) + 0.01)
        assert high.segments == () and lib.match(views, q, None, 1.0) == []
        assert high.candidates == found.candidates


def test_two_segment_report_holds_the_copies(two_segment_report: EvidenceReport,
                                             media: ClipMedia) -> None:
    r = two_segment_report
    assert {s.ref_id for s in r.segments} == {"big_buck_bunny_0-30s", "udacity_highway_lanes"}
    for seg in r.segments:
        (truth,) = [t for t in media.two_segment_truth.segments if t.ref_id == seg.ref_id]
        assert abs(seg.query_start - truth.query_start) < 1.5
        assert abs(seg.query_end - truth.query_end) < 1.5
        assert abs(seg.ref_start - truth.ref_start) < 1.5
        assert 0.9 < seg.speed < 1.1
        assert seg.score >= r.rule.required(seg.n_hits) >= r.threshold
        assert len(seg.pairs) >= 5
        for p in seg.pairs:
            assert seg.query_start <= p.query_time <= seg.query_end
            assert seg.ref_start - 1e-6 <= p.ref_time <= seg.ref_end + 1e-6
            assert p.similarity > r.settings["hit_floor"]
            assert p.query_image is not None and p.ref_image is not None
            assert p.query_image.dtype == np.uint8 and p.query_image.shape[2] == 3
            assert min(p.ref_image.shape[:2]) == 144
        qt, rt, _ = r.hits.of(seg.ref_id)
        line = seg.ref_start + (qt - seg.query_start) * seg.speed
        on_line = (qt >= seg.query_start) & (qt <= seg.query_end) & (np.abs(rt - line) <= 1.5)
        assert on_line.sum() >= seg.n_hits // 2  # the plot's dots along its line are there
    assert r.query.name == "two_segment.mp4" and len(r.query.sha256) == 64
    assert abs(r.query.duration_s - media.two_segment_truth.duration) < 0.2
    assert r.library.references == 3 and r.library.descriptor == "sscd"
    assert r.library.name == "library" and r.library.generation == 3
    assert r.library.id == Manifest.load(media.library).library_id
    assert r.threshold == r.settings["match_threshold"] and r.settings["index_fps"] == 1.0
    assert r.run_at.endswith("+00:00")
    assert [c.ref_id for c in r.candidates[:2]] == [s.ref_id for s in r.segments]


def test_unrelated_query_has_no_segment_and_names_the_nearest(
        unrelated_report: EvidenceReport) -> None:
    r = unrelated_report
    assert not r.matched and r.segments == ()
    assert r.nearest, "the k nearest frames always name some reference"
    best = [n.best_similarity for n in r.nearest]
    assert best == sorted(best, reverse=True)
    assert all(c.best_segment_score is None
               or c.best_segment_score < r.rule.required(c.best_segment_frames)
               for c in r.candidates)


def test_missing_reference_file_leaves_its_thumbnails_empty(
        two_segment_report: EvidenceReport, media: ClipMedia, tmp_path: Path) -> None:
    bare = attach_frames(two_segment_report, media.two_segment, {})
    pairs = [p for s in bare.segments for p in s.pairs]
    assert all(p.ref_image is None and p.query_image is not None for p in pairs)
    gone = attach_frames(two_segment_report, tmp_path / "deleted.mp4", {})
    assert all(p.query_image is None for s in gone.segments for p in s.pairs)


def test_build_report_refuses_a_file_that_is_not_a_video(media: ClipMedia,
                                                         tmp_path: Path) -> None:
    from vidtrace.api import Library
    from vidtrace.errors import VideoError
    from vidtrace.report import build_report

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    with Library.open(media.library) as lib, pytest.raises(VideoError, match=r"junk\.mp4"):
        build_report(lib, junk)
