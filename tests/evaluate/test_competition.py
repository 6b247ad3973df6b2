"""Competition F1, top-k accuracy and false-positive rate on hand-made queries."""

import pytest

from vidtrace.errors import ConfigError, VidtraceError
from vidtrace.evaluate.competition import (
    CopyCounts,
    competition_f1,
    false_positive_rate,
    match_query,
    ranked_references,
    topk_accuracy,
)
from vidtrace.types import CopySegment, Match, QueryTruth

SEG = CopySegment("ref-a", 10.0, 30.0, 100.0, 120.0)


def match(ref: str, qs: float, qe: float, rs: float, re: float, score: float = 0.9) -> Match:
    return Match(ref, qs, qe, rs, re, score)


def exact(seg: CopySegment, score: float = 0.9) -> Match:
    return Match(seg.ref_id, seg.query_start, seg.query_end, seg.ref_start, seg.ref_end, score)


def query(name: str, *segments: CopySegment) -> QueryTruth:
    return QueryTruth(f"queries/{name}", 60.0, segments)


def test_perfect_prediction_scores_one() -> None:
    counts = competition_f1([query("q1.mp4", SEG)], {"q1.mp4": [exact(SEG)]}, 3.0)
    assert counts == CopyCounts(1, 0, 0)
    assert (counts.precision, counts.recall, counts.f1) == (1.0, 1.0, 1.0)


# Each boundary in turn is moved by `offset`; hit iff offset <= tolerance.
@pytest.mark.parametrize("field", [0, 1, 2, 3])
@pytest.mark.parametrize(("offset", "tolerance", "hit"), [
    (2.9, 3.0, True), (3.0, 3.0, True), (3.1, 3.0, False), (3.1, 5.0, True), (-5.2, 5.0, False),
])
def test_boundary_tolerance(field: int, offset: float, tolerance: float, hit: bool) -> None:
    bounds = [SEG.query_start, SEG.query_end, SEG.ref_start, SEG.ref_end]
    bounds[field] += offset
    qs, qe, rs, re = bounds
    counts = match_query([SEG], [match("ref-a", qs, qe, rs, re)], tolerance)
    assert counts == (CopyCounts(1, 0, 0) if hit else CopyCounts(0, 1, 1))


def test_wrong_reference_is_a_false_positive_and_a_miss() -> None:
    counts = match_query([SEG], [match("ref-b", 10, 30, 100, 120)], 5.0)
    assert counts == CopyCounts(0, 1, 1)
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def test_duplicate_predictions_of_one_segment() -> None:
    # One segment used once: TP 1, FP 1 -> P 1/2, R 1, F1 = 2/(2+1+0) = 2/3.
    counts = match_query([SEG], [exact(SEG, 0.9), exact(SEG, 0.8)], 3.0)
    assert counts == CopyCounts(1, 1, 0)
    assert counts.precision == 0.5
    assert counts.f1 == pytest.approx(2 / 3)


def test_closest_unused_segment_is_taken() -> None:
    # seg1 q[10,20], seg2 q[12,22] (refs shifted alike). The top prediction equals seg2 (2 s from
    # seg1, so it qualifies for both); it must take seg2 so that the second prediction, 1.5 s
    # from seg1 and 3.5 s from seg2, can still take seg1: 2 TP. Taking seg1 first would give 1.
    seg1 = CopySegment("r", 10, 20, 50, 60)
    seg2 = CopySegment("r", 12, 22, 52, 62)
    preds = [exact(seg2, 0.9), match("r", 8.5, 18.5, 48.5, 58.5, 0.5)]
    assert match_query([seg1, seg2], preds, 3.0) == CopyCounts(2, 0, 0)


def test_micro_average_over_queries_counts_negatives() -> None:
    # q1: perfect (TP 1). q2: missed (FN 1). q3 negative with 2 predictions (FP 2).
    # F1 = 2*1 / (2*1 + 2 + 1) = 0.4; P = 1/3, R = 1/2.
    seg2 = CopySegment("ref-b", 0, 10, 0, 10)
    truth = [query("q1.mp4", SEG), query("q2.mp4", seg2), query("q3.mp4")]
    preds = {"q1.mp4": [exact(SEG)], "q3.mp4": [exact(SEG), exact(seg2)]}
    counts = competition_f1(truth, preds, 3.0)
    assert counts == CopyCounts(1, 2, 1)
    assert counts.f1 == pytest.approx(0.4)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == 0.5


def test_undefined_ratios_are_none() -> None:
    assert CopyCounts(0, 0, 3).precision is None
    assert CopyCounts(0, 0, 3).f1 == 0.0
    assert CopyCounts(0, 2, 0).recall is None
    assert CopyCounts().f1 is None


def test_bad_tolerance_is_rejected() -> None:
    with pytest.raises(ConfigError, match="tolerance"):
        match_query([SEG], [], -1.0)


def test_duplicate_query_names_are_rejected() -> None:
    truth = [query("q1.mp4", SEG), QueryTruth("other/q1.mp4", 5.0, ())]
    with pytest.raises(VidtraceError, match=r"q1\.mp4.*twice"):
        competition_f1(truth, {}, 3.0)


def test_ranked_references_use_best_score() -> None:
    preds = [match("a", 0, 1, 0, 1, 0.3), match("b", 0, 1, 0, 1, 0.8),
             match("a", 0, 1, 0, 1, 0.9), match("c", 0, 1, 0, 1, 0.8)]
    # a: 0.9; b and c tie at 0.8 and keep first-appearance order.
    assert ranked_references(preds) == ["a", "b", "c"]


def test_top1_and_top5() -> None:
    # q1: truth r7 ranked 4th (c .95, a .9, b .8, r7 .7): top-1 miss, top-5 hit.
    # q2: truth r7 ranked 1st: both hit. q3: no predictions: both miss. Negative q4 ignored.
    # top-1 = 1/3, top-5 = 2/3.
    seg = CopySegment("r7", 0, 10, 0, 10)
    q1_preds = [match(r, 0, 10, 0, 10, s)
                for r, s in [("a", 0.9), ("b", 0.8), ("a", 0.3), ("r7", 0.7), ("c", 0.95)]]
    truth = [query("q1.mp4", seg), query("q2.mp4", seg), query("q3.mp4", seg), query("q4.mp4")]
    preds = {"q1.mp4": q1_preds, "q2.mp4": [exact(seg, 0.2)], "q4.mp4": [exact(seg)]}
    acc = topk_accuracy(truth, preds, (1, 5))
    assert acc[1] == pytest.approx(1 / 3)
    assert acc[5] == pytest.approx(2 / 3)
    assert topk_accuracy(truth, preds, (3,))[3] == pytest.approx(1 / 3)


def test_topk_without_positives_is_none() -> None:
    assert topk_accuracy([query("n.mp4")], {}, (1,)) == {1: None}


def test_false_positive_rate_on_negatives() -> None:
    # Negatives: n1 flagged, n2 absent, n3 failed (None) -> 1/3. The positive is ignored.
    truth = [query("n1.mp4"), query("n2.mp4"), query("n3.mp4"), query("p.mp4", SEG)]
    preds = {"n1.mp4": [exact(SEG)], "n3.mp4": None, "p.mp4": [exact(SEG)]}
    assert false_positive_rate(truth, preds) == pytest.approx(1 / 3)
    assert false_positive_rate([query("p.mp4", SEG)], preds) is None
