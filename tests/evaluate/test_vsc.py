"""Segment-level micro AP (VSC 2022 style) on hand-made boxes."""

import numpy as np
import pytest

from vidtrace.evaluate.vsc import BoxCoverage, vsc_micro_ap, vsc_precision_recall
from vidtrace.types import CopySegment, Match, QueryTruth

GT = CopySegment("a", 0, 10, 0, 10)  # area 100 s^2


def pred(ref: str, qs: float, qe: float, rs: float, re: float, score: float) -> Match:
    return Match(ref, qs, qe, rs, re, score)


def one_query(*segments: CopySegment) -> list[QueryTruth]:
    return [QueryTruth("q.mp4", 60, segments)]


def test_perfect_single_prediction() -> None:
    assert vsc_micro_ap(one_query(GT), {"q.mp4": [pred("a", 0, 10, 0, 10, 0.5)]}) == 1.0


def test_perfect_prediction_ranked_after_a_false_one() -> None:
    # k=1: false box on b, area 25, gain 0 -> P 0, R 0. k=2: covered 100 of 125 predicted
    # -> P 0.8, R 1. AP = 0.8 * 1 = 0.8.
    preds = {"q.mp4": [pred("a", 0, 10, 0, 10, 0.5), pred("b", 0, 5, 0, 5, 0.9)]}
    assert vsc_micro_ap(one_query(GT), preds) == pytest.approx(0.8)


def test_partial_coverage_counts_covered_area_once() -> None:
    # k=1: q[0,10] x r[0,5], area 50, gain 50 -> P 1, R 1/2.
    # k=2: the whole box, area 100, gain only the other 50 -> covered 100 of 150: P 2/3, R 1.
    # AP = 1 * 1/2 + 2/3 * 1/2 = 5/6.
    preds = {"q.mp4": [pred("a", 0, 10, 0, 5, 0.9), pred("a", 0, 10, 0, 10, 0.8)]}
    precision, recall, scores = vsc_precision_recall(one_query(GT), preds)
    np.testing.assert_allclose(precision, [1.0, 2 / 3])
    np.testing.assert_allclose(recall, [0.5, 1.0])
    np.testing.assert_allclose(scores, [0.9, 0.8])
    assert vsc_micro_ap(one_query(GT), preds) == pytest.approx(5 / 6)


def test_prediction_spilling_outside_the_truth() -> None:
    # q[5,15] x r[0,10]: area 100, half inside -> P 1/2, R 1/2, AP 1/4.
    assert vsc_micro_ap(one_query(GT), {"q.mp4": [pred("a", 5, 15, 0, 10, 1)]}) == 0.25


def test_overlapping_truth_boxes_are_merged() -> None:
    # GT [0,10]^2 and [5,15]^2: union area 100 + 100 - 25 = 175. One box [0,15]^2 (area 225)
    # covers all of it: P = 175/225 = 7/9, R = 1.
    truth = one_query(GT, CopySegment("a", 5, 15, 5, 15))
    assert vsc_micro_ap(truth, {"q.mp4": [pred("a", 0, 15, 0, 15, 1)]}) == pytest.approx(7 / 9)


def test_predictions_are_pooled_across_queries() -> None:
    # Ranked: q1 exact (.9) P 1, R 1/2; q2 on a wrong ref (.8), area 100: P 1/2; q2 exact (.7):
    # covered 200 of 300 -> P 2/3, R 1. AP = 1 * 1/2 + 2/3 * 1/2 = 5/6.
    truth = [QueryTruth("q1.mp4", 60, (GT,)), QueryTruth("q2.mp4", 60, (GT,))]
    preds = {"q1.mp4": [pred("a", 0, 10, 0, 10, 0.9)],
             "q2.mp4": [pred("a", 0, 10, 0, 10, 0.7), pred("z", 0, 10, 0, 10, 0.8)]}
    assert vsc_micro_ap(truth, preds) == pytest.approx(5 / 6)


def test_no_truth_gives_none_and_no_predictions_zero() -> None:
    negatives = [QueryTruth("n.mp4", 60, ())]
    assert vsc_micro_ap(negatives, {"n.mp4": [pred("a", 0, 1, 0, 1, 1)]}) is None
    assert vsc_micro_ap(one_query(GT), {}) == 0.0


def test_box_coverage_is_exact() -> None:
    truth = np.array([[0, 10, 0, 10], [5, 15, 5, 15]], dtype=float)
    others = np.array([[0, 5, 0, 5], [0, 15, 0, 15], [2, 3, 20, 30]], dtype=float)
    cov = BoxCoverage(truth, others)
    assert cov.truth_area == 175.0
    assert cov.add(others[0]) == 25.0
    assert cov.add(others[2]) == 0.0
    assert cov.add(others[1]) == 150.0
    assert cov.add(others[1]) == 0.0
