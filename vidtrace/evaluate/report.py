"""The evaluation report: every metric of the evaluate stage overall and per edit kind, as a
JSON-serialisable dict and as a plain-text table. `vidtrace eval` prints it.

Overall figures use every query: predictions on negative queries count as competition false
positives, enter the VCSL averages (P = 0, R = 1) and the pooled VSC micro AP (predicted length
on both axes that covers no ground truth, lowering precision).
Per edit kind (`edit["kind"]`, or "none" for a query without edits) the figures are computed on
the positive queries having that kind, and the negatives having it only enter the false-positive
rate, so an edit row measures how well the copies made with that edit are found.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vidtrace.errors import ConfigError
from vidtrace.evaluate.competition import (
    check_tolerance,
    competition_f1,
    false_positive_rate,
    topk_accuracy,
)
from vidtrace.evaluate.pairing import Predictions, paired, query_name, unknown_queries
from vidtrace.evaluate.segments import vcsl_scores
from vidtrace.evaluate.vsc import vsc_micro_ap
from vidtrace.groundtruth import read_ground_truth, read_predictions
from vidtrace.types import QueryTruth

REPORT_FORMAT = "vidtrace-evaluation"
REPORT_VERSION = 1
NO_EDIT = "none"


def tolerance_key(tolerance: float) -> str:
    """The report key of an F1 tolerance in seconds: 3.0 -> "3", 2.5 -> "2.5"."""
    return f"{tolerance:g}"


def edit_kinds(q: QueryTruth) -> set[str]:
    """The edit kinds applied to a query, {"none"} when it has no edits."""
    kinds = {str(e.get("kind", "unknown")) for e in q.edits}
    return kinds or {NO_EDIT}


def _counts(truth: Sequence[QueryTruth], predictions: Predictions) -> dict[str, int]:
    pairs = paired(truth, predictions)
    positives = sum(not q.is_negative for q, _ in pairs)
    return {
        "queries": len(pairs),
        "positives": positives,
        "negatives": len(pairs) - positives,
        "gt_segments": sum(len(q.segments) for q, _ in pairs),
        "predictions": sum(len(m) for _, m in pairs),
    }


def _metrics(scored: Sequence[QueryTruth], negatives: Sequence[QueryTruth],
             predictions: Predictions, tolerances: Sequence[float]) -> dict[str, Any]:
    """Figures of one group: F1, top-k, VCSL and AP on `scored`; FPR on `negatives`."""
    topk = topk_accuracy(scored, predictions, (1, 5))
    return {
        "competition": {tolerance_key(t): competition_f1(scored, predictions, t).to_json()
                        for t in tolerances},
        "top1": topk[1],
        "top5": topk[5],
        "fpr": false_positive_rate(negatives, predictions),
        "vcsl": vcsl_scores(scored, predictions).to_json(),
        "vsc_ap": vsc_micro_ap(scored, predictions),
    }


def _check_tolerances(tolerances: Sequence[float]) -> list[float]:
    values = [float(t) for t in tolerances]
    if not values:
        raise ConfigError("evaluation needs at least one F1 tolerance in seconds")
    for t in values:
        check_tolerance(t)
    if len({tolerance_key(t) for t in values}) != len(values):
        raise ConfigError(f"F1 tolerances must be distinct, got {values}")
    return values


def evaluate(truth: Sequence[QueryTruth], predictions: Predictions,
             tolerances: Sequence[float] = (3.0, 5.0)) -> dict[str, Any]:
    """Score `predictions` (matches per query file name) against `truth`.

    Returns {"format", "version", "tolerances_s", "counts", "problems", "overall", "by_edit"};
    see `format_table` for the figures each group holds. Undefined figures (e.g. FPR without
    negatives) are None. "problems" names the queries that failed or have no prediction (both
    scored as misses) and the predictions of queries the ground truth does not list (not
    scored).
    """
    tols = _check_tolerances(tolerances)
    negatives = [q for q in truth if q.is_negative]
    overall = {"counts": _counts(truth, predictions),
               **_metrics(truth, negatives, predictions, tols)}
    failed = sorted(query_name(q) for q in truth if query_name(q) in predictions
                    and predictions[query_name(q)] is None)
    missing = sorted(query_name(q) for q in truth if query_name(q) not in predictions)
    unknown = unknown_queries(truth, predictions)
    by_edit: dict[str, Any] = {}
    kinds = sorted({k for q in truth for k in edit_kinds(q)}, key=lambda k: (k == NO_EDIT, k))
    for kind in kinds:
        group = [q for q in truth if kind in edit_kinds(q)]
        positives = [q for q in group if not q.is_negative]
        group_negatives = [q for q in group if q.is_negative]
        by_edit[kind] = {"counts": _counts(group, predictions),
                         **_metrics(positives, group_negatives, predictions, tols)}
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "tolerances_s": tols,
        "counts": {**overall["counts"], "failed_queries": len(failed),
                   "missing_queries": len(missing), "unknown_queries": len(unknown)},
        # queries whose prediction is an error, or absent, are scored as finding nothing;
        # predictions for queries the ground truth does not list are not scored
        "problems": {"failed": failed, "missing": missing, "unknown": unknown},
        "overall": overall,
        "by_edit": by_edit,
    }


def evaluate_files(gt_path: str | Path, pred_path: str | Path,
                   tolerances: Sequence[float] = (3.0, 5.0)) -> dict[str, Any]:
    """`evaluate` on a ground-truth file and a `vidtrace query --json` predictions file
    (formats in `vidtrace.groundtruth`); raises VidtraceError naming a bad file."""
    return evaluate(read_ground_truth(gt_path), read_predictions(pred_path), tolerances)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(name: str, group: dict[str, Any], keys: Sequence[str]) -> list[str]:
    f1s = [_cell(group["competition"][k]["f1"]) for k in keys]
    return [name, str(group["counts"]["queries"]), *f1s, _cell(group["top1"]),
            _cell(group["top5"]), _cell(group["fpr"]), _cell(group["vcsl"]["f1"]),
            _cell(group["vsc_ap"])]


def format_table(report: dict[str, Any]) -> str:
    """A plain-text table of an `evaluate` report: one row overall and one per edit kind, with
    the query count n, competition F1 at each tolerance, top-1 and top-5 accuracy, FPR on
    negatives, VCSL F1 and VSC-style micro AP ("-" where undefined)."""
    keys = [tolerance_key(t) for t in report["tolerances_s"]]
    header = ["group", "n", *(f"F1@{k}s" for k in keys), "top-1", "top-5", "FPR", "VCSL F1",
              "AP"]
    rows = [_row("overall", report["overall"], keys)]
    rows += [_row(f"edit: {kind}", group, keys) for kind, group in report["by_edit"].items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, line(rows[0]), *(line(r) for r in rows[1:])]) + "\n"
