"""Pair-level micro AP (VSC 2022 descriptor track, matching track's pairwise figure) and the
descriptor-track search, on hand-made cases whose figures are worked out in the comments."""

import numpy as np
import pytest

from vidtrace.evaluate.pairs import (
    DescriptorProtocol,
    descriptor_micro_ap,
    descriptor_pair_scores,
    global_knn,
    pair_micro_ap,
    pair_precision_recall,
    pair_scores_from_matches,
)
from vidtrace.types import FrameSet, Match


def test_ranked_pairs_with_a_miss_and_an_unretrieved_truth() -> None:
    truth = {("q1", "a"), ("q2", "b"), ("q3", "c")}  # 3 true pairs; (q3, c) never predicted
    scores = {("q1", "a"): 0.9, ("q1", "b"): 0.8, ("q2", "b"): 0.7, ("q4", "a"): 0.6}
    # 0.9: 1 of 1 right, P 1, R 1/3 -> + 1 * 1/3
    # 0.8: 1 of 2, P 1/2, R 1/3 -> + 0
    # 0.7: 2 of 3, P 2/3, R 2/3 -> + 2/3 * 1/3 = 2/9
    # 0.6: 2 of 4, P 1/2, R 2/3 -> + 0.          AP = 1/3 + 2/9 = 5/9
    precision, recall, score = pair_precision_recall(truth, scores)
    np.testing.assert_allclose(precision, [1, 1 / 2, 2 / 3, 1 / 2])
    np.testing.assert_allclose(recall, [1 / 3, 1 / 3, 2 / 3, 2 / 3])
    np.testing.assert_allclose(score, [0.9, 0.8, 0.7, 0.6])
    assert pair_micro_ap(truth, scores) == pytest.approx(5 / 9)


@pytest.mark.parametrize("true_first", [True, False])
def test_equal_scores_are_one_threshold(true_first: bool) -> None:
    truth = {("q1", "a"), ("q2", "b")}
    tied = [(("q1", "a"), 0.5), (("q1", "b"), 0.5)]
    scores = dict((tied if true_first else tied[::-1]) + [(("q2", "b"), 0.4)])
    # 0.5 (both): 1 of 2 right, P 1/2, R 1/2 -> 1/4; 0.4: 2 of 3, P 2/3, R 1 -> 1/3.
    # AP = 7/12 in either order; ranking the tie true-first would have given 1/2 + 1/3 = 5/6.
    assert pair_micro_ap(truth, scores) == pytest.approx(7 / 12)


def test_edge_cases() -> None:
    assert pair_micro_ap(set(), {("q", "r"): 1.0}) is None
    assert pair_micro_ap({("q", "r")}, {}) == 0.0
    assert pair_micro_ap([("q", "r"), ("q", "r")], {("q", "r"): 0.1}) == 1.0  # a set of pairs


def test_pair_scores_take_the_best_match_per_pair() -> None:
    preds = {"dir/q1.mp4": [Match("a", 0, 1, 0, 1, 0.3), Match("a", 5, 6, 5, 6, 0.7),
                            Match("b", 0, 1, 0, 1, 0.2)], "q2.mp4": None, "q3": []}
    assert pair_scores_from_matches(preds) == {("q1", "a"): 0.7, ("q1", "b"): 0.2}


@pytest.mark.parametrize(("k", "floor"), [(13, None), (77, None), (500, None), (30, 0.5),
                                          (0, None)])
def test_global_knn_against_brute_force(k: int, floor: float | None) -> None:
    rng = np.random.default_rng(3)
    xq, xb = rng.standard_normal((7, 5)), rng.standard_normal((11, 5))
    full = (xq.astype(np.float32) @ xb.astype(np.float32).T).ravel()
    kept = full[full > floor] if floor is not None else full
    want = np.sort(kept)[::-1][:k]
    # float32 dot products of 5 terms up to about 3 in size, summed in another order by another
    # kernel, differ by up to about 1e-6 absolute: a similarity near 0 needs atol, not rtol
    tol = {"rtol": 1e-6, "atol": 1e-6}
    for block in (20, 1 << 22):  # one query row at a time, and all at once
        qi, bi, sims = global_knn(xq, xb, k, floor, block=block)
        np.testing.assert_allclose(sims, want, **tol)
        np.testing.assert_allclose(full[qi * 11 + bi], sims, **tol)
        assert len(set(zip(qi.tolist(), bi.tolist(), strict=True))) == len(sims)


# Unit vectors in 2-D. Similarities (query frame x reference frame):
#   Q1 e1        : R1 e1 -> 1,   R2 e2 -> 0,   R2 -e1 -> -1
#   Q1 e2        : R1    -> 0,   R2 e2 -> 1,   R2 -e1 -> 0
#   Q2 (0.8,0.6) : R1    -> 0.8, R2 e2 -> 0.6, R2 -e1 -> -0.8
E1, E2 = [1.0, 0.0], [0.0, 1.0]
Q1 = FrameSet("Q1", np.array([0.0, 1.0]), np.array([E1, E2], np.float32), 2.0)
Q2 = FrameSet("Q2", np.array([0.0]), np.array([[0.8, 0.6]], np.float32), 1.0)
R1 = FrameSet("R1", np.array([0.0]), np.array([E1], np.float32), 1.0)
R2 = FrameSet("R2", np.array([0.0, 1.0]), np.array([E2, [-1.0, 0.0]], np.float32), 2.0)


def test_descriptor_pairs_take_the_best_kept_similarity() -> None:
    # the 3 largest: 1 (Q1,R1), 1 (Q1,R2), 0.8 (Q2,R1); (Q2,R2)'s 0.6 is not among them
    assert descriptor_pair_scores([Q1, Q2], [R1, R2], 3) == pytest.approx(
        {("Q1", "R1"): 1.0, ("Q1", "R2"): 1.0, ("Q2", "R1"): 0.8})
    four = descriptor_pair_scores([Q1, Q2], [R1, R2], 4)
    assert four[("Q2", "R2")] == pytest.approx(0.6)
    assert set(descriptor_pair_scores([Q1, Q2], [R1, R2], 4, max_pairs=2)) == {
        ("Q1", "R1"), ("Q1", "R2")}
    assert set(descriptor_pair_scores([Q1, Q2], [R1, R2], 9, min_similarity=0.7)) == {
        ("Q1", "R1"), ("Q1", "R2"), ("Q2", "R1")}


def test_descriptor_micro_ap() -> None:
    truth = {("Q1", "R1"), ("Q2", "R2")}
    # vsc2022 protocol, 2 query videos: 2,400 similarities kept (all 9), 50 pairs.
    # Pairs: (Q1,R1) 1, (Q1,R2) 1, (Q2,R1) 0.8, (Q2,R2) 0.6.
    # 1.0: 1 of 2 right, P 1/2, R 1/2 -> 1/4; 0.8: P 1/3, R 1/2 -> 0; 0.6: P 2/4, R 1 -> 1/4.
    result = descriptor_micro_ap(truth, [Q1, Q2], [R1, R2])
    assert result.ap == pytest.approx(0.5)
    assert (result.global_k, result.pairs_scored, result.true_pairs) == (2400, 4, 2)
    # with only the 3 best similarities (Q2,R2) is never scored: 1/4 alone
    assert pair_micro_ap(truth, descriptor_pair_scores([Q1, Q2], [R1, R2], 3)) == pytest.approx(
        0.25)


def test_protocols_differ_on_non_positive_similarities() -> None:
    q = FrameSet("Q", np.array([0.0]), np.array([E1], np.float32), 1.0)
    r = FrameSet("R", np.array([0.0]), np.array([[-1.0, 0.0]], np.float32), 1.0)
    # vsc2022 keeps every similarity: the only pair, right, scores -1 -> AP 1.
    assert descriptor_micro_ap({("Q", "R")}, [q], [r]).ap == 1.0
    # DrivenData's runtime keeps similarities above 0 only: nothing scored -> AP 0.
    drivendata = descriptor_micro_ap({("Q", "R")}, [q], [r], DescriptorProtocol.DRIVENDATA)
    assert drivendata.ap == 0.0 and drivendata.pairs_scored == 0 and drivendata.global_k == 10
    assert DescriptorProtocol.VSC2022.limits(8000, 400_000) == (9_600_000, 200_000, None)
    assert DescriptorProtocol.DRIVENDATA.limits(8000, 400_000) == (4_000_000, None, 0.0)


def test_dimension_mismatch_is_an_error() -> None:
    three = FrameSet("R3", np.array([0.0]), np.zeros((1, 3), np.float32), 1.0)
    with pytest.raises(ValueError, match="2-d query descriptors against 3-d"):
        descriptor_pair_scores([Q1], [three], 5)
