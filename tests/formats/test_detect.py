"""Format detection: every ground-truth and prediction format from the file alone, and one clear
error naming the file and the formats accepted for anything else."""

import json
from pathlib import Path

import pytest

from tests.conftest import CLIPS
from vidtrace.errors import VidtraceError
from vidtrace.formats.detect import (
    PREDICTION_FORMATS,
    TRUTH_FORMATS,
    PredictionFormat,
    detect_truth_format,
    read_any_ground_truth,
    read_any_predictions,
)
from vidtrace.formats.truth import TruthFormat
from vidtrace.groundtruth import write_ground_truth
from vidtrace.types import CopySegment, Match, QueryTruth

FILES = {
    "vsc_matching.csv": "query_id,ref_id,query_start,query_end,ref_start,ref_end\n"
                        "Q1,R1,0,5,10,15\n",
    "drivendata.csv": "query_id,reference_id,query_start,query_end,reference_start,"
                      "reference_end\nQ1,R1,0,5,10,15\n",
    "vsc_pairs.csv": "query_id,reference_id\nQ1,R1\n",
    "vcsl.json": json.dumps({"aa-bb": [[0, 10, 5, 15]]}),
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("name", "fmt"), [
    ("vsc_matching.csv", TruthFormat.VSC_MATCHING),
    ("drivendata.csv", TruthFormat.VSC_MATCHING),
    ("vsc_pairs.csv", TruthFormat.VSC_PAIRS),
    ("vcsl.json", TruthFormat.VCSL),
])
def test_foreign_ground_truth_is_detected(tmp_path: Path, name: str, fmt: TruthFormat) -> None:
    path = write(tmp_path, name.replace(".csv", ".txt").replace(".json", ".dat"), FILES[name])
    assert detect_truth_format(path) is fmt  # from the content, whatever the suffix
    loaded = read_any_ground_truth(path)
    assert loaded.format is fmt
    assert loaded.pairs == ({("aa", "bb")} if fmt is TruthFormat.VCSL else {("Q1", "R1")})


def test_own_ground_truth_keeps_query_paths(tmp_path: Path) -> None:
    path = tmp_path / "gt.json"
    write_ground_truth(path, [QueryTruth("queries/q1.mp4", 20.0,
                                         (CopySegment("ref", 1, 5, 11, 15),)),
                              QueryTruth("queries/q2.mp4", 9.0, ())])
    loaded = read_any_ground_truth(path)
    assert loaded.format is TruthFormat.VIDTRACE
    assert [q.query for q in loaded.queries] == ["queries/q1.mp4", "queries/q2.mp4"]
    assert loaded.pairs == {("q1", "ref")} and loaded.query_ids == {"q1", "q2"}


@pytest.mark.parametrize(("text", "why"), [
    ("video_id,duration_sec\nQ1,10\n", "not a ground-truth format vidtrace reads"),
    ('{"format": "vidtrace-library", "version": 1}', "not a ground-truth format vidtrace reads"),
    ('{"a-b": "not boxes"}', "not a ground-truth format vidtrace reads"),
    ('{"queries": [', "not valid JSON"),
    ("", "empty file"),
])
def test_anything_else_names_the_file_and_the_formats(tmp_path: Path, text: str,
                                                      why: str) -> None:
    path = write(tmp_path, "truth.csv", text)
    with pytest.raises(VidtraceError) as e:
        read_any_ground_truth(path)
    message = str(e.value)
    assert message.startswith(f"{path}: {why}")
    assert message.endswith(f"give {TRUTH_FORMATS}")
    assert "VSC 2022 ground-truth CSV" in message and "VCSL label JSON" in message


def test_binary_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(VidtraceError, match=r"mdn_flower\.mp4: not a text file, so not a "
                       r"ground-truth file"):
        read_any_ground_truth(CLIPS / "mdn_flower.mp4")
    with pytest.raises(VidtraceError, match=r"nope\.csv: no such ground-truth file"):
        read_any_ground_truth(tmp_path / "nope.csv")
    with pytest.raises(VidtraceError, match="is a folder; give the ground-truth file"):
        read_any_ground_truth(tmp_path)


def test_options_for_another_format_are_refused(tmp_path: Path) -> None:
    vcsl = write(tmp_path, "labels.json", FILES["vcsl.json"])
    with pytest.raises(VidtraceError, match="query metadata goes with a VSC 2022 ground truth, "
                       "this is vcsl"):
        read_any_ground_truth(vcsl, query_metadata=tmp_path / "meta.csv")
    vsc = write(tmp_path, "gt.csv", FILES["vsc_pairs.csv"])
    with pytest.raises(VidtraceError, match="a VCSL pair file goes with a VCSL label file"):
        read_any_ground_truth(vsc, vcsl_pairs=tmp_path / "pairs.csv")


def test_predictions_of_each_format(tmp_path: Path) -> None:
    lines = write(tmp_path, "pred.jsonl", "\n".join(json.dumps(r) for r in [
        {"query": "dir/q1.mp4", "matches": [{"reference": "r", "query_start": 1,
                                             "query_end": 2, "reference_start": 3,
                                             "reference_end": 4, "score": 0.5}]},
        {"query": "dir/q2.mp4", "error": "dir/q2.mp4: no such file"}]))
    fmt, preds = read_any_predictions(lines)
    assert fmt is PredictionFormat.VIDTRACE
    assert preds == {"q1.mp4": [Match("r", 1, 2, 3, 4, 0.5)], "q2.mp4": None}
    csv_file = write(tmp_path, "pred.csv", "query_id,ref_id,query_start,query_end,ref_start,"
                                           "ref_end,score\nq1,r,1,2,3,4,0.5\n")
    assert read_any_predictions(csv_file) == (PredictionFormat.VSC,
                                              {"q1": [Match("r", 1, 2, 3, 4, 0.5)]})
    vcsl = write(tmp_path, "pred.json", json.dumps({"q1-r": [[1, 3, 2, 4]]}))
    assert read_any_predictions(vcsl) == (PredictionFormat.VCSL,
                                          {"q1": [Match("r", 1, 2, 3, 4, 1.0)]})


def test_unknown_predictions_name_the_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "pred.txt", "query,reference\nq1,r1\n")
    with pytest.raises(VidtraceError) as e:
        read_any_predictions(path)
    assert str(e.value) == (f"{path}: not a predictions format vidtrace reads; give "
                            f"{PREDICTION_FORMATS}")
