"""VCSL segment-level precision/recall/F1 on hand-made boxes."""

import numpy as np
import pytest

from vidtrace.evaluate.segments import union_length, vcsl_query, vcsl_scores
from vidtrace.types import CopySegment, Match, QueryTruth


def box(ref: str, qs: float, qe: float, rs: float, re: float) -> CopySegment:
    return CopySegment(ref, qs, qe, rs, re)


def pred(ref: str, qs: float, qe: float, rs: float, re: float, score: float = 0.9) -> Match:
    return Match(ref, qs, qe, rs, re, score)


GT = box("a", 0, 20, 100, 120)


def test_union_length_merges_overlaps() -> None:
    # [0,5] u [3,8] = 8, plus [10,12] = 2 -> 10; nested [2,3] adds nothing.
    assert union_length(np.array([10.0, 0, 3, 2]), np.array([12.0, 5, 8, 3])) == 10.0
    assert union_length(np.array([]), np.array([])) == 0.0


def test_perfect_prediction() -> None:
    assert vcsl_query([GT], [pred("a", 0, 20, 100, 120)]) == (1.0, 1.0)


def test_half_of_the_query_axis() -> None:
    # Prediction q[0,10] x r[100,120]: P = 10/10 * 20/20 = 1; R = 10/20 * 20/20 = 0.5.
    assert vcsl_query([GT], [pred("a", 0, 10, 100, 120)]) == (1.0, 0.5)


def test_precision_is_a_product_over_axes() -> None:
    # Prediction q[0,10] x r[100,130]: P = 10/10 * 20/30 = 2/3; R = 10/20 * 20/20 = 1/2.
    p, r = vcsl_query([GT], [pred("a", 0, 10, 100, 130)])
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(0.5)


def test_two_predictions_on_one_truth_count_its_union() -> None:
    # GT q[0,20] x r[0,20]; predictions [0,12]^2 and [8,20]^2. Recall per axis: union 20 / 20
    # = 1 (a sum would give 24/20). Precision: 12 + 12 / 24 = 1 per axis.
    gt = box("a", 0, 20, 0, 20)
    assert vcsl_query([gt], [pred("a", 0, 12, 0, 12), pred("a", 8, 20, 8, 20)]) == (1.0, 1.0)


def test_one_prediction_over_two_truths_counts_its_union() -> None:
    # Prediction [0,20]^2; GT [0,10]^2 and [5,15]^2. Precision per axis: union [0,15] = 15 / 20
    # -> P = 0.75^2 = 0.5625 (a sum would give 20/20). Recall: (10 + 10) / 20 per axis = 1.
    gts = [box("a", 0, 10, 0, 10), box("a", 5, 15, 5, 15)]
    p, r = vcsl_query(gts, [pred("a", 0, 20, 0, 20)])
    assert p == pytest.approx(0.5625)
    assert r == 1.0


def test_edge_cases() -> None:
    assert vcsl_query([], []) == (1.0, 1.0)
    assert vcsl_query([], [pred("a", 0, 20, 100, 120)]) == (0.0, 1.0)
    assert vcsl_query([GT], []) == (1.0, 0.0)


def test_different_references_never_intersect() -> None:
    assert vcsl_query([GT], [pred("b", 0, 20, 100, 120)]) == (0.0, 0.0)
    # Exact box on a plus the same box on b: per axis P = (20 + 0) / 40 -> P = 1/4; R = 1.
    p, r = vcsl_query([GT], [pred("a", 0, 20, 100, 120), pred("b", 0, 20, 100, 120)])
    assert p == pytest.approx(0.25)
    assert r == 1.0


def test_overlap_needs_both_axes() -> None:
    # Same query interval, disjoint reference interval: no overlap, so nothing is counted.
    assert vcsl_query([GT], [pred("a", 0, 20, 130, 150)]) == (0.0, 0.0)
    # Touching at an edge is not an overlap.
    assert vcsl_query([GT], [pred("a", 20, 30, 100, 120)]) == (0.0, 0.0)


def test_scores_average_over_queries() -> None:
    # q1 (P 1, R 1/2), q2 negative without predictions (1, 1), q3 negative with one (0, 1).
    # Mean P = 2/3, mean R = 5/6, F1 = 2 (2/3)(5/6) / (2/3 + 5/6) = 20/27.
    # Per-query F1: 2/3, 1, 0 -> mean 5/9.
    truth = [QueryTruth("q1.mp4", 60, (GT,)), QueryTruth("q2.mp4", 60, ()),
             QueryTruth("x/q3.mp4", 60, ())]
    preds = {"q1.mp4": [pred("a", 0, 10, 100, 120)], "q3.mp4": [pred("a", 0, 5, 0, 5)]}
    s = vcsl_scores(truth, preds)
    assert s.queries == 3
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(5 / 6)
    assert s.f1 == pytest.approx(20 / 27)
    assert s.mean_query_f1 == pytest.approx(5 / 9)


def test_scores_without_queries_are_none() -> None:
    s = vcsl_scores([], {})
    assert (s.precision, s.recall, s.f1, s.mean_query_f1, s.queries) == (None,) * 4 + (0,)
