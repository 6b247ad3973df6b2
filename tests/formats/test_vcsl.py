"""VCSL label, pair and group files: box order, round trip, split filter, errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import VidtraceError
from vidtrace.formats.truth import TruthFormat
from vidtrace.formats.vcsl import (
    read_vcsl_ground_truth,
    read_vcsl_groups,
    read_vcsl_labels,
    vcsl_boxes_from_matches,
    write_vcsl_boxes,
)
from vidtrace.types import CopySegment, Match

Q, R1, R2 = "ff6e0b5f258c4c23aff91201fbd11a70", "07277cb951f14784b906ada8267ab865", "6ad73b1a"
LABELS = {f"{Q}-{R1}": [[2835, 0, 4039, 1200]],
          f"{Q}-{R2}": [[141, 27, 149, 32], [48, 141, 50, 141]],  # the second: no ref length
          f"{R1}-{R2}": []}


@pytest.fixture
def label_file(tmp_path: Path) -> Path:
    path = tmp_path / "label_file_uuid_total.json"
    path.write_text(json.dumps(LABELS))
    return path


def test_boxes_are_reordered_to_vidtrace_rows(label_file: Path) -> None:
    labels = read_vcsl_labels(label_file)
    # VCSL [q_start, r_start, q_end, r_end] -> vidtrace [q_start, q_end, r_start, r_end]
    np.testing.assert_array_equal(labels[(Q, R1)], [[2835, 4039, 0, 1200]])
    np.testing.assert_array_equal(labels[(Q, R2)], [[141, 149, 27, 32], [48, 50, 141, 141]])
    assert labels[(R1, R2)].shape == (0, 4)
    np.testing.assert_array_equal(read_vcsl_labels(label_file, fps=2.0)[(Q, R1)],
                                  [[1417.5, 2019.5, 0, 600]])  # frame indices at 2 frames/s


def test_ground_truth_per_query(label_file: Path) -> None:
    loaded = read_vcsl_ground_truth(label_file)
    assert loaded.format is TruthFormat.VCSL
    assert loaded.pairs == {(Q, R1), (Q, R2)}  # a pair without boxes holds no copy
    assert loaded.query_ids == {Q, R1}
    assert loaded.skipped == 1  # [48, 141, 50, 141] is empty on the reference axis
    q = next(t for t in loaded.queries if t.query == Q)
    assert q.segments == (CopySegment(R1, 2835, 4039, 0, 1200), CopySegment(R2, 141, 149, 27, 32))
    assert q.duration == 4039
    assert loaded.pair_boxes is not None and len(loaded.pair_boxes[(Q, R2)]) == 2


def test_split_pair_file_keeps_only_its_pairs(label_file: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pair_file_test.csv"
    pairs.write_text(f"query_id,reference_id\n{Q},{R2}\n{Q},unlabelled\n")
    loaded = read_vcsl_ground_truth(label_file, pairs)
    assert loaded.pair_boxes is not None and set(loaded.pair_boxes) == {(Q, R2)}
    assert loaded.pairs == {(Q, R2)}
    other = tmp_path / "pair_file_val.csv"
    other.write_text("query_id,reference_id\na,b\n")
    with pytest.raises(VidtraceError, match=r"pair_file_val\.csv: none of its pairs is labelled"):
        read_vcsl_ground_truth(label_file, other)


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    predictions = {"videos/qa.mp4": [Match("rb", 1.5, 9.0, 30.0, 37.5, 0.8),
                                     Match("rb", 20.0, 21.0, 2.0, 3.0, 0.5)],
                   "qc.mp4": [Match("rd", 0.0, 4.0, 10.0, 14.0, 0.9)]}
    boxes = vcsl_boxes_from_matches(predictions, pairs=[("qa", "rb"), ("qx", "ry")])
    assert set(boxes) == {("qa", "rb"), ("qx", "ry"), ("qc", "rd")}
    assert boxes[("qx", "ry")].shape == (0, 4)  # a labelled pair with nothing predicted
    path = tmp_path / "pred.json"
    write_vcsl_boxes(path, boxes)
    assert json.loads(path.read_text())["qa-rb"] == [[1.5, 30.0, 9.0, 37.5],
                                                     [20.0, 2.0, 21.0, 3.0]]
    back = read_vcsl_labels(path)
    assert set(back) == set(boxes)
    for pair, rows in boxes.items():
        np.testing.assert_array_equal(back[pair], rows)


def test_ids_with_a_dash_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(VidtraceError, match="cannot be written as one VCSL key"):
        write_vcsl_boxes(tmp_path / "x.json", {("a-b", "c"): np.zeros((0, 4))})


@pytest.mark.parametrize(("doc", "message"), [
    ([1, 2], "the JSON is not an object"),
    ({"a-b-c": []}, "key 'a-b-c' is not QUERY-REFERENCE"),
    ({"a-b": [[1, 2, 3]]}, "'a-b' is not a list of \\[q_start, r_start, q_end, r_end\\] boxes"),
])
def test_bad_label_files_are_named(tmp_path: Path, doc: object, message: str) -> None:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(VidtraceError, match=f"labels.json: not a VCSL label file: {message}"):
        read_vcsl_labels(path)


def test_group_file_merges_splits(tmp_path: Path) -> None:
    path = tmp_path / "split_meta_pairs.json"
    path.write_text(json.dumps({"val": {"m1": ["q1-r1", "q2-r1"]},
                                "test": {"m1": ["q3-r4"], "m2": [["q5", "r5"]]}}))
    assert read_vcsl_groups(path) == {"val/m1": [("q1", "r1"), ("q2", "r1")],
                                      "test/m1": [("q3", "r4")], "test/m2": [("q5", "r5")]}
    one = tmp_path / "one_split.json"
    one.write_text(json.dumps({"m1": ["q1-r1"]}))
    assert read_vcsl_groups(one) == {"m1": [("q1", "r1")]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"m1": ["q1_r1"]}))
    with pytest.raises(VidtraceError, match="group 'm1' is not a list of QUERY-REF pairs"):
        read_vcsl_groups(bad)
