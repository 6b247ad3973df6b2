"""The evaluation report: overall figures, the breakdown by edit kind, the table, the files."""

import json
from pathlib import Path

import pytest

from vidtrace.errors import ConfigError
from vidtrace.evaluate.report import evaluate, evaluate_files, format_table
from vidtrace.groundtruth import write_ground_truth
from vidtrace.types import CopySegment, Match, QueryTruth


def seg(ref: str) -> CopySegment:
    return CopySegment(ref, 0, 10, 0, 10)  # a 10 s x 10 s box


def exact(s: CopySegment, score: float) -> Match:
    return Match(s.ref_id, s.query_start, s.query_end, s.ref_start, s.ref_end, score)


# q1 positive, edits scale + flip, found exactly (score .9).
# q2 negative, edit scale, one false prediction (score .8).
# q3 positive, no edits, found exactly (score .7).
# q4 positive, edited twice with blur, predicted on the wrong reference (score .6).
TRUTH = [
    QueryTruth("queries/q1.mp4", 30, (seg("a"),), ({"kind": "scale"}, {"kind": "flip"})),
    QueryTruth("queries/q2.mp4", 30, (), ({"kind": "scale"},)),
    QueryTruth("queries/q3.mp4", 30, (seg("b"),)),
    QueryTruth("queries/q4.mp4", 30, (seg("c"),), ({"kind": "blur"}, {"kind": "blur"})),
]
PREDS: dict[str, list[Match] | None] = {
    "q1.mp4": [exact(seg("a"), 0.9)],
    "q2.mp4": [exact(seg("a"), 0.8)],
    "q3.mp4": [exact(seg("b"), 0.7)],
    "q4.mp4": [exact(seg("z"), 0.6)],
}


def test_overall_figures() -> None:
    overall = evaluate(TRUTH, PREDS)["overall"]
    # TP 2 (q1, q3), FP 2 (q2, q4), FN 1 (q4): F1 = 4 / 7 at both tolerances.
    assert overall["competition"]["3"] == {"tp": 2, "fp": 2, "fn": 1, "precision": 0.5,
                                           "recall": pytest.approx(2 / 3),
                                           "f1": pytest.approx(4 / 7)}
    assert overall["competition"]["5"]["f1"] == pytest.approx(4 / 7)
    # Positives q1, q3 hit, q4 misses.
    assert overall["top1"] == pytest.approx(2 / 3)
    assert overall["top5"] == pytest.approx(2 / 3)
    assert overall["fpr"] == 1.0
    # VCSL per query: (1, 1), (0, 1), (1, 1), (0, 0): mean P 1/2, mean R 3/4 -> F1 0.6;
    # per-query F1 1, 0, 1, 0 -> 1/2.
    assert overall["vcsl"]["f1"] == pytest.approx(0.6)
    assert overall["vcsl"]["mean_query_f1"] == pytest.approx(0.5)
    # Pooled, all boxes area 100: k1 P 1 R 1/3; k2 P 1/2; k3 P 2/3 R 2/3; k4 no gain.
    # AP = 1/3 + 2/3 * 1/3 = 5/9.
    assert overall["vsc_ap"] == pytest.approx(5 / 9)


def test_counts_and_the_queries_behind_them() -> None:
    report = evaluate(TRUTH, {**PREDS, "q3.mp4": None, "stray.mp4": []})
    assert report["counts"] == {"queries": 4, "positives": 3, "negatives": 1, "gt_segments": 3,
                                "predictions": 3, "failed_queries": 1, "missing_queries": 0,
                                "unknown_queries": 1}
    assert report["problems"] == {"failed": ["q3.mp4"], "missing": [],
                                  "unknown": ["stray.mp4"]}
    without_q4 = evaluate(TRUTH, {k: v for k, v in PREDS.items() if k != "q4.mp4"})
    assert without_q4["problems"]["missing"] == ["q4.mp4"]


def test_breakdown_by_edit_kind() -> None:
    by_edit = evaluate(TRUTH, PREDS)["by_edit"]
    assert list(by_edit) == ["blur", "flip", "scale", "none"]
    counts = {kind: group["counts"] for kind, group in by_edit.items()}
    assert counts["scale"] == {"queries": 2, "positives": 1, "negatives": 1, "gt_segments": 1,
                               "predictions": 2}
    assert counts["blur"]["queries"] == 1  # two blur edits, one query
    assert counts["flip"]["queries"] == 1
    assert counts["none"]["queries"] == 1
    # scale: its negative q2 only enters the FPR, so F1 and AP see q1 alone.
    assert by_edit["scale"]["competition"]["3"]["f1"] == 1.0
    assert by_edit["scale"]["fpr"] == 1.0
    assert by_edit["scale"]["vsc_ap"] == 1.0
    assert by_edit["scale"]["vcsl"]["queries"] == 1
    assert by_edit["flip"]["fpr"] is None
    assert by_edit["blur"]["competition"]["3"]["f1"] == 0.0
    assert by_edit["blur"]["top5"] == 0.0
    assert by_edit["none"]["top1"] == 1.0


def test_report_is_json_serialisable() -> None:
    report = evaluate(TRUTH, PREDS, tolerances=(2.5,))
    assert json.loads(json.dumps(report)) == report
    assert list(report["overall"]["competition"]) == ["2.5"]


def test_bad_tolerances() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        evaluate(TRUTH, PREDS, tolerances=())
    with pytest.raises(ConfigError, match="distinct"):
        evaluate(TRUTH, PREDS, tolerances=(3, 3.0))
    with pytest.raises(ConfigError, match="tolerance"):
        evaluate(TRUTH, PREDS, tolerances=(float("nan"),))


def test_format_table() -> None:
    lines = format_table(evaluate(TRUTH, PREDS)).splitlines()
    assert lines[0].split() == ["group", "n", "F1@3s", "F1@5s", "top-1", "top-5", "FPR", "VCSL",
                                "F1", "AP"]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["overall", "4", "0.571", "0.571", "0.667", "0.667", "1.000",
                                "0.600", "0.556"]
    assert lines[4].split() == ["edit:", "flip", "1", "1.000", "1.000", "1.000", "1.000", "-",
                                "1.000", "1.000"]
    assert [line.split()[1] for line in lines[3:]] == ["blur", "flip", "scale", "none"]


def test_files_round_trip(tmp_path: Path) -> None:
    gt_path = tmp_path / "truth.json"
    write_ground_truth(gt_path, TRUTH)
    lines = [json.dumps({"query": f"/elsewhere/{name}",
                         "matches": [m.to_json() for m in matches or []]})
             for name, matches in PREDS.items() if name != "q3.mp4"]
    lines.append(json.dumps({"query": "q3.mp4", "error": "q3.mp4: corrupt file"}))
    pred_path = tmp_path / "predictions.jsonl"
    pred_path.write_text("\n".join(lines) + "\n")
    report = evaluate_files(gt_path, pred_path)
    assert report == evaluate(TRUTH, {**PREDS, "q3.mp4": None})
    assert report["counts"]["failed_queries"] == 1
    # q3 failed: TP 1, FP 2, FN 2 -> F1 = 2 / (2 + 2 + 2) = 1/3.
    assert report["overall"]["competition"]["3"]["f1"] == pytest.approx(1 / 3)
