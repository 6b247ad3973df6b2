"""Calibration of the score threshold that rejects non-copies (docs/strategies.md).

The threshold is chosen on a calibration split, never on the split that is reported: the
queries are matched with no threshold, then every threshold of a grid is tried by dropping the
predictions scoring below it. The threshold swept is the one a long segment needs; a segment of
few matched frames needs more, up to a fixed `short` (`vidtrace.types.Threshold`; docs/align.md,
"The threshold"), which the sweep keeps (so a chance line of a few frames stays out whatever
the calibration split holds). `vidtrace calibrate` and the benchmarks sweep with `min_frames` =
`min_hits`, as if every frame were independent: the most permissive fall, whose F1 curve a
calibration split bounds on both sides. Queries apply the stricter fall of
`QuerySettings.threshold` (from 3 x `min_hits` frames), which keeps no segment the sweep's rule
would not. The one chosen has the best competition F1 at `tolerance` among
those whose false-positive rate on negative queries is at most `max_fpr`; thresholds within
`TIE_F1` of that F1 form a plateau and its median is taken, so the choice does not sit on the
edge of a lucky step.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidtrace.evaluate.competition import competition_f1, false_positive_rate
from vidtrace.evaluate.pairing import Predictions
from vidtrace.types import QueryTruth, Threshold

GRID = np.round(np.arange(0.10, 0.9001, 0.01), 2)
MAX_FPR = 0.01
TIE_F1 = 0.002


def filter_predictions(predictions: Predictions, threshold: float | Threshold) -> Predictions:
    """Predictions with every match that `threshold` does not keep dropped (a number: one flat
    threshold; failed queries kept). A sound-only match (no "video" in its evidence) is kept,
    as the matcher keeps it: its score is the sound's confidence, which no picture threshold
    applies to (match/fusion.py)."""
    rule = threshold if isinstance(threshold, Threshold) else Threshold(threshold)
    return {name: None if ms is None else [m for m in ms if "video" not in m.evidence
                                           or rule.keeps(m.score, m.frames)]
            for name, ms in predictions.items()}


@dataclass(frozen=True)
class Calibration:
    """The chosen threshold (a long segment's), its F1 and FPR on the calibration split, and
    the whole curve as (threshold, F1, FPR) rows; `short` and `min_frames` as swept with."""

    threshold: float
    f1: float
    fpr: float
    curve: list[tuple[float, float, float]]
    short: float = -math.inf
    min_frames: int = 3

    @property
    def rule(self) -> Threshold:
        """The rule the sweep applied at the chosen threshold (queries apply
        `QuerySettings.threshold`, whose fall starts later)."""
        return Threshold(self.threshold, self.short, self.min_frames)

    def to_json(self) -> dict[str, object]:
        return {"threshold": self.threshold,
                "short_threshold": self.short if math.isfinite(self.short) else None,
                "min_frames": self.min_frames, "f1": round(self.f1, 4), "fpr": round(self.fpr, 4),
                "max_fpr": MAX_FPR, "tolerance_s": 3.0,
                "curve": [[t, round(f, 4), round(r, 4)] for t, f, r in self.curve]}


def calibrate_threshold(truth: Sequence[QueryTruth], predictions: Predictions,
                        tolerance: float = 3.0, max_fpr: float = MAX_FPR,
                        grid: Sequence[float] = tuple(GRID.tolist()),
                        short: float = -math.inf, min_frames: int = 3) -> Calibration:
    """The threshold for `predictions` (made with no threshold) on calibration queries
    `truth`, a segment of `min_frames` matched frames needing at least `short` (default none:
    one flat threshold); see the module docstring for the rule. When no threshold of the grid
    keeps the FPR within `max_fpr`, the lowest one reaching the smallest FPR is taken."""
    curve: list[tuple[float, float, float]] = []
    for t in grid:
        kept = filter_predictions(predictions, Threshold(float(t), short, min_frames))
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
    return Calibration(chosen[0], chosen[1], chosen[2], curve, short, min_frames)
