"""Threshold calibration on hand-made predictions with a known best threshold."""

import pytest

from vidtrace.evaluate.calibrate import calibrate_threshold, filter_predictions
from vidtrace.types import CopySegment, Match, QueryTruth


def positive(i: int) -> QueryTruth:
    return QueryTruth(f"queries/p{i}.mp4", 60.0, (CopySegment("r", 10.0, 30.0, 5.0, 25.0),))


def negative(i: int) -> QueryTruth:
    return QueryTruth(f"queries/n{i}.mp4", 60.0, ())


def hit(score: float) -> Match:
    return Match("r", 10.0, 30.0, 5.0, 25.0, score)


def miss(score: float) -> Match:
    return Match("x", 40.0, 50.0, 0.0, 10.0, score)


def test_threshold_lies_between_copies_and_non_copies() -> None:
    # copies score 0.55-0.8; false matches on negatives and positives score 0.2-0.42
    truth = [positive(i) for i in range(10)] + [negative(i) for i in range(10)]
    preds = {f"p{i}.mp4": [hit(0.55 + 0.025 * i), miss(0.2 + 0.02 * i)] for i in range(10)}
    preds.update({f"n{i}.mp4": [miss(0.25 + 0.017 * i)] for i in range(10)})
    c = calibrate_threshold(truth, preds)
    assert 0.42 < c.threshold <= 0.55
    assert c.f1 == pytest.approx(1.0) and c.fpr == 0.0
    # the plateau's median, not its edge
    assert c.threshold == pytest.approx(0.49, abs=0.011)


def test_fpr_bound_wins_over_f1() -> None:
    # one negative scores as high as the weakest copies: the threshold must pass it
    truth = [positive(i) for i in range(10)] + [negative(0)]
    preds = {f"p{i}.mp4": [hit(0.5 + 0.03 * i)] for i in range(10)}
    preds["n0.mp4"] = [miss(0.6)]
    c = calibrate_threshold(truth, preds, max_fpr=0.0)
    assert c.threshold > 0.6 and c.fpr == 0.0
    assert c.f1 < 1.0  # copies scoring below 0.6 are lost


def test_filter_keeps_failed_queries() -> None:
    out = filter_predictions({"a": [hit(0.3), hit(0.7)], "b": None}, 0.5)
    assert out == {"a": [hit(0.7)], "b": None}
