"""`evaluate_any` on the field's files: VSC 2022 segments and pairs, VCSL labels, descriptor
.npz, vidtrace ground truth with VSC predictions; and vidtrace's matching micro AP against a
plain re-statement of the published VSC 2022 definition on random boxes."""

import json
import math
from collections import defaultdict
from itertools import groupby
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import VidtraceError
from vidtrace.evaluate.report import evaluate
from vidtrace.evaluate.vsc import vsc_micro_ap
from vidtrace.formats.descriptors import write_vsc_descriptors
from vidtrace.formats.official import evaluate_any, evaluate_descriptor_files, format_official
from vidtrace.groundtruth import write_ground_truth
from vidtrace.types import CopySegment, FrameSet, Match, QueryTruth

VSC_HEADER = "query_id,ref_id,query_start,query_end,ref_start,ref_end"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_vsc_matching_pools_predictions_of_queries_the_truth_does_not_list(
        tmp_path: Path) -> None:
    gt = write(tmp_path, "gt.csv", f"{VSC_HEADER}\nQ1,R1,0,10,0,10\n")
    pred = write(tmp_path, "pred.csv", f"{VSC_HEADER},score\nQ1,R1,0,10,0,10,0.5\n"
                                       "Q9,R2,0,10,0,10,0.9\n")
    doc = evaluate_any(gt, pred)
    official = doc["official"]["vsc_matching"]
    # Pooled as the challenge scores a CSV: .9 (Q9, a query without copies): totals (10, 10),
    # intersections 0 -> P 0, R 0; .5: intersections (10, 10), totals (20, 20) -> P 1/2, R 1.
    # Segment uAP = 1/2. Pairwise: (Q9,R2) .9 wrong, (Q1,R1) .5 right -> P 1/2 at R 1 -> 1/2.
    assert official == {"segment_ap": pytest.approx(0.5), "pairwise_ap": pytest.approx(0.5),
                        "queries_not_in_truth": 1}
    # vidtrace's own report scores the queries the truth lists only: Q9 is dropped -> AP 1
    assert doc["overall"]["vsc_ap"] == pytest.approx(1.0)
    assert doc["counts"]["unknown_queries"] == 1
    assert doc["ground_truth"] == {"path": str(gt), "format": "vsc-matching", "queries": 1,
                                   "pairs": 1, "skipped_boxes": 0}
    assert doc["predictions_format"] == "vsc"
    text = format_official(doc)
    assert "VSC 2022 matching track: segment uAP 0.5000, pairwise uAP 0.5000 (1 predicted " \
           "queries not in the ground truth counted as negatives)" in text


def test_vsc_metadata_makes_negatives_count(tmp_path: Path) -> None:
    gt = write(tmp_path, "gt.csv", f"{VSC_HEADER}\nQ1,R1,0,10,0,10\n")
    meta = write(tmp_path, "meta.csv", "video_id,duration_sec\nQ1,30\nQ5,20\n")
    pred = write(tmp_path, "pred.jsonl", json.dumps(
        {"query": "videos/Q5.mp4", "matches": [{"reference": "R1", "query_start": 0,
                                                "query_end": 4, "reference_start": 0,
                                                "reference_end": 4, "score": 0.6}]}) + "\n")
    doc = evaluate_any(gt, pred, query_metadata=meta)
    assert doc["counts"]["negatives"] == 1 and doc["overall"]["fpr"] == 1.0
    assert doc["official"]["vsc_matching"]["queries_not_in_truth"] == 0
    assert doc["official"]["vsc_matching"]["segment_ap"] == 0.0  # Q1 never found


def test_vsc_pair_truth_scores_pairs_only(tmp_path: Path) -> None:
    gt = write(tmp_path, "gt.csv", "query_id,reference_id\nQ1,R1\nQ2,R2\nQ3,\n")
    pred = write(tmp_path, "pred.csv", f"{VSC_HEADER},score\nQ1,R1,0,1,0,1,0.2\n"
                                       "Q1,R1,5,6,5,6,0.9\nQ3,R2,0,1,0,1,0.5\n")
    doc = evaluate_any(gt, pred)
    # best per pair: (Q1,R1) .9 right -> P 1, R 1/2; (Q3,R2) .5 wrong -> no recall gained.
    assert doc["official"] == {"vsc_pairs": {"pairwise_ap": pytest.approx(0.5)}}
    assert "overall" not in doc
    assert format_official(doc).splitlines()[1] == (
        "VSC 2022 pairs: pairwise uAP 0.5000 (best match score per pair)")


def test_vcsl_labels_with_vidtrace_predictions(tmp_path: Path) -> None:
    labels = write(tmp_path, "labels.json", json.dumps({
        "q1-a": [[0, 0, 10, 10]], "q1-b": [[0, 20, 10, 30]], "q2-a": [[0, 0, 4, 4]]}))
    lines = [{"query": "clips/q1.mp4", "matches": [
                 {"reference": "a", "query_start": 0, "query_end": 10, "reference_start": 0,
                  "reference_end": 10, "score": 0.9}]},
             {"query": "clips/q2.webm", "matches": [
                 {"reference": "a", "query_start": 0, "query_end": 4, "reference_start": 0,
                  "reference_end": 4, "score": 0.8},
                 {"reference": "a", "query_start": 10, "query_end": 14, "reference_start": 10,
                  "reference_end": 14, "score": 0.7},
                 {"reference": "c", "query_start": 0, "query_end": 5, "reference_start": 0,
                  "reference_end": 5, "score": 0.6}]}]
    pred = write(tmp_path, "pred.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    # (q1,a) P 1 R 1; (q1,b) P 1 R 0; (q2,a) P 1/4 R 1; (q2,c) not labelled. By query:
    # q1 (1, 1/2), q2 (1/4, 1) -> P 5/8, R 3/4, F1 15/22 (tests/evaluate/test_vcsl.py)
    vcsl = evaluate_any(labels, pred)["official"]["vcsl"]
    assert (vcsl["precision"], vcsl["recall"], vcsl["f1"]) == pytest.approx((5 / 8, 3 / 4,
                                                                             15 / 22))
    groups = write(tmp_path, "split_meta_pairs.json", json.dumps(
        {"test": {"g1": ["q1-a", "q2-a"], "g2": ["q1-b"]}}))
    grouped = evaluate_any(labels, pred, vcsl_groups=groups)["official"]["vcsl"]
    assert grouped["f1"] == pytest.approx(13 / 21) and grouped["groups"] == 2
    split = write(tmp_path, "pair_file_test.csv", "query_id,reference_id\nq2,a\n")
    only = evaluate_any(labels, pred, vcsl_pairs=split)["official"]["vcsl"]
    assert (only["precision"], only["recall"], only["pairs"]) == pytest.approx((0.25, 1.0, 1))


def test_own_truth_with_vsc_predictions_pairs_by_stem(tmp_path: Path) -> None:
    truth = [QueryTruth("queries/q1.mp4", 30.0, (CopySegment("ref", 2, 12, 40, 50),)),
             QueryTruth("queries/q2.mp4", 30.0, ())]
    gt = tmp_path / "gt.json"
    write_ground_truth(gt, truth)
    pred = write(tmp_path, "pred.csv", f"{VSC_HEADER},score\nq1,ref,2.5,12,40.5,50,0.7\n"
                                       "q2,ref,0,3,0,3,0.4\n")
    doc = evaluate_any(gt, pred)
    by_name = {"q1.mp4": [Match("ref", 2.5, 12, 40.5, 50, 0.7)],
               "q2.mp4": [Match("ref", 0, 3, 0, 3, 0.4)]}
    assert doc["overall"] == evaluate(truth, by_name)["overall"]
    assert doc["overall"]["competition"]["3"]["tp"] == 1 and doc["overall"]["fpr"] == 1.0
    assert doc["official"] == {}


def test_own_truth_and_own_predictions_stay_the_plain_report(tmp_path: Path) -> None:
    truth = [QueryTruth("q1.mp4", 30.0, (CopySegment("ref", 2, 12, 40, 50),))]
    gt = tmp_path / "gt.json"
    write_ground_truth(gt, truth)
    pred = write(tmp_path, "p.jsonl", json.dumps({"query": "q1.mp4", "matches": []}) + "\n")
    doc = evaluate_any(gt, pred)
    assert doc == evaluate(truth, {"q1.mp4": []})
    with pytest.raises(VidtraceError, match="a VCSL group file goes with VCSL labels"):
        evaluate_any(write(tmp_path, "gt.csv", f"{VSC_HEADER}\nQ1,R1,0,1,0,1\n"), pred,
                     vcsl_groups=tmp_path / "g.json")


def test_descriptor_files(tmp_path: Path) -> None:
    e1, e2 = [1.0, 0.0], [0.0, 1.0]
    queries = [FrameSet("Q1", np.array([0.0, 1.0]), np.array([e1, e2], np.float32), 2.0),
               FrameSet("Q2", np.array([0.0]), np.array([[0.8, 0.6]], np.float32), 1.0)]
    refs = [FrameSet("R1", np.array([0.0]), np.array([e1], np.float32), 1.0),
            FrameSet("R2", np.array([0.0, 1.0]), np.array([e2, [-1, 0]], np.float32), 2.0)]
    write_vsc_descriptors(tmp_path / "q.npz", queries)
    write_vsc_descriptors(tmp_path / "r.npz", refs)
    gt = write(tmp_path, "gt.csv", "query_id,reference_id\nQ1,R1\nQ2,R2\n")
    doc = evaluate_descriptor_files(gt, tmp_path / "q.npz", tmp_path / "r.npz")
    # the case of tests/evaluate/test_pairs.py::test_descriptor_micro_ap: uAP 1/2
    result = doc["official"]["vsc_descriptor"]
    assert result["micro_ap"] == pytest.approx(0.5)
    assert (result["query_videos"], result["reference_videos"], result["pairs_scored"]) == (
        2, 2, 4)


def published_matching_ap(truth: list[tuple[str, str, tuple]], preds: list[tuple]) -> float:
    """The VSC 2022 matching metric restated from its definition, as plainly as possible:
    truth rows (query, ref, box), predictions (query, ref, box, score); boxes (qs, qe, rs, re)."""
    def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
        merged: list[list[float]] = []
        for lo, hi in sorted(intervals):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return [(lo, hi) for lo, hi in merged]

    def length(intervals: list[tuple[float, float]]) -> float:
        return sum(hi - lo for lo, hi in union(intervals))

    def overlap(a: tuple, b: tuple) -> bool:  # positive area in the (query, ref) plane
        return min(a[1], b[1]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[2], b[2])

    gts: dict[tuple, list] = defaultdict(list)
    for q, r, box in truth:
        gts[(q, r)].append(box)
    axes = ((0, 1), (2, 3))
    gt_len = [sum(length([(b[i], b[j]) for b in boxes]) for boxes in gts.values())
              for i, j in axes]
    seen: dict[tuple, list] = defaultdict(list)
    ap, recall = 0.0, 0.0
    ranked = sorted(preds, key=lambda p: -p[3])
    for _, group in groupby(ranked, key=lambda p: p[3]):
        for q, r, box, _ in group:
            seen[(q, r)].append(box)
        inter, total = [0.0, 0.0], [0.0, 0.0]
        for pair, boxes in seen.items():
            hit = [g for g in gts.get(pair, []) if any(overlap(g, b) for b in boxes)]
            for a, (i, j) in enumerate(axes):
                p_iv, g_iv = [(b[i], b[j]) for b in boxes], [(g[i], g[j]) for g in hit]
                inter[a] += length(p_iv) + length(g_iv) - length(p_iv + g_iv)
                total[a] += length(p_iv)
        new_recall = math.sqrt(inter[0] / gt_len[0] * inter[1] / gt_len[1])
        precision = math.sqrt(inter[0] / total[0] * inter[1] / total[1])
        ap += precision * (new_recall - recall)
        recall = new_recall
    return ap


@pytest.mark.parametrize("seed", range(6))
def test_vidtrace_matching_ap_is_the_published_one(seed: int) -> None:
    rng = np.random.default_rng(seed)

    def box() -> tuple[float, float, float, float]:
        qs, rs = rng.integers(0, 40, 2)
        return (float(qs), float(qs + rng.integers(1, 15)), float(rs),
                float(rs + rng.integers(1, 15)))

    queries, refs = ["q0", "q1", "q2"], ["a", "b"]
    truth = [(str(rng.choice(queries)), str(rng.choice(refs)), box()) for _ in range(5)]
    preds = [(str(rng.choice(queries)), str(rng.choice(refs)), box(),
              float(rng.integers(1, 6)) / 5) for _ in range(12)]  # few scores: ties
    preds += [(q, r, b, 0.9) for q, r, b in truth[:2]]
    want = published_matching_ap(truth, preds)
    qt = [QueryTruth(q, 60.0, tuple(CopySegment(r, *b) for qq, r, b in truth if qq == q))
          for q in queries]
    by_query: dict[str, list[Match]] = {q: [] for q in queries}
    for q, r, b, s in preds:
        by_query[q].append(Match(r, *b, s))
    assert vsc_micro_ap(qt, by_query) == pytest.approx(want, abs=1e-12)
