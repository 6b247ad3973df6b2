"""VCSL segment precision, recall and F1 exactly as the VCSL benchmark computes them
(ant-research/VCSL `vcsl/metric.py` and `run_video_eval.py`). Part of the evaluate stage.

VCSL scores labelled (query video, reference video) pairs, one at a time: for a pair, with its
predicted boxes and ground-truth boxes (query interval x reference interval, seconds), precision
and recall are what `vidtrace.evaluate.segments.vcsl_query` computes for one query whose boxes all
share one reference (per axis, sum over predicted boxes of the union of their intersections with
the ground-truth boxes they overlap, over the summed predicted lengths; product of the axes;
recall the same way round; no predictions and no truth P = R = 1, predictions without truth
P = 0, R = 1, truth without predictions P = 1, R = 0). VCSL divides by length + 1e-6; here a
zero length gives 0, the difference is below 1e-6 relative.

Aggregation: precision and recall are averaged over the pairs of each query-set group (VCSL's
`split_meta_pairs.json`), then over the groups (macro), and F1 = 2PR / (P + R) of the two means.
Only labelled pairs are scored: predictions on other references do not count, since VCSL measures
localisation within known copied pairs. Without a group file the pairs are grouped by query.

`vidtrace.evaluate.segments.vcsl_scores` is vidtrace's per-query adaptation for benchmarks whose
queries copy several references; this module is the published definition.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.evaluate.segments import f1_score, vcsl_query
from vidtrace.types import Match

Pair = tuple[str, str]


def _segments(boxes: np.ndarray) -> list[Match]:
    """Rows [query_start, query_end, ref_start, ref_end] as segments of one reference."""
    return [Match("", float(r[0]), float(r[1]), float(r[2]), float(r[3]), 1.0)
            for r in np.asarray(boxes, dtype=np.float64).reshape(-1, 4)]


def vcsl_pair(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """VCSL (precision, recall) of one pair: predicted and ground-truth boxes as float (n, 4)
    and (m, 4) rows [query_start, query_end, ref_start, ref_end], seconds."""
    return vcsl_query(_segments(truth), _segments(predicted))


@dataclass(frozen=True)
class VcslResult:
    """VCSL figures: macro precision and recall over groups, F1 of the two, how many labelled
    pairs and groups were scored and how many labelled pairs no group holds (left out)."""

    precision: float | None
    recall: float | None
    f1: float | None
    pairs: int
    groups: int
    ungrouped_pairs: int

    def to_json(self) -> dict[str, float | int | None]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "pairs": self.pairs, "groups": self.groups,
                "ungrouped_pairs": self.ungrouped_pairs}


def vcsl_evaluate(truth: Mapping[Pair, np.ndarray], predicted: Mapping[Pair, np.ndarray],
                  groups: Mapping[str, Sequence[Pair]] | None = None) -> VcslResult:
    """Score `predicted` boxes per pair against the labelled pairs `truth` (both as rows
    [query_start, query_end, ref_start, ref_end]). `groups`: query-set name -> its pairs
    (members not in `truth` are ignored, empty groups dropped); None groups pairs by query."""
    empty = np.zeros((0, 4))
    per_pair = {pair: vcsl_pair(predicted.get(pair, empty), boxes)
                for pair, boxes in truth.items()}
    if groups is None:
        by_query: dict[str, list[Pair]] = {}
        for pair in per_pair:
            by_query.setdefault(pair[0], []).append(pair)
        groups = by_query
    means = []
    grouped: set[Pair] = set()
    for members in groups.values():
        scored = [per_pair[p] for p in members if p in per_pair]
        grouped.update(p for p in members if p in per_pair)
        if scored:
            means.append(np.mean(np.array(scored, dtype=np.float64), axis=0))
    if not means:
        return VcslResult(None, None, None, 0, 0, len(per_pair))
    precision, recall = (float(v) for v in np.mean(means, axis=0))
    return VcslResult(precision, recall, f1_score(precision, recall), len(grouped),
                      len(means), len(per_pair) - len(grouped))
