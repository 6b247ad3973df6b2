"""VCSL's own metric: per labelled pair, averaged within query-set groups, then over groups;
hand-made boxes, every figure worked out in the comments. Rows are
[query_start, query_end, ref_start, ref_end], seconds."""

import numpy as np
import pytest

from vidtrace.evaluate.vcsl import vcsl_evaluate, vcsl_pair

GT = np.array([[0, 10, 0, 10]], dtype=float)


@pytest.mark.parametrize(("pred", "truth", "want"), [
    # exact
    ([[0, 10, 0, 10]], GT, (1.0, 1.0)),
    # shifted by 5 on both axes: intersection [5,10] x [5,10]; 5/10 per axis, product 1/4
    ([[5, 15, 5, 15]], GT, (0.25, 0.25)),
    # two predictions overlapping each other inside the truth: precision sums per prediction,
    # (6 + 6) / (6 + 6) per axis = 1; recall takes the union [0,6] u [4,10] = 10 of 10 = 1
    ([[0, 6, 0, 6], [4, 10, 4, 10]], GT, (1.0, 1.0)),
    # overlapping on the query axis only: no 2-D overlap, nothing counts
    ([[0, 10, 20, 30]], GT, (0.0, 0.0)),
    # half of the truth found: P 1; R 5/10 * 10/10 = 1/2
    ([[0, 5, 0, 10]], GT, (1.0, 0.5)),
    # VCSL's conventions for empty sides
    ([], np.zeros((0, 4)), (1.0, 1.0)),
    ([[0, 1, 0, 1]], np.zeros((0, 4)), (0.0, 1.0)),
    ([], GT, (1.0, 0.0)),
])
def test_one_pair(pred: list, truth: np.ndarray, want: tuple[float, float]) -> None:
    assert vcsl_pair(np.array(pred, dtype=float).reshape(-1, 4), truth) == pytest.approx(want)


TRUTH = {("q1", "a"): GT,
         ("q1", "b"): np.array([[0, 10, 20, 30]], dtype=float),
         ("q2", "a"): np.array([[0, 4, 0, 4]], dtype=float)}
PRED = {("q1", "a"): GT,  # P 1, R 1
        # ("q1", "b") nothing: P 1, R 0
        # ("q2", "a"): the truth and a box beside it: P (4/8)(4/8) = 1/4, R 1
        ("q2", "a"): np.array([[0, 4, 0, 4], [10, 14, 10, 14]], dtype=float),
        ("q2", "c"): np.array([[0, 5, 0, 5]], dtype=float)}  # not labelled: not scored


def test_grouped_by_query_by_default() -> None:
    # q1: P (1 + 1)/2 = 1, R (1 + 0)/2 = 1/2; q2: P 1/4, R 1.
    # over groups: P (1 + 1/4)/2 = 5/8, R (1/2 + 1)/2 = 3/4, F1 = 2 * 5/8 * 3/4 / (11/8) = 15/22
    result = vcsl_evaluate(TRUTH, PRED)
    assert (result.precision, result.recall) == pytest.approx((5 / 8, 3 / 4))
    assert result.f1 == pytest.approx(15 / 22)
    assert (result.pairs, result.groups, result.ungrouped_pairs) == (3, 2, 0)


def test_groups_from_the_split_file() -> None:
    groups = {"g1": [("q1", "a"), ("q2", "a"), ("q9", "z")], "g2": [("q1", "b")], "g3": []}
    # g1: P (1 + 1/4)/2 = 5/8, R 1; g2: P 1, R 0 ((q9, z) unlabelled, g3 empty: dropped).
    # P (5/8 + 1)/2 = 13/16, R 1/2, F1 = 2 * 13/16 * 1/2 / (21/16) = 13/21
    result = vcsl_evaluate(TRUTH, PRED, groups)
    assert (result.precision, result.recall, result.f1) == pytest.approx((13 / 16, 1 / 2,
                                                                         13 / 21))
    assert result.groups == 2


def test_pairs_in_no_group_are_left_out() -> None:
    result = vcsl_evaluate(TRUTH, PRED, {"g": [("q1", "a"), ("q1", "b")]})
    assert (result.precision, result.recall) == pytest.approx((1.0, 0.5))
    assert (result.pairs, result.ungrouped_pairs) == (2, 1)
    empty = vcsl_evaluate(TRUTH, PRED, {})
    assert empty.f1 is None and empty.ungrouped_pairs == 3
