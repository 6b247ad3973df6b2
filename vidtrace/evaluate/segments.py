"""Segment-level precision, recall and F1 as the VCSL benchmark defines them, and the box geometry
they need. Part of the evaluate stage.

A copied segment is a box in the (query time x reference time) plane: query interval x reference
interval, in seconds. For one query, with predicted boxes P and ground-truth boxes G:

- two boxes overlap when their intervals intersect with positive length on BOTH axes;
- on each axis separately (query, reference), precision = sum over predicted boxes p of the length
  of the union of p's interval intersections with the ground-truth boxes that overlap p, divided
  by the sum of the predicted boxes' interval lengths on that axis; the query's precision is the
  product of the two axes' precisions;
- recall is the same with the roles swapped (sum over ground-truth boxes, divided by the sum of
  ground-truth lengths), product over the axes;
- F1 = 2PR / (P + R), 0 when P = R = 0;
- no prediction and no truth: P = R = 1; predictions without truth: P = 0, R = 1; truth without
  predictions: P = 1, R = 0.

Over a set of queries, P and R are averaged (macro) and the reported F1 is the harmonic mean of
the two averages, as VCSL reports it; the mean of the per-query F1 values is reported beside it.

Adaptation: VCSL scores one (query video, reference video) pair at a time. Here a query may copy
several references, so the per-query figure is computed over all boxes of the query while a
predicted box is only ever intersected with ground-truth boxes of the same reference id; a box on
a wrong reference therefore counts in the denominators and never in the numerators.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.evaluate.pairing import Predictions, Segment, paired
from vidtrace.types import QueryTruth


def boxes(items: Sequence[Segment]) -> tuple[np.ndarray, np.ndarray]:
    """Reference ids as an object array (n,) and boxes as float64 (n, 4) rows
    [query_start, query_end, ref_start, ref_end], seconds."""
    refs = np.array([s.ref_id for s in items], dtype=object)
    arr = np.array([[s.query_start, s.query_end, s.ref_start, s.ref_end] for s in items],
                   dtype=np.float64).reshape(len(items), 4)
    return refs, arr


def union_length(starts: np.ndarray, ends: np.ndarray) -> float:
    """Total length covered by the intervals [starts[i], ends[i]] (seconds), overlaps once."""
    if len(starts) == 0:
        return 0.0
    order = np.argsort(starts, kind="stable")
    total, cur_lo, cur_hi = 0.0, float(starts[order[0]]), float(ends[order[0]])
    for i in order[1:]:
        lo, hi = float(starts[i]), float(ends[i])
        if lo > cur_hi:
            total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    return total + cur_hi - cur_lo


def box_intersections(a: np.ndarray, b: np.ndarray, same_ref: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Intersections of every box of `a` (n, 4) with every box of `b` (m, 4).

    Returns lo, hi: float64 (n, m, 2), the intersection's start and end on the query axis
    ([..., 0]) and the reference axis ([..., 1]); and overlap: bool (n, m), True where the two
    boxes have the same reference (`same_ref`, bool (n, m)) and intersect with positive length on
    both axes.
    """
    lo = np.maximum(a[:, None, [0, 2]], b[None, :, [0, 2]])
    hi = np.minimum(a[:, None, [1, 3]], b[None, :, [1, 3]])
    overlap = same_ref & np.all(hi > lo, axis=2)
    return lo, hi, overlap


def _axis_share(lo: np.ndarray, hi: np.ndarray, overlap: np.ndarray, own: np.ndarray,
                axis: int) -> float:
    """Sum over rows i of the union of row i's overlapping intersections on `axis`, divided by
    the total length of the rows' own boxes `own` (n, 4) on that axis (0 if that is 0)."""
    covered = sum(union_length(lo[i, overlap[i], axis], hi[i, overlap[i], axis])
                  for i in range(len(own)))
    length = float(np.sum(own[:, 2 * axis + 1] - own[:, 2 * axis]))
    return covered / length if length > 0 else 0.0


def vcsl_query(truth_segments: Sequence[Segment], matches: Sequence[Segment]) -> tuple[
        float, float]:
    """VCSL (precision, recall) of one query: `truth_segments` its ground truth, `matches` its
    predictions (boxes only meet boxes of the same reference id)."""
    if not matches:
        return 1.0, (1.0 if not truth_segments else 0.0)
    if not truth_segments:
        return 0.0, 1.0
    p_refs, p_box = boxes(matches)
    g_refs, g_box = boxes(truth_segments)
    lo, hi, overlap = box_intersections(p_box, g_box, p_refs[:, None] == g_refs[None, :])
    precision = _axis_share(lo, hi, overlap, p_box, 0) * _axis_share(lo, hi, overlap, p_box, 1)
    lo_t, hi_t, overlap_t = lo.transpose(1, 0, 2), hi.transpose(1, 0, 2), overlap.T
    recall = (_axis_share(lo_t, hi_t, overlap_t, g_box, 0)
              * _axis_share(lo_t, hi_t, overlap_t, g_box, 1))
    return precision, recall


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall, 0 when both are 0."""
    s = precision + recall
    return 2 * precision * recall / s if s > 0 else 0.0


@dataclass(frozen=True)
class VcslScores:
    """VCSL figures over a set of queries.

    precision, recall: means of the per-query values; f1: harmonic mean of those two means (the
    figure VCSL reports); mean_query_f1: mean of the per-query F1 values. All None when
    `queries` is 0.
    """

    precision: float | None
    recall: float | None
    f1: float | None
    mean_query_f1: float | None
    queries: int

    def to_json(self) -> dict[str, float | int | None]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "mean_query_f1": self.mean_query_f1, "queries": self.queries}


def vcsl_scores(truth: Sequence[QueryTruth], predictions: Predictions) -> VcslScores:
    """VCSL precision, recall and F1 over every query in `truth` (negatives included: a negative
    without predictions scores P = R = 1, one with predictions P = 0, R = 1)."""
    per_query = [vcsl_query(q.segments, matches) for q, matches in paired(truth, predictions)]
    if not per_query:
        return VcslScores(None, None, None, None, 0)
    pr = np.array(per_query, dtype=np.float64)
    precision, recall = float(pr[:, 0].mean()), float(pr[:, 1].mean())
    mean_f1 = float(np.mean([f1_score(p, r) for p, r in per_query]))
    return VcslScores(precision, recall, f1_score(precision, recall), mean_f1, len(per_query))
