"""Pairing ground-truth queries with predictions by file name."""

import pytest

from vidtrace.errors import VidtraceError
from vidtrace.evaluate.pairing import paired, query_name, unknown_queries
from vidtrace.types import CopySegment, Match, QueryTruth

TRUTH = [QueryTruth("a/q1.mp4", 10, (CopySegment("r", 0, 1, 0, 1),)),
         QueryTruth("b/q2.mp4", 10, ())]


def test_pairs_by_file_name_and_fills_gaps() -> None:
    m = Match("r", 0, 1, 0, 1, 0.5)
    pairs = paired(TRUTH, {"q1.mp4": [m], "q2.mp4": None, "q9.mp4": [m]})
    assert [(query_name(q), matches) for q, matches in pairs] == [("q1.mp4", [m]), ("q2.mp4", [])]
    assert paired(TRUTH, {})[0][1] == []
    assert unknown_queries(TRUTH, {"q9.mp4": [], "q1.mp4": [], "q0.mp4": None}) == [
        "q0.mp4", "q9.mp4"]


def test_non_finite_prediction_is_rejected() -> None:
    bad = Match("r", 0, 1, 0, 1, float("nan"))
    with pytest.raises(VidtraceError, match=r"'q1\.mp4' has a non-finite value"):
        paired(TRUTH, {"q1.mp4": [bad]})
