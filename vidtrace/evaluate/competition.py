"""Competition-style metrics: the CCF BDCI 2019 video copyright F1, top-k retrieval accuracy and
the false-positive rate on negative queries. Part of the evaluate stage (after report).

F1 (CCF BDCI 2019 video copyright track): a predicted match is a true positive when its reference
id equals that of a ground-truth segment and each of its four boundaries (query start/end,
reference start/end) lies within `tolerance` seconds of the segment's. Each ground-truth segment
is used at most once: a query's predictions are taken in descending score (ties in input order)
and each takes the unused qualifying segment with the smallest sum of the four boundary offsets.
This is a greedy assignment, as in the competition's scoring, not a maximum matching. Predictions
that are not true positives are false positives (every prediction on a negative query is one);
unmatched ground-truth segments are false negatives. Counts are summed over queries (micro
average) before precision, recall and F1 are taken.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vidtrace.errors import ConfigError
from vidtrace.evaluate.pairing import Predictions, paired
from vidtrace.types import CopySegment, Match, QueryTruth

_TIME_EPS_S = 1e-9  # absorbs float noise so a boundary exactly `tolerance` off still counts


@dataclass(frozen=True)
class CopyCounts:
    """True positives, false positives and false negatives of the competition F1.

    precision is None without predictions, recall None without ground-truth segments, f1 None
    with neither. f1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall
    whenever both exist, and 0 when only one exists.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: "CopyCounts") -> "CopyCounts":
        return CopyCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        n = self.tp + self.fp
        return self.tp / n if n else None

    @property
    def recall(self) -> float | None:
        n = self.tp + self.fn
        return self.tp / n if n else None

    @property
    def f1(self) -> float | None:
        n = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / n if n else None

    def to_json(self) -> dict[str, float | int | None]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


def check_tolerance(tolerance: float) -> None:
    """Raise ConfigError unless `tolerance` (seconds) is finite and not negative."""
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ConfigError(f"error tolerance must be a finite number of seconds >= 0, "
                          f"got {tolerance}")


def _offsets(m: Match, seg: CopySegment) -> tuple[float, float, float, float]:
    return (abs(m.query_start - seg.query_start), abs(m.query_end - seg.query_end),
            abs(m.ref_start - seg.ref_start), abs(m.ref_end - seg.ref_end))


def matched_segments(segments: Sequence[CopySegment], matches: Sequence[Match],
                     tolerance: float) -> list[bool]:
    """For each of one query's ground-truth `segments`, whether a prediction takes it: each
    of `matches`, best score first, takes the unused segment of its reference whose four
    boundaries all lie within `tolerance` seconds, the one with the smallest summed offset."""
    check_tolerance(tolerance)
    used = [False] * len(segments)
    for m in sorted(matches, key=lambda m: -m.score):
        best, best_error = -1, math.inf
        for j, seg in enumerate(segments):
            if used[j] or seg.ref_id != m.ref_id:
                continue
            offsets = _offsets(m, seg)
            if max(offsets) <= tolerance + _TIME_EPS_S and sum(offsets) < best_error:
                best, best_error = j, sum(offsets)
        if best >= 0:
            used[best] = True
    return used


def match_query(segments: Sequence[CopySegment], matches: Sequence[Match],
                tolerance: float) -> CopyCounts:
    """Competition counts of one query: `segments` its ground truth, `matches` its predictions,
    `tolerance` the largest boundary offset in seconds that still counts as a hit
    (`matched_segments`)."""
    tp = sum(matched_segments(segments, matches, tolerance))
    return CopyCounts(tp, len(matches) - tp, len(segments) - tp)


def competition_f1(truth: Sequence[QueryTruth], predictions: Predictions,
                   tolerance: float) -> CopyCounts:
    """Competition counts summed over all queries in `truth` (negatives included: each of their
    predictions is a false positive). Read precision, recall and f1 off the result."""
    check_tolerance(tolerance)
    total = CopyCounts()
    for q, matches in paired(truth, predictions):
        total = total + match_query(q.segments, matches, tolerance)
    return total


def ranked_references(matches: Iterable[Match]) -> list[str]:
    """Distinct reference ids of a query's predictions, by best score descending; ties keep the
    order in which the references first appear."""
    best: dict[str, float] = {}
    for m in matches:
        if m.ref_id not in best or m.score > best[m.ref_id]:
            best[m.ref_id] = m.score
    return sorted(best, key=lambda ref: -best[ref])


def topk_accuracy(truth: Sequence[QueryTruth], predictions: Predictions,
                  ks: Sequence[int] = (1, 5)) -> dict[int, float | None]:
    """Share of positive queries with a ground-truth reference among their first k ranked
    references (see `ranked_references`), for each k in `ks`. None when there are no positives;
    negatives are ignored."""
    if any(k < 1 for k in ks):
        raise ConfigError(f"top-k needs every k >= 1, got {list(ks)}")
    hits = dict.fromkeys(ks, 0)
    positives = 0
    for q, matches in paired(truth, predictions):
        if q.is_negative:
            continue
        positives += 1
        refs = {s.ref_id for s in q.segments}
        ranked = ranked_references(matches)
        for k in ks:
            hits[k] += any(r in refs for r in ranked[:k])
    return {k: (hits[k] / positives if positives else None) for k in ks}


def false_positive_rate(truth: Sequence[QueryTruth], predictions: Predictions) -> float | None:
    """Share of negative queries (no ground-truth segment) with at least one prediction; None
    when there are no negatives. A failed query (None) predicted nothing."""
    flagged = negatives = 0
    for q, matches in paired(truth, predictions):
        if q.is_negative:
            negatives += 1
            flagged += bool(matches)
    return flagged / negatives if negatives else None
