"""VSC 2022 matching-track segment micro AP on hand-made boxes, every figure computed by hand."""

import math

import numpy as np
import pytest

from vidtrace.evaluate.vsc import (
    PairState,
    intersection_length,
    merged_length,
    vsc_micro_ap,
    vsc_precision_recall,
)
from vidtrace.types import CopySegment, Match, QueryTruth

GT = CopySegment("a", 0, 10, 0, 10)


def pred(ref: str, qs: float, qe: float, rs: float, re: float, score: float) -> Match:
    return Match(ref, qs, qe, rs, re, score)


def one_query(*segments: CopySegment) -> list[QueryTruth]:
    return [QueryTruth("q.mp4", 60, segments)]


def test_perfect_single_prediction() -> None:
    assert vsc_micro_ap(one_query(GT), {"q.mp4": [pred("a", 0, 10, 0, 10, 0.5)]}) == 1.0


def test_perfect_prediction_ranked_after_a_false_one() -> None:
    # .9 on ref b, 5 s x 5 s: totals q 5, r 5, intersections 0 -> P 0, R 0.
    # .5 exact: intersections 10, 10; totals 15, 15 -> P = sqrt(2/3 * 2/3) = 2/3, R 1.
    preds = {"q.mp4": [pred("a", 0, 10, 0, 10, 0.5), pred("b", 0, 5, 0, 5, 0.9)]}
    precision, recall, scores = vsc_precision_recall(one_query(GT), preds)
    np.testing.assert_allclose(precision, [0.0, 2 / 3])
    np.testing.assert_allclose(recall, [0.0, 1.0])
    np.testing.assert_allclose(scores, [0.9, 0.5])
    assert vsc_micro_ap(one_query(GT), preds) == pytest.approx(2 / 3)


def test_axes_are_combined_by_geometric_mean() -> None:
    # .9: q[0,10] x r[0,5] overlaps the truth. q: 10 of 10 -> R_q 1, P_q 1; r: 5 of 5 predicted,
    # 5 of 10 true -> R_r 1/2, P_r 1. P 1, R sqrt(1/2).
    # .8: the whole box. Predicted intervals merge: q 10 of 10, r 10 of 10 -> P 1, R 1.
    # AP = 1 * sqrt(1/2) + 1 * (1 - sqrt(1/2)) = 1: a prediction inside an earlier one is free.
    preds = {"q.mp4": [pred("a", 0, 10, 0, 5, 0.9), pred("a", 0, 10, 0, 10, 0.8)]}
    precision, recall, _ = vsc_precision_recall(one_query(GT), preds)
    np.testing.assert_allclose(precision, [1.0, 1.0])
    np.testing.assert_allclose(recall, [math.sqrt(0.5), 1.0])
    assert vsc_micro_ap(one_query(GT), preds) == pytest.approx(1.0)


def test_prediction_spilling_outside_the_truth() -> None:
    # q[5,15] x r[0,10]: q axis 5 of 10 predicted, 5 of 10 true; r axis exact.
    # P = sqrt(1/2 * 1) = R, AP = 1/2.
    preds = {"q.mp4": [pred("a", 5, 15, 0, 10, 1)]}
    assert vsc_micro_ap(one_query(GT), preds) == pytest.approx(0.5)


def test_only_truth_overlapped_in_2d_counts_even_retroactively() -> None:
    # Truth A = q[0,10] x r[0,10], B = q[20,30] x r[20,30]: lengths q 20, r 20.
    # .9: q[0,10] x r[15,25] meets neither box in 2-D although its intervals meet A's on q and
    #     B's on r -> intersections 0; totals q 10, r 10. P 0, R 0.
    # .8: exactly B. Counted truth: B. q: preds [0,10] u [20,30] (20) n [20,30] = 10;
    #     r: preds [15,30] (15) n [20,30] = 10. R = sqrt(1/2 * 1/2) = 1/2,
    #     P = sqrt(10/20 * 10/15) = sqrt(1/3).
    # .7: exactly A. Counted truth: A and B; now the .9 prediction's q interval counts too.
    #     q: preds [0,10] u [20,30] = 20, all true; r: preds [0,10] u [15,30] = 25, 20 true.
    #     R 1, P = sqrt(1 * 20/25) = sqrt(0.8).
    # AP = sqrt(1/3) * 1/2 + sqrt(0.8) * 1/2.
    truth = one_query(GT, CopySegment("a", 20, 30, 20, 30))
    preds = {"q.mp4": [pred("a", 0, 10, 15, 25, 0.9), pred("a", 20, 30, 20, 30, 0.8),
                       pred("a", 0, 10, 0, 10, 0.7)]}
    precision, recall, _ = vsc_precision_recall(truth, preds)
    np.testing.assert_allclose(precision, [0.0, math.sqrt(1 / 3), math.sqrt(0.8)])
    np.testing.assert_allclose(recall, [0.0, 0.5, 1.0])
    expected = math.sqrt(1 / 3) / 2 + math.sqrt(0.8) / 2
    assert vsc_micro_ap(truth, preds) == pytest.approx(expected)


def test_overlapping_truth_intervals_are_merged() -> None:
    # Truth q[0,10] x r[0,10] and q[5,15] x r[5,15]: unions q [0,15], r [0,15] -> 15, 15.
    # One box q[0,20] x r[0,15]: q 15 of 20, r 15 of 15 -> P = sqrt(3/4), R = 1.
    truth = one_query(GT, CopySegment("a", 5, 15, 5, 15))
    preds = {"q.mp4": [pred("a", 0, 20, 0, 15, 1)]}
    assert vsc_micro_ap(truth, preds) == pytest.approx(math.sqrt(0.75))


def test_equal_scores_are_one_group_whatever_their_order() -> None:
    # Wrong ref b and exact ref a, both .5, added together: q 10 of 20, r 10 of 20 -> P 1/2,
    # R 1. One curve point; AP 1/2 in both input orders (not 1, as exact-first would give).
    right, wrong = pred("a", 0, 10, 0, 10, 0.5), pred("b", 0, 10, 0, 10, 0.5)
    for order in ([right, wrong], [wrong, right]):
        precision, recall, scores = vsc_precision_recall(one_query(GT), {"q.mp4": order})
        np.testing.assert_allclose([precision, recall, scores], [[0.5], [1.0], [0.5]])
        assert vsc_micro_ap(one_query(GT), {"q.mp4": order}) == pytest.approx(0.5)


def test_predictions_are_pooled_and_summed_over_pairs() -> None:
    # Truth lengths (q, r): q1 (10, 10) + q2 (30, 30) = (40, 40).
    # .9 q1 exact: inter (10, 10), totals (10, 10) -> P 1, R 1/4.
    # .8 q2 on wrong ref z, 10 x 10: totals (20, 20) -> P 1/2, R 1/4.
    # .7 q2 a, q[0,30] x r[0,15]: inter (40, 25), totals (50, 35)
    #    -> R = sqrt(1 * 25/40), P = sqrt(40/50 * 25/35).
    truth = [QueryTruth("q1.mp4", 60, (GT,)),
             QueryTruth("q2.mp4", 60, (CopySegment("a", 0, 30, 0, 30),))]
    preds = {"q1.mp4": [pred("a", 0, 10, 0, 10, 0.9)],
             "q2.mp4": [pred("a", 0, 30, 0, 15, 0.7), pred("z", 0, 10, 0, 10, 0.8)]}
    r3, p3 = math.sqrt(25 / 40), math.sqrt(40 / 50 * 25 / 35)
    precision, recall, _ = vsc_precision_recall(truth, preds)
    np.testing.assert_allclose(precision, [1.0, 0.5, p3])
    np.testing.assert_allclose(recall, [0.25, 0.25, r3])
    assert vsc_micro_ap(truth, preds) == pytest.approx(0.25 + p3 * (r3 - 0.25))


def test_no_truth_gives_none_and_no_predictions_zero() -> None:
    negatives = [QueryTruth("n.mp4", 60, ())]
    assert vsc_micro_ap(negatives, {"n.mp4": [pred("a", 0, 1, 0, 1, 1)]}) is None
    assert vsc_micro_ap(one_query(GT), {}) == 0.0
    assert vsc_micro_ap(one_query(GT), {"q.mp4": None}) == 0.0


def test_interval_lengths() -> None:
    a = np.array([[0, 10], [2, 5], [8, 15], [20, 21]], dtype=float)
    assert merged_length(a) == 16.0
    assert merged_length(np.zeros((0, 2))) == 0.0
    b = np.array([[5, 9], [14, 30]], dtype=float)
    assert intersection_length(a, b) == 4 + 1 + 1
    assert intersection_length(a, np.zeros((0, 2))) == 0.0


def test_pair_state_reports_deltas() -> None:
    state = PairState(np.array([[0, 10, 0, 10]], dtype=float))
    np.testing.assert_allclose(state.truth_length(), [10, 10])
    d_inter, d_total = state.add(np.array([0, 4, 20, 24], dtype=float))  # misses in 2-D
    np.testing.assert_allclose([d_inter, d_total], [[0, 0], [4, 4]])
    d_inter, d_total = state.add(np.array([2, 6, 2, 6], dtype=float))
    # q: preds [0,6] of which all true now -> +6; r: preds [2,6] u [20,24], [2,6] true -> +4.
    np.testing.assert_allclose([d_inter, d_total], [[6, 4], [2, 4]])
