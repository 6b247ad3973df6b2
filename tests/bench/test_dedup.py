"""bench/dedup.py and bench/collection.py on tiny inputs: the synthetic collection, the ground
truth of shared footage, the scoring, and a synthetic dedup run (no timing targets)."""

from pathlib import Path

import pytest

from vidtrace.bench.collection import score_collection, true_overlaps
from vidtrace.bench.dedup import (
    SYNTHETIC_FRAMES,
    format_dedup,
    run_synthetic,
    synthetic_collection,
)
from vidtrace.dedup import DedupResult, Overlap, VideoFacts
from vidtrace.dedup.overlaps import group_videos
from vidtrace.settings import DEFAULT_QUERY
from vidtrace.types import CopySegment, QueryTruth


def test_shared_footage_from_ground_truth() -> None:
    truths = [QueryTruth("o.mp4", 10.0, (CopySegment("src", 0.0, 10.0, 0.0, 10.0),)),
              QueryTruth("t.mp4", 5.0, (CopySegment("src", 0.0, 5.0, 2.5, 7.5),)),
              QueryTruth("e.mp4", 10.0, (CopySegment("src", 2.0, 8.0, 2.0, 8.0),)),
              QueryTruth("x.mp4", 10.0, (CopySegment("other", 0.0, 10.0, 0.0, 10.0),)),
              QueryTruth("u.mp4", 10.0, ())]
    got = {(o.a, o.b): (o.a_start, o.a_end, o.b_start, o.b_end)
           for o in true_overlaps(truths, 3.0)}
    assert got == {("e.mp4", "o.mp4"): (2.0, 8.0, 2.0, 8.0),
                   ("e.mp4", "t.mp4"): (2.5, 7.5, 0.0, 5.0),
                   ("o.mp4", "t.mp4"): (2.5, 7.5, 0.0, 5.0)}
    assert len(true_overlaps(truths, 5.5)) == 1  # only e-o shares 6 s


def test_scoring_counts_pairs_boundaries_and_groups() -> None:
    truths = [QueryTruth("a.mp4", 10.0, (CopySegment("s", 0.0, 10.0, 0.0, 10.0),)),
              QueryTruth("b.mp4", 10.0, (CopySegment("s", 0.0, 10.0, 0.0, 10.0),)),
              QueryTruth("c.mp4", 10.0, ())]
    found = [Overlap("dir/a.mp4", 0.5, 10.0, "dir/b.mp4", 0.0, 9.0, 0.8, True),
             Overlap("dir/b.mp4", 0.0, 5.0, "dir/c.mp4", 0.0, 5.0, 0.5, False)]
    facts = {n: VideoFacts(n, 10.0) for n in ("dir/a.mp4", "dir/b.mp4", "dir/c.mp4")}
    result = DedupResult(facts, found, group_videos(found, facts), 3.0, 0.42)
    s = score_collection(result, truths, 3.0)
    assert (s.true_pairs, s.found_pairs, s.correct_pairs, s.cross_family) == (1, 2, 1, 1)
    assert (s.within_1s, s.within_3s) == (1, 1)  # errors of 0.5 and 1.0 s
    assert s.precision == 0.5 and s.recall == 1.0 and s.f1 == pytest.approx(2 / 3)
    assert s.purity == pytest.approx(2 / 3) and not s.groups_exact


def test_synthetic_collection_plants_families_of_four() -> None:
    videos = synthetic_collection(20, 16)
    assert len(videos) == 20 and len({name for name, _, _ in videos}) == 20
    families = [t for _, _, t in videos if t.segments]
    assert len(families) == 8  # a tenth of 20 are originals, with three copies each
    assert all(v.shape == (SYNTHETIC_FRAMES, 16) for name, v, _ in videos
               if name.endswith(("original", "edited", "embedded")) or "unrelated" in name)
    assert len(true_overlaps([t for _, _, t in videos], 3.0)) == 2 * 6


@pytest.mark.slow
def test_synthetic_dedup_finds_the_planted_pairs(tmp_path: Path) -> None:
    r = run_synthetic(20, tmp_path)
    assert r["videos"] == 20 and r["index"] == "flat"
    assert r["pairs_f1"] == 1.0 and r["group_purity"] == 1.0 and r["groups_exact"]
    assert 0 < r["aligned_per_video"] <= DEFAULT_QUERY.max_candidates
    assert r["aligned_in_all"] <= 20 * DEFAULT_QUERY.max_candidates
    assert not (tmp_path / "synthetic-20").exists()
    text = format_dedup({"synthetic": [r], "real": {
        "videos": 1, "families": 0, "unrelated": 1, "seconds_of_video": 1.0, **{
            k: 0 for k in ("pairs_f1", "precision", "recall", "correct_pairs", "true_pairs",
                           "found_pairs", "cross_family", "within_1s", "within_3s",
                           "group_purity", "describe_s_per_video", "match_s_per_video",
                           "cpu_s_per_video")},
        "groups_exact": True}})
    assert text.splitlines()[1].split()[:3] == ["20", str(r["frames"]), "flat"]
