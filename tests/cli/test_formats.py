"""The field's formats end to end on the shipped clips: `query --format vsc`, `export-descriptors`
for a library and for query videos, and `eval` on VSC 2022 files."""

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import CLIPS
from vidtrace.api import Library
from vidtrace.cli.main import app
from vidtrace.formats.descriptors import read_vsc_descriptors
from vidtrace.formats.vsc import read_vsc_matches
from vidtrace.synth import CopyPiece, FillerPiece, Scale, compose_query
from vidtrace.types import QueryTruth

runner = CliRunner()
REFERENCES = ("mdn_flower.mp4", "mdn_friday_1940.mp4", "udacity_highway_lanes.mp4")
WATER = CLIPS / "mdn_stream_of_water.webm"


@pytest.fixture(scope="module")
def clip_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of three shipped clips (flower 5.1 s, friday 6.2 s, highway 8.8 s), default
    settings."""
    folder = tmp_path_factory.mktemp("formats") / "lib"
    with Library.create(folder) as lib:
        lib.add([CLIPS / name for name in REFERENCES])
    return folder


@pytest.fixture(scope="module")
def highway_copy(tmp_path_factory: pytest.TempPathFactory) -> QueryTruth:
    """3 s of the stream of water (in no reference), then highway 2-8 s; scaled to 70 %."""
    out = tmp_path_factory.mktemp("formats-q") / "Q100001.mp4"
    pieces = [FillerPiece(WATER, 0.0, 3.0),
              CopyPiece(CLIPS / "udacity_highway_lanes.mp4", 2.0, 8.0)]
    return compose_query(pieces, out, edits=[Scale(0.7)], query=str(out))


def vsc_truth(path: Path, truth: QueryTruth) -> Path:
    rows = [f"{Path(truth.query).stem},{s.ref_id},{s.query_start},{s.query_end},{s.ref_start},"
            f"{s.ref_end}" for s in truth.segments]
    path.write_text("query_id,ref_id,query_start,query_end,ref_start,ref_end\n"
                    + "\n".join(rows) + "\n")
    return path


def test_query_prints_a_vsc_csv_that_scores_as_the_challenge_would(
        clip_library: Path, highway_copy: QueryTruth, tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", str(clip_library), highway_copy.query, str(WATER),
                                 "missing.mp4", "--format", "vsc"])
    assert result.exit_code == 1  # the missing file, reported on stderr
    assert "error: missing.mp4: no such file; check the path" in result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["query_id", "ref_id", "query_start", "query_end", "ref_start",
                       "ref_end", "score"]
    assert {r[0] for r in rows[1:]} == {"Q100001"}  # nothing for the water clip
    best = rows[1]
    assert best[1] == "udacity_highway_lanes"
    q0, q1, r0, r1, score = map(float, best[2:])
    assert abs(q0 - 3.0) < 1.0 and abs(q1 - 9.0) < 1.0  # truth: query 3-9 s
    assert abs(r0 - 2.0) < 1.0 and abs(r1 - 8.0) < 1.0  # <- reference 2-8 s
    assert 0 < score <= 1
    pred = tmp_path / "matches.csv"
    pred.write_text(result.stdout)
    assert read_vsc_matches(pred)["Q100001"][0].ref_id == "udacity_highway_lanes"
    gt = vsc_truth(tmp_path / "gt.csv", highway_copy)
    scored = runner.invoke(app, ["eval", str(gt), str(pred), "--json"])
    assert scored.exit_code == 0, scored.output
    official = json.loads(scored.stdout)["official"]["vsc_matching"]
    # boundaries within 1 s of a 6 s segment: at least (5/7)^2 of it on each axis
    assert official["segment_ap"] > 0.5 and official["pairwise_ap"] == 1.0
    table = runner.invoke(app, ["eval", str(gt), str(pred)])
    assert "VSC 2022 matching track: segment uAP" in table.stdout
    assert table.stdout.startswith("group")


def test_export_a_library_as_reference_descriptors(clip_library: Path, tmp_path: Path) -> None:
    out = tmp_path / "refs.npz"
    result = runner.invoke(app, ["export-descriptors", str(clip_library), "--out", str(out)])
    assert result.exit_code == 0, result.output
    sets = read_vsc_descriptors(out)
    with Library.open(clip_library) as lib:
        records = lib.videos()
        assert [fs.video_id for fs in sets] == [r.video_id for r in records]
        for fs, rec in zip(sets, records, strict=True):
            times, vectors = lib.store.frames(rec.key)
            np.testing.assert_array_equal(fs.times, times)
            np.testing.assert_array_equal(fs.vectors, vectors)
    rows = sum(len(fs) for fs in sets)
    assert f"wrote {rows} descriptors (512-d float32) of 3 reference videos" in result.stdout
    assert "note:" not in result.output  # 1 frame/s, 512-d: within the challenge's limits


def test_export_queries_and_score_the_descriptor_track(
        clip_library: Path, highway_copy: QueryTruth, tmp_path: Path) -> None:
    refs, queries = tmp_path / "refs.npz", tmp_path / "queries.npz"
    assert runner.invoke(app, ["export-descriptors", str(clip_library), "--out", str(refs)]
                         ).exit_code == 0
    result = runner.invoke(app, ["export-descriptors", highway_copy.query, str(WATER),
                                 "--library", str(clip_library), "--out", str(queries)])
    assert result.exit_code == 0, result.output
    q, water = read_vsc_descriptors(queries)
    assert (q.video_id, water.video_id) == ("Q100001", "mdn_stream_of_water")
    # 9 s at 1 frame/s (times of the decoded frames nearest each second), each descriptor
    # standing for the stretch up to the next one
    assert len(q) in (9, 10)
    np.testing.assert_allclose(np.diff(q.times), 1.0, atol=0.05)
    with np.load(queries) as data:
        stamps = data["timestamps"][: len(q)]
    np.testing.assert_array_equal(stamps[:, 0], q.times)
    np.testing.assert_array_equal(stamps[:-1, 1], q.times[1:])
    gt = vsc_truth(tmp_path / "gt.csv", highway_copy)
    scored = runner.invoke(app, ["eval", str(gt), str(queries), "--refs", str(refs), "--json"])
    assert scored.exit_code == 0, scored.output
    track = json.loads(scored.stdout)["official"]["vsc_descriptor"]
    # 2 query x 3 reference videos: all 6 pairs scored; the copied pair must rank first
    assert track["pairs_scored"] == 6 and track["micro_ap"] == 1.0
    assert (track["query_videos"], track["reference_videos"]) == (2, 3)


def test_export_at_two_frames_per_second_notes_the_challenge_limit(
        clip_library: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-descriptors", str(CLIPS / "mdn_flower.mp4"),
                                 "--library", str(clip_library), "--fps", "2",
                                 "--out", str(tmp_path / "q.npz")])
    assert result.exit_code == 0
    # flower decodes to 5.0 s (150 frames at 29.97/s): 10 frames at 2 frames/s against 5
    assert re.search(r"note: 10 descriptors for 5 s of video; the challenge allowed at most "
                     "one per second", result.stderr)


def test_export_errors(clip_library: Path, tmp_path: Path) -> None:
    no_lib = runner.invoke(app, ["export-descriptors", str(WATER), "--out",
                                 str(tmp_path / "x.npz")])
    assert no_lib.exit_code == 1
    assert "error: describing video files needs --library LIB" in no_lib.output
    bad = runner.invoke(app, ["export-descriptors", "missing.mp4", "--library",
                              str(clip_library), "--out", str(tmp_path / "x.npz")])
    assert bad.exit_code == 1
    assert "error: missing.mp4: no such file; check the path" in bad.output
    assert "none of the 1 video files could be described" in bad.output
    assert not (tmp_path / "x.npz").exists()


def test_eval_refuses_an_unknown_ground_truth(tmp_path: Path) -> None:
    pred = tmp_path / "p.csv"
    pred.write_text("query_id,ref_id,query_start,query_end,ref_start,ref_end,score\n")
    result = runner.invoke(app, ["eval", str(CLIPS / "LICENSES.md"), str(pred)],
                           env={"COLUMNS": "400"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error: {CLIPS / 'LICENSES.md'}: not a ground-truth format vidtrace reads; give " \
           "vidtrace ground-truth JSON" in result.output
    npz = runner.invoke(app, ["eval", str(pred), str(tmp_path / "q.npz")])
    assert npz.exit_code == 1 and "descriptors need --refs REFS.npz" in npz.output


def test_query_refuses_an_unknown_format(clip_library: Path) -> None:
    result = runner.invoke(app, ["query", str(clip_library), str(WATER), "--format", "xml"])
    assert result.exit_code == 1
    assert "error: --format must be one of json, vsc, not 'xml'" in result.output
    as_json = runner.invoke(app, ["query", str(clip_library), str(WATER), "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {"query": str(WATER), "matches": []}
