"""End to end on real footage: edited copies are found with their boundaries, others are not."""

import math
from pathlib import Path

import numpy as np
import pytest

from vidtrace.api import Library
from vidtrace.errors import ConfigError
from vidtrace.settings import DEFAULT_LIBRARY, FineMode, Stage1, Stage2
from vidtrace.synth import Blur, FillerPiece, Grayscale, Noise, Rotate, RotateFill, compose_query
from vidtrace.types import QueryTruth
from vidtrace.video.described import QueryViews


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
    assert m.frames >= 0.8 * 2 * (m.query_end - m.query_start)  # query frames at 2 per s
    assert m.score >= lib.query_defaults.threshold().required(m.frames)


def test_footage_not_in_library_matches_nothing(reference_library: Path,
                                                unrelated_query: Path) -> None:
    with Library.open(reference_library) as lib:
        assert lib.query(unrelated_query) == []


@pytest.mark.parametrize("chain", ["as_is", "grey_blur", "turned_noisy"])
def test_unrelated_footage_gets_no_segment_at_any_threshold(
    reference_library: Path, unrelated_query: Path, media_dir: Path, chain: str
) -> None:
    """The default threshold's margin rests on this (docs/align.md, "The threshold"): the hit
    floor and stage 2's evidence rules, not the threshold, keep footage that is in no reference
    out, even edited the ways that make unrelated pictures alike (grey and blurred; turned,
    filled and noisy). With a hit floor of 0.1 instead of 0.3 segments appear (0.06-0.13)."""
    query = unrelated_query
    if chain != "as_is":
        edits = {"grey_blur": [Grayscale(), Blur(sigma=2.5)],
                 "turned_noisy": [Rotate(angle=12.0, fill=RotateFill.MIRROR), Noise(sigma=12.0)]}
        query = media_dir / f"unrelated-{chain}.mp4"
        if not query.exists():
            compose_query([FillerPiece(unrelated_query, 0.0, 18.0)], query, edits=edits[chain])
    with Library.open(reference_library) as lib:
        assert lib.query(query, threshold=-math.inf) == []


def test_reference_itself_matches_whole(reference_library: Path,
                                        reference_videos: dict[str, Path]) -> None:
    with Library.open(reference_library) as lib:
        matches = lib.query(reference_videos["ref_c"])
    assert matches[0].ref_id == "ref_c"
    assert matches[0].query_start <= 1.0 and matches[0].query_end >= 27.5
    assert abs(matches[0].ref_start - matches[0].query_start) <= 1.0


@pytest.fixture(scope="session")
def described_copy(reference_library: Path, scaled_bordered_copy: QueryTruth,
                   media_dir: Path) -> QueryViews:
    with Library.open(reference_library) as lib:
        return lib.describe_query(media_dir / scaled_bordered_copy.query)


@pytest.mark.parametrize("stage2", list(Stage2))
@pytest.mark.parametrize("stage1", list(Stage1))
def test_every_strategy_finds_the_copy_within_3s(
    stage1: str, stage2: str, reference_library: Path, scaled_bordered_copy: QueryTruth,
    described_copy: QueryViews, media_dir: Path,
) -> None:
    (truth,) = scaled_bordered_copy.segments
    with Library.open(reference_library) as lib:
        s = lib.query_defaults.with_changes(stage1=stage1, stage2=stage2)
        matches = lib.match(described_copy, s, query_path=media_dir / scaled_bordered_copy.query)
    assert [m.ref_id for m in matches] == ["ref_a"]
    m = matches[0]
    offsets = (m.query_start - truth.query_start, m.query_end - truth.query_end,
               m.ref_start - truth.ref_start, m.ref_end - truth.ref_end)
    assert max(abs(x) for x in offsets) <= 3.0, offsets


def test_fine_rate_rows_from_library_or_decoding(
    reference_videos: dict[str, Path], scaled_bordered_copy: QueryTruth, media_dir: Path,
    tmp_path: Path,
) -> None:
    (truth,) = scaled_bordered_copy.segments
    settings = DEFAULT_LIBRARY.with_changes(fine_fps=4.0)
    with Library.create(tmp_path / "fine", settings) as lib:
        assert lib.query_defaults.fine is FineMode.LIBRARY  # rows stored: used by default
        lib.add([reference_videos["ref_a"]])
        (rec,) = lib.videos()
        coarse_times, coarse_vectors = lib.store.frames(rec.key)
        fine = lib.store.fine_frames(rec.key)
        assert fine is not None
        fine_times, fine_vectors = fine
        # 4 rows per second, and the index rate's rows are among them
        assert abs(len(fine_times) - 4 * rec.duration) <= 2
        assert set(coarse_times.tolist()) <= set(fine_times.tolist())
        assert abs(len(coarse_times) - rec.duration) <= 1
        same = np.isin(fine_times, coarse_times)
        assert np.array_equal(fine_vectors[same], coarse_vectors)
        query = lib.describe_query(media_dir / scaled_bordered_copy.query)
        found = {src: lib.match(query, lib.query_defaults.with_changes(
            fine=src, fine_decode_fps=4.0)) for src in ("library", "decode")}
    for matches in found.values():
        assert [m.ref_id for m in matches] == ["ref_a"]
        assert abs(matches[0].ref_start - truth.ref_start) <= 2.0
        assert abs(matches[0].query_start - truth.query_start) <= 2.0
    a, b = found["library"][0], found["decode"][0]
    # decoding the file again gives the rows stored at index time (up to float16 storage)
    assert abs(a.ref_start - b.ref_start) <= 0.2 and abs(a.query_end - b.query_end) <= 0.6


def test_library_without_fine_rows_refuses_them(reference_library: Path) -> None:
    with Library.open(reference_library) as lib:
        assert lib.query_defaults.fine is FineMode.OFF
        with pytest.raises(ConfigError, match=r"built without fine-rate rows.*--fine decode"):
            lib.sources(lib.query_defaults.with_changes(fine="library"), None)
        # decoding at query time needs no stored rows
        assert lib.sources(lib.query_defaults.with_changes(fine="decode"), None).fine
