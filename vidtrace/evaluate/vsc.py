"""Segment-level micro average precision in the manner of the VSC 2022 matching track. Part of the
evaluate stage.

What this module computes, exactly. Every predicted match of every query is a box (query interval
x reference interval, seconds) and so is every ground-truth segment. All predictions of all
queries are pooled and ranked by score, descending (ties keep input order: queries in
ground-truth order, matches in list order). Going down the ranking, prediction k has

- gain(k): the area of ground truth it newly covers, i.e. the area of the union of the
  ground-truth boxes of the same (query, reference id) inside the prediction's box that no
  higher-ranked prediction already covered (computed exactly by coordinate compression);
- recall(k) = covered ground-truth area so far / total ground-truth area (the area of the union
  of each (query, reference) pair's ground-truth boxes, summed over pairs);
- precision(k) = covered ground-truth area so far / summed area of the predictions ranked 1..k
  (predicted boxes are summed, not merged, so a duplicate prediction lowers precision);

and AP = sum over k of precision(k) x (recall(k) - recall(k-1)), recall(0) = 0. Predictions on a
wrong reference or on a negative query add predicted area and no gain. AP is None when there is
no ground-truth area.

Relation to VSC 2022. The VSC 2022 matching track scores pooled predictions with a micro AP in
which precision and recall are measured on the extent of the matched segments rather than by
counting hits, and this module follows that definition as it was specified to us (area-based
precision and recall). Not verified against the official vsc2022 code: our recollection is that
the official metric measures coverage separately on the query and the reference axes (1-D
lengths, as VCSL does) and combines the two axes by a geometric mean instead of using 2-D areas,
and its handling of tied scores is not known to us. Figures from this module should therefore not
be compared with the published VSC 2022 leaderboard numbers.
"""

from collections.abc import Sequence

import numpy as np

from vidtrace.evaluate.pairing import Predictions, paired
from vidtrace.evaluate.segments import boxes
from vidtrace.types import QueryTruth


class BoxCoverage:
    """Area of a fixed set of ground-truth boxes covered by a growing set of other boxes, exact,
    on the grid cut by every box edge of one (query, reference) pair.

    ground_truth, others: float64 (n, 4) and (m, 4) rows [query_start, query_end, ref_start,
    ref_end], seconds; `others` are the boxes that will be passed to `add` (their edges must be
    part of the grid). Areas are in seconds squared.
    """

    def __init__(self, ground_truth: np.ndarray, others: np.ndarray) -> None:
        both = np.concatenate([ground_truth, others]).reshape(-1, 4)
        self._xs = np.unique(both[:, :2])
        self._ys = np.unique(both[:, 2:])
        self._cell_area = np.outer(np.diff(self._xs), np.diff(self._ys))
        self._truth = np.zeros(self._cell_area.shape, dtype=bool)
        for box in ground_truth:
            self._truth[self._cells(box)] = True
        self._covered = np.zeros_like(self._truth)
        self.truth_area = float(self._cell_area[self._truth].sum())

    def _cells(self, box: np.ndarray) -> tuple[slice, slice]:
        x0, x1 = np.searchsorted(self._xs, box[:2])
        y0, y1 = np.searchsorted(self._ys, box[2:])
        return slice(int(x0), int(x1)), slice(int(y0), int(y1))

    def add(self, box: np.ndarray) -> float:
        """Cover `box` (4,); return the ground-truth area it newly covers."""
        cells = self._cells(box)
        new = self._truth[cells] & ~self._covered[cells]
        self._covered[cells] |= new
        return float(self._cell_area[cells][new].sum())


def _ranked_boxes(truth: Sequence[QueryTruth], predictions: Predictions) -> tuple[
        list[tuple[int, str]], np.ndarray, np.ndarray, dict[tuple[int, str], BoxCoverage]]:
    """Predictions ranked by score: their (query index, ref id) keys, boxes (n, 4), scores (n,),
    and a coverage tracker per (query index, ref id) that has ground truth."""
    keys: list[tuple[int, str]] = []
    rows: list[np.ndarray] = []
    scores: list[float] = []
    coverage: dict[tuple[int, str], BoxCoverage] = {}
    for qi, (q, matches) in enumerate(paired(truth, predictions)):
        p_refs, p_box = boxes(matches)
        g_refs, g_box = boxes(q.segments)
        for ref in set(g_refs):
            coverage[(qi, ref)] = BoxCoverage(g_box[g_refs == ref], p_box[p_refs == ref])
        keys.extend((qi, ref) for ref in p_refs)
        rows.append(p_box)
        scores.extend(m.score for m in matches)
    order = np.argsort(-np.array(scores, dtype=np.float64), kind="stable")
    all_boxes = np.concatenate(rows).reshape(-1, 4) if rows else np.zeros((0, 4))
    return [keys[i] for i in order], all_boxes[order], np.array(scores)[order], coverage


def vsc_precision_recall(truth: Sequence[QueryTruth], predictions: Predictions) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """The ranked curve behind `vsc_micro_ap`: precision (n,), recall (n,) and score (n,) after
    each of the n pooled predictions, ranked by score descending (float64). Recall is all zeros
    when there is no ground-truth area."""
    keys, ranked, scores, coverage = _ranked_boxes(truth, predictions)
    total_truth = sum(c.truth_area for c in coverage.values())
    areas = (ranked[:, 1] - ranked[:, 0]) * (ranked[:, 3] - ranked[:, 2])
    gains = np.array([coverage[key].add(box) if key in coverage else 0.0
                      for key, box in zip(keys, ranked, strict=True)], dtype=np.float64)
    covered = np.cumsum(gains)
    predicted = np.cumsum(areas)
    safe = np.where(predicted > 0, predicted, 1.0)
    precision = np.where(predicted > 0, covered / safe, 0.0)
    recall = covered / total_truth if total_truth > 0 else np.zeros_like(covered)
    return precision, recall, scores.astype(np.float64)


def vsc_micro_ap(truth: Sequence[QueryTruth], predictions: Predictions) -> float | None:
    """Segment-level micro AP over every query in `truth` (see the module docstring), in [0, 1];
    None when the ground truth has no copied segment."""
    if not any(q.segments for q in truth):
        return None
    precision, recall, _ = vsc_precision_recall(truth, predictions)
    gained = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(precision * gained))
