"""End to end on real footage: edited copies are found with their boundaries, others are not."""

from pathlib import Path

import pytest

from tests.conftest import shared_video
from vidtrace.api import Library
from vidtrace.synth import Border, CopyPiece, FillerPiece, Reencode, Scale, compose_query
from vidtrace.types import QueryTruth


@pytest.fixture(scope="session")
def scaled_bordered_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """4 s of an unrelated clip (airplane), then ref_a 20-40 s (across its two source clips),
    then 3 s of another unrelated clip (basketball); the whole scaled to 50 %, given a black
    border (10 % each side) and re-encoded at crf 32."""
    pieces = [
        FillerPiece(shared_video("moviepy_airplane.mp4"), 0.0, 4.0),
        CopyPiece(reference_videos["ref_a"], 20.0, 40.0),
        FillerPiece(shared_video("mmaction2_basketball.mp4"), 2.0, 5.0),
    ]
    edits = [Scale(0.5), Border(0.1, 0.1, 0.1, 0.1), Reencode(crf=32)]
    return compose_query(pieces, media_dir / "scaled_bordered_copy.mp4", edits=edits)


@pytest.fixture(scope="session")
def unrelated_query(media_dir: Path) -> Path:
    """18 s of clips that are in no reference: pool cleaning, chaplin, armwrestling."""
    pieces = [
        FillerPiece(shared_video("mmaction2_pool_cleaning.mp4"), 0.0, 6.0),
        FillerPiece(shared_video("moviepy_chaplin.mp4"), 0.0, 6.0),
        FillerPiece(shared_video("mmaction2_armwrestling.mp4"), 0.0, 6.0),
    ]
    out = media_dir / "unrelated.mp4"
    compose_query(pieces, out, edits=[Scale(0.75)])
    return out


def test_scaled_bordered_reencoded_copy_found_within_2s(
    reference_library: Path, scaled_bordered_copy: QueryTruth, media_dir: Path
) -> None:
    (truth,) = scaled_bordered_copy.segments
    assert (truth.query_start, truth.query_end) == pytest.approx((4.0, 24.0), abs=0.05)
    with Library.open(reference_library) as lib:
        matches = lib.query(media_dir / scaled_bordered_copy.query)
    assert len(matches) == 1
    m = matches[0]
    assert m.ref_id == "ref_a"
    assert abs(m.query_start - truth.query_start) <= 2.0
    assert abs(m.query_end - truth.query_end) <= 2.0
    assert abs(m.ref_start - truth.ref_start) <= 2.0
    assert abs(m.ref_end - truth.ref_end) <= 2.0
    assert m.score >= lib.settings.match_threshold


def test_footage_not_in_library_matches_nothing(reference_library: Path,
                                                unrelated_query: Path) -> None:
    with Library.open(reference_library) as lib:
        assert lib.query(unrelated_query) == []


def test_reference_itself_matches_whole(reference_library: Path,
                                        reference_videos: dict[str, Path]) -> None:
    with Library.open(reference_library) as lib:
        matches = lib.query(reference_videos["ref_c"])
    assert matches[0].ref_id == "ref_c"
    assert matches[0].query_start <= 1.0 and matches[0].query_end >= 27.5
    assert abs(matches[0].ref_start - matches[0].query_start) <= 1.0
