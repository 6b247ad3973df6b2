"""`vidtrace eval` on the field's formats: score predictions against a ground truth of any format
vidtrace reads, with the figures the benchmark behind that format publishes. Part of the
evaluate stage, above the pure metrics.

- vidtrace ground truth and `vidtrace query --json` predictions: exactly `evaluate_files`.
- Any other combination: queries are paired by id (file name without suffix); the usual report
  (`vidtrace.evaluate.report.evaluate`) when the ground truth has segments, plus "official":
  - VSC 2022 segment CSV: the matching track's segment micro AP with every predicted row pooled,
    as the challenge scored a predictions CSV (a query the ground truth does not list counts as
    a query without copies), and its pairwise micro AP (`pairs`);
  - VSC 2022 pair CSV: the pairwise micro AP of the predictions' best score per pair;
  - VCSL labels: VCSL precision, recall and F1 over the labelled pairs (`vcsl`).
- Descriptor .npz files (`evaluate_descriptor_files`): the descriptor-track micro AP.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vidtrace.errors import VidtraceError
from vidtrace.evaluate.pairs import (
    DescriptorProtocol,
    descriptor_micro_ap,
    pair_micro_ap,
    pair_scores_from_matches,
)
from vidtrace.evaluate.report import REPORT_FORMAT, REPORT_VERSION, evaluate
from vidtrace.evaluate.vcsl import vcsl_evaluate
from vidtrace.evaluate.vsc import vsc_micro_ap
from vidtrace.formats.descriptors import read_vsc_descriptors
from vidtrace.formats.detect import PredictionFormat, read_any_ground_truth, read_any_predictions
from vidtrace.formats.truth import LoadedTruth, TruthFormat, keyed_by_id
from vidtrace.formats.vcsl import read_vcsl_groups, vcsl_boxes_from_matches
from vidtrace.types import Match, QueryTruth

Predictions = Mapping[str, Sequence[Match] | None]


def _truth_json(loaded: LoadedTruth) -> dict[str, Any]:
    return {"path": str(loaded.path), "format": loaded.format.value,
            "queries": len(loaded.query_ids), "pairs": len(loaded.pairs),
            "skipped_boxes": loaded.skipped}


def vsc_matching_official(truth: Sequence[QueryTruth], predictions: Predictions,
                          pairs: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """The VSC 2022 matching-track figures for truth and predictions keyed by query id: segment
    micro AP over every predicted row (queries absent from `truth` added as negatives) and the
    pairwise micro AP."""
    known = {q.query for q in truth}
    extra = [QueryTruth(qid, 0.0, ()) for qid in predictions if qid not in known]
    return {"segment_ap": vsc_micro_ap([*truth, *extra], predictions),
            "pairwise_ap": pair_micro_ap(pairs, pair_scores_from_matches(predictions)),
            "queries_not_in_truth": len(extra)}


def official_figures(loaded: LoadedTruth, predictions: Predictions,
                     vcsl_groups: str | Path | None = None) -> dict[str, Any]:
    """The published figures of `loaded`'s benchmark for `predictions` keyed by query id."""
    if loaded.format is TruthFormat.VSC_MATCHING:
        return {"vsc_matching": vsc_matching_official(loaded.queries, predictions,
                                                      loaded.pairs)}
    if loaded.format is TruthFormat.VSC_PAIRS:
        return {"vsc_pairs": {"pairwise_ap": pair_micro_ap(
            loaded.pairs, pair_scores_from_matches(predictions))}}
    if loaded.format is TruthFormat.VCSL and loaded.pair_boxes is not None:
        groups = read_vcsl_groups(vcsl_groups) if vcsl_groups is not None else None
        boxes = vcsl_boxes_from_matches(predictions)
        return {"vcsl": vcsl_evaluate(loaded.pair_boxes, boxes, groups).to_json()}
    return {}


def evaluate_any(gt_path: str | Path, pred_path: str | Path,
                 tolerances: Sequence[float] = (3.0, 5.0),
                 query_metadata: str | Path | None = None,
                 vcsl_pairs: str | Path | None = None,
                 vcsl_groups: str | Path | None = None) -> dict[str, Any]:
    """Score a predictions file against a ground-truth file, formats detected from the files
    (module docstring). Raises VidtraceError naming a file that is not a format vidtrace reads."""
    loaded = read_any_ground_truth(gt_path, query_metadata, vcsl_pairs)
    pred_format, predictions = read_any_predictions(pred_path)
    if loaded.format is TruthFormat.VIDTRACE and pred_format is PredictionFormat.VIDTRACE:
        return evaluate(list(loaded.queries), predictions, tolerances)
    if vcsl_groups is not None and loaded.format is not TruthFormat.VCSL:
        raise VidtraceError(f"{gt_path}: a VCSL group file goes with VCSL labels, this is "
                            f"{loaded.format.value}")
    truth, by_id = keyed_by_id(loaded.queries, predictions)
    doc: dict[str, Any] = (evaluate(truth, by_id, tolerances) if loaded.has_segments else
                           {"format": REPORT_FORMAT, "version": REPORT_VERSION})
    doc["ground_truth"] = _truth_json(loaded)
    doc["predictions_format"] = pred_format.value
    doc["official"] = official_figures(loaded, by_id, vcsl_groups)
    return doc


def evaluate_descriptor_files(gt_path: str | Path, query_npz: str | Path, ref_npz: str | Path,
                              protocol: DescriptorProtocol = DescriptorProtocol.VSC2022
                              ) -> dict[str, Any]:
    """The VSC 2022 descriptor-track micro AP of two descriptor .npz files against the pairs of
    a ground-truth file of any format."""
    loaded = read_any_ground_truth(gt_path)
    queries, references = read_vsc_descriptors(query_npz), read_vsc_descriptors(ref_npz)
    result = descriptor_micro_ap(loaded.pairs, queries, references, protocol)
    return {"format": REPORT_FORMAT, "version": REPORT_VERSION,
            "ground_truth": _truth_json(loaded),
            "official": {"vsc_descriptor": {**result.to_json(), "query_videos": len(queries),
                                            "reference_videos": len(references)}}}


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_official(doc: dict[str, Any]) -> str:
    """The official figures of an `evaluate_any` / `evaluate_descriptor_files` report as lines
    of text ("" when there are none)."""
    lines = []
    gt = doc.get("ground_truth")
    if gt:
        lines.append(f"ground truth {gt['path']}: {gt['format']}, {gt['queries']} queries, "
                     f"{gt['pairs']} copied pairs"
                     + (f", {gt['skipped_boxes']} empty boxes left out" if gt["skipped_boxes"]
                        else ""))
    official = doc.get("official", {})
    if "vsc_matching" in official:
        v = official["vsc_matching"]
        lines.append(f"VSC 2022 matching track: segment uAP {_cell(v['segment_ap'])}, pairwise "
                     f"uAP {_cell(v['pairwise_ap'])} ({v['queries_not_in_truth']} predicted "
                     "queries not in the ground truth counted as negatives)")
    if "vsc_pairs" in official:
        lines.append("VSC 2022 pairs: pairwise uAP "
                     f"{_cell(official['vsc_pairs']['pairwise_ap'])} (best match score per pair)")
    if "vcsl" in official:
        v = official["vcsl"]
        lines.append(f"VCSL: precision {_cell(v['precision'])}, recall {_cell(v['recall'])}, "
                     f"F1 {_cell(v['f1'])} over {v['pairs']} labelled pairs in {v['groups']} "
                     "groups" + (f" ({v['ungrouped_pairs']} pairs in no group left out)"
                                 if v["ungrouped_pairs"] else ""))
    if "vsc_descriptor" in official:
        v = official["vsc_descriptor"]
        lines.append(f"VSC 2022 descriptor track: uAP {_cell(v['micro_ap'])} ({v['protocol']} "
                     f"protocol: {v['global_k']} frame similarities kept, {v['pairs_scored']} "
                     f"pairs scored; {v['query_videos']} query and {v['reference_videos']} "
                     "reference videos)")
    return "".join(line + "\n" for line in lines)
