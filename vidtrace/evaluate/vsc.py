"""Segment-level micro average precision of the VSC 2022 matching track. Part of the evaluate
stage.

Definition (the official matching-track metric, `match_metric` of facebookresearch/vsc2022,
re-implemented here). A predicted match and a ground-truth segment are both boxes: query
interval x reference interval, seconds. Predictions of all queries are pooled and sorted by
score, descending. Each (query, reference id) pair keeps the predictions seen so far. On each
axis separately (query axis, reference axis) a pair has

- intersection = length of (union of the pair's predicted intervals) intersected with (union of
  the intervals of the pair's ground-truth boxes that overlap, with positive 2-D area, at least
  one of the pair's predictions so far);
- total = length of the union of the pair's predicted intervals;

and, micro-averaged, intersection and total are summed over all pairs (a prediction on a wrong
reference or on a negative query only adds to the total). The ground-truth length of an axis
is the sum over pairs of the length of the union of the pair's ground-truth intervals. Then

    R_axis = intersection / ground-truth length,   P_axis = intersection / total,
    R = sqrt(R_query * R_ref),                      P = sqrt(P_query * P_ref),

and predictions with the same score are added as one group, the curve being updated once
after each group: AP = sum over groups of P x (R - R_before). Since predicted intervals are
merged per pair, a duplicate prediction costs nothing, and a ground-truth segment that a later
prediction touches counts retroactively for the earlier, overlapping predictions of its pair.
P_axis is taken as 0 while its total is 0 (only zero-length predictions so far). AP is None when
there is no copied segment in the ground truth.
"""

from collections.abc import Iterator, Sequence
from itertools import groupby

import numpy as np

from vidtrace.evaluate.pairing import Predictions, paired
from vidtrace.evaluate.segments import boxes
from vidtrace.types import QueryTruth

# Column pairs of a box row [query_start, query_end, ref_start, ref_end]: one per axis.
_AXES = ((0, 1), (2, 3))


def merged_length(intervals: np.ndarray) -> float:
    """Length covered by the intervals, float64 (n, 2) rows [start, end] in seconds, each point
    counted once."""
    if len(intervals) == 0:
        return 0.0
    ordered = intervals[np.argsort(intervals[:, 0], kind="stable")]
    # Running maximum of the ends: an interval adds only what sticks out past all earlier ones.
    reach = np.maximum.accumulate(ordered[:, 1])
    prior = np.concatenate([[-np.inf], reach[:-1]])
    return float(np.sum(np.clip(ordered[:, 1] - np.maximum(ordered[:, 0], prior), 0.0, None)))


def intersection_length(a: np.ndarray, b: np.ndarray) -> float:
    """Length of (union of intervals a) intersected with (union of intervals b); a and b are
    float64 (n, 2) and (m, 2) rows [start, end], seconds. |A n B| = |A| + |B| - |A u B|."""
    both = np.concatenate([a, b]).reshape(-1, 2)
    return max(0.0, merged_length(a) + merged_length(b) - merged_length(both))


class PairState:
    """One (query, reference id) pair during the ranking: its ground-truth boxes, which of them
    a prediction has overlapped so far, and the predictions added so far.

    truth: float64 (n, 4) rows [query_start, query_end, ref_start, ref_end], seconds (n may
    be 0). `intersection` and `total` hold the pair's current per-axis lengths (2,), seconds.
    """

    def __init__(self, truth: np.ndarray) -> None:
        self.truth = truth.reshape(-1, 4)
        self.hit = np.zeros(len(self.truth), dtype=bool)
        self._preds: list[np.ndarray] = []
        self.intersection = np.zeros(2)
        self.total = np.zeros(2)

    def truth_length(self) -> np.ndarray:
        """Length of the union of the ground-truth intervals on each axis, float64 (2,)."""
        return np.array([merged_length(self.truth[:, list(cols)]) for cols in _AXES])

    def add(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add predicted box (4,); return the changes of (intersection, total), each (2,)."""
        self._preds.append(box)
        q_overlap = np.minimum(self.truth[:, 1], box[1]) - np.maximum(self.truth[:, 0], box[0])
        r_overlap = np.minimum(self.truth[:, 3], box[3]) - np.maximum(self.truth[:, 2], box[2])
        self.hit |= (q_overlap > 0) & (r_overlap > 0)
        preds = np.array(self._preds)
        hit = self.truth[self.hit]
        intersection = np.array([intersection_length(preds[:, list(c)], hit[:, list(c)])
                                 for c in _AXES])
        total = np.array([merged_length(preds[:, list(c)]) for c in _AXES])
        deltas = (intersection - self.intersection, total - self.total)
        self.intersection, self.total = intersection, total
        return deltas


def _pooled(truth: Sequence[QueryTruth], predictions: Predictions) -> tuple[
        list[tuple[float, tuple[int, str], np.ndarray]], dict[tuple[int, str], PairState]]:
    """Every prediction as (score, (query index, ref id), box (4,)) sorted by score descending
    (ties in input order), and a `PairState` per pair that has ground truth."""
    pooled: list[tuple[float, tuple[int, str], np.ndarray]] = []
    pairs: dict[tuple[int, str], PairState] = {}
    for qi, (q, matches) in enumerate(paired(truth, predictions)):
        g_refs, g_box = boxes(q.segments)
        for ref in dict.fromkeys(g_refs.tolist()):
            pairs[(qi, ref)] = PairState(g_box[g_refs == ref])
        p_refs, p_box = boxes(matches)
        pooled.extend((m.score, (qi, str(ref)), row)
                      for m, ref, row in zip(matches, p_refs, p_box, strict=True))
    pooled.sort(key=lambda item: -item[0])
    return pooled, pairs


def _curve(truth: Sequence[QueryTruth], predictions: Predictions
           ) -> Iterator[tuple[float, float, float]]:
    """(precision, recall, score) after each group of equal-score predictions, best first."""
    pooled, pairs = _pooled(truth, predictions)
    truth_length = sum((s.truth_length() for s in pairs.values()), np.zeros(2))
    intersection, total = np.zeros(2), np.zeros(2)
    for score, group in groupby(pooled, key=lambda item: item[0]):
        for _, key, box in group:
            state = pairs.get(key)
            if state is None:  # wrong reference or negative query: a pair without truth
                state = pairs[key] = PairState(np.zeros((0, 4)))
            d_inter, d_total = state.add(box)
            intersection += d_inter
            total += d_total
        recall_axes = np.divide(intersection, truth_length, out=np.zeros(2),
                                where=truth_length > 0)
        precision_axes = np.divide(intersection, total, out=np.zeros(2), where=total > 0)
        yield (float(np.sqrt(np.prod(precision_axes))), float(np.sqrt(np.prod(recall_axes))),
               float(score))


def vsc_precision_recall(truth: Sequence[QueryTruth], predictions: Predictions) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """The ranked curve behind `vsc_micro_ap`: precision, recall and score (float64, (g,))
    after each of the g groups of equal-score pooled predictions, best score first. Recall is
    all zeros when the ground truth has no copied segment."""
    points = np.array(list(_curve(truth, predictions)), dtype=np.float64).reshape(-1, 3)
    return points[:, 0], points[:, 1], points[:, 2]


def vsc_micro_ap(truth: Sequence[QueryTruth], predictions: Predictions) -> float | None:
    """VSC 2022 matching-track segment micro AP over every query in `truth` (see the module
    docstring), in [0, 1]; None when the ground truth has no copied segment."""
    if not any(q.segments for q in truth):
        return None
    precision, recall, _ = vsc_precision_recall(truth, predictions)
    gained = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(precision * gained))
