"""VSC 2022 match CSVs: predictions written and read back, ground truth of both tracks, errors."""

import io
from pathlib import Path

import pytest

from vidtrace.errors import VidtraceError
from vidtrace.formats.truth import TruthFormat
from vidtrace.formats.vsc import (
    Naming,
    VscMatchWriter,
    read_vsc_ground_truth,
    read_vsc_matches,
    write_vsc_matches,
)
from vidtrace.types import CopySegment, Match

PREDICTIONS = {
    "queries/Q100001.mp4": [Match("R200007", 3.0, 12.5, 40.25, 49.75, 0.875),
                            Match("R200011", 20.0, 24.0, 0.0, 4.0, 0.4375)],
    "Q100002.webm": [],
    "Q100003.mp4": None,  # a query that failed: no rows
}


def test_written_csv_has_the_vsc2022_header_and_file_stems(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    assert write_vsc_matches(path, PREDICTIONS) == 2
    assert path.read_text().splitlines() == [
        "query_id,ref_id,query_start,query_end,ref_start,ref_end,score",
        "Q100001,R200007,3.000,12.500,40.250,49.750,0.875000",
        "Q100001,R200011,20.000,24.000,0.000,4.000,0.437500",
    ]


@pytest.mark.parametrize("naming", list(Naming))
def test_round_trip_in_both_namings(tmp_path: Path, naming: Naming) -> None:
    path = tmp_path / "matches.csv"
    write_vsc_matches(path, PREDICTIONS, naming)
    first = path.read_text().splitlines()[0]
    assert ("reference_id" in first) == (naming is Naming.DRIVENDATA)
    back = read_vsc_matches(path)
    # queries without rows are not in the file, so they do not come back
    assert back == {"Q100001": PREDICTIONS["queries/Q100001.mp4"]}


def test_reader_takes_any_column_order_extra_columns_and_empty_references(
        tmp_path: Path) -> None:
    path = tmp_path / "drivendata.csv"
    path.write_text("score,reference_end,note,query_id,reference_id,query_start,query_end,"
                    "reference_start\n"
                    "0.5,9,x,Q1,R7,1,2,8\n"
                    "\n"
                    "1,,,Q2,,,,\n")
    assert read_vsc_matches(path) == {"Q1": [Match("R7", 1.0, 2.0, 8.0, 9.0, 0.5)], "Q2": []}


def test_writer_streams_rows_as_queries_come() -> None:
    stream = io.StringIO()
    writer = VscMatchWriter(stream)
    assert stream.getvalue() == "query_id,ref_id,query_start,query_end,ref_start,ref_end,score\n"
    assert writer.write(Path("/x/clip.v2.mp4"), [Match("r", 0, 1, 2, 3, 1)]) == 1
    assert stream.getvalue().splitlines()[1] == "clip.v2,r,0.000,1.000,2.000,3.000,1.000000"
    assert writer.rows == 1


@pytest.mark.parametrize(("row", "message"), [
    ("Q1,R1,a,2,3,4,0.5", ":2: query_start is not a number: 'a'"),
    ("Q1,R1,5,2,3,4,0.5", ":2: a segment ends before it starts"),
    ("Q1,R1,1,2,3,4,nan", ":2: score is not finite: 'nan'"),
])
def test_bad_rows_name_the_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"query_id,ref_id,query_start,query_end,ref_start,ref_end,score\n{row}\n")
    with pytest.raises(VidtraceError) as e:
        read_vsc_matches(path)
    assert str(e.value) == f"{path}{message}"


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("query_id,ref_id,query_start,query_end\nQ1,R1,0,1\n")
    with pytest.raises(VidtraceError, match=r"bad.csv:1: not a VSC 2022 CSV: no column "
                       r"ref_start, ref_end, score"):
        read_vsc_matches(path)


def test_matching_ground_truth_with_metadata(tmp_path: Path) -> None:
    gt = tmp_path / "gt.csv"
    gt.write_text("query_id,ref_id,query_start,query_end,ref_start,ref_end\n"
                  "Q1,R1,0,10,5,15\n"
                  "Q1,R2,12,20,0,8\n"
                  "Q2,R1,4,4,1,1\n")  # empty on both axes: kept as a pair, left out of segments
    loaded = read_vsc_ground_truth(gt)
    assert loaded.format is TruthFormat.VSC_MATCHING
    assert loaded.pairs == {("Q1", "R1"), ("Q1", "R2"), ("Q2", "R1")}
    assert loaded.skipped == 1
    q1, q2 = loaded.queries
    assert q1.query == "Q1" and q1.duration == 20.0  # no metadata: the last segment's end
    assert q1.segments == (CopySegment("R1", 0, 10, 5, 15), CopySegment("R2", 12, 20, 0, 8))
    assert q2.segments == () and q2.duration == 0.0
    meta = tmp_path / "train_query_metadata.csv"
    meta.write_text("video_id,duration_sec,frames_per_sec\nQ1,31.5,30\nQ2,9,30\nQ3,12.25,25\n")
    with_meta = read_vsc_ground_truth(gt, meta)
    assert [(q.query, q.duration, len(q.segments)) for q in with_meta.queries] == [
        ("Q1", 31.5, 2), ("Q2", 9.0, 0), ("Q3", 12.25, 0)]
    assert with_meta.query_ids == {"Q1", "Q2", "Q3"}


def test_pair_ground_truth_of_the_descriptor_track(tmp_path: Path) -> None:
    gt = tmp_path / "ground_truth.csv"
    gt.write_text("query_id,reference_id\nQ0085,R00394\nQ0085,R00394\nQ0085,R00381\nQ0090,\n")
    loaded = read_vsc_ground_truth(gt)
    assert loaded.format is TruthFormat.VSC_PAIRS and not loaded.has_segments
    assert loaded.queries == ()
    assert loaded.pairs == {("Q0085", "R00394"), ("Q0085", "R00381")}  # the repeat counts once
    assert loaded.query_ids == {"Q0085", "Q0090"}  # an empty reference: a query without copies
