"""Calibration of the score threshold that rejects non-copies (docs/strategies.md).

The threshold is chosen on a calibration split, never on the split that is reported: the
queries are matched with no threshold, then every threshold of a grid is tried by dropping the
predictions scoring below it. The one chosen has the best competition F1 at `tolerance` among
those whose false-positive rate on negative queries is at most `max_fpr`; thresholds within
`TIE_F1` of that F1 form a plateau and its median is taken, so the choice does not sit on the
edge of a lucky step.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.evaluate.competition import competition_f1, false_positive_rate
from vidtrace.evaluate.pairing import Predictions
from vidtrace.types import QueryTruth

GRID = np.round(np.arange(0.10, 0.9001, 0.01), 2)
MAX_FPR = 0.01
TIE_F1 = 0.002


def filter_predictions(predictions: Predictions, threshold: float) -> Predictions:
    """Predictions with every match scoring below `threshold` dropped (failed queries kept)."""
    return {name: None if ms is None else [m for m in ms if m.score >= threshold]
            for name, ms in predictions.items()}


@dataclass(frozen=True)
class Calibration:
    """The chosen threshold, its F1 and FPR on the calibration split, and the whole curve as
    (threshold, F1, FPR) rows."""

    threshold: float
    f1: float
    fpr: float
    curve: list[tuple[float, float, float]]

    def to_json(self) -> dict[str, object]:
        return {"threshold": self.threshold, "f1": round(self.f1, 4), "fpr": round(self.fpr, 4),
                "max_fpr": MAX_FPR, "tolerance_s": 3.0,
                "curve": [[t, round(f, 4), round(r, 4)] for t, f, r in self.curve]}


def calibrate_threshold(truth: Sequence[QueryTruth], predictions: Predictions,
                        tolerance: float = 3.0, max_fpr: float = MAX_FPR,
                        grid: Sequence[float] = tuple(GRID.tolist())) -> Calibration:
    """The threshold for `predictions` (made with no threshold) on calibration queries
    `truth`; see the module docstring for the rule. When no threshold of the grid keeps the
    FPR within `max_fpr`, the lowest one reaching the smallest FPR is taken."""
    curve: list[tuple[float, float, float]] = []
    for t in grid:
        kept = filter_predictions(predictions, float(t))
        f1 = competition_f1(truth, kept, tolerance).f1 or 0.0
        fpr = false_positive_rate(truth, kept) or 0.0
        curve.append((float(t), float(f1), float(fpr)))
    allowed = [row for row in curve if row[2] <= max_fpr + 1e-12]
    if not allowed:
        lowest = min(r[2] for r in curve)
        allowed = [next(r for r in curve if r[2] == lowest)]
    best = max(r[1] for r in allowed)
    plateau = [r for r in allowed if r[1] >= best - TIE_F1]
    chosen = plateau[(len(plateau) - 1) // 2]
    return Calibration(chosen[0], chosen[1], chosen[2], curve)
