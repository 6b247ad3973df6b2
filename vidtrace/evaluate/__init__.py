"""Evaluate stage: score predicted copy segments against ground truth.

Metrics: the CCF BDCI 2019 competition F1 at a boundary tolerance (`competition`), top-k
retrieval accuracy and the false-positive rate on negatives (`competition`), VCSL segment-level
precision/recall/F1 (`segments`), the VSC 2022 matching-track segment micro AP (`vsc`), and the
report that gathers them overall and per edit kind (`report`). Pure numpy; no video is decoded
and nothing of the API is imported: the benchmark harness that drives the pipeline is its own
room above it (`vidtrace.bench`).
"""

from vidtrace.evaluate.competition import (
    CopyCounts,
    competition_f1,
    false_positive_rate,
    match_query,
    ranked_references,
    topk_accuracy,
)
from vidtrace.evaluate.pairing import Predictions, query_name
from vidtrace.evaluate.report import evaluate, evaluate_files, format_table
from vidtrace.evaluate.segments import VcslScores, vcsl_query, vcsl_scores
from vidtrace.evaluate.vsc import vsc_micro_ap, vsc_precision_recall

__all__ = [
    "CopyCounts",
    "Predictions",
    "VcslScores",
    "competition_f1",
    "evaluate",
    "evaluate_files",
    "false_positive_rate",
    "format_table",
    "match_query",
    "query_name",
    "ranked_references",
    "topk_accuracy",
    "vcsl_query",
    "vcsl_scores",
    "vsc_micro_ap",
    "vsc_precision_recall",
]
