"""End to end on real footage (issue 19): a query with an opening its reference lacks gives one
segment, the right one, never a second one squeezed onto the reference's first second."""

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.clip_media import BUNNY, FLOWER, HIGHWAY, WATER
from vidtrace.api import Library
from vidtrace.synth import CopyPiece, FillerPiece, Reencode, Scale, compose_query, render_copy
from vidtrace.types import Match
from vidtrace.video.described import QueryViews


@dataclass(frozen=True)
class OpeningMedia:
    """library: Big Buck Bunny 7-30 s (`bunny_from7`, head-trimmed inside a shot), HIGHWAY and
    FLOWER. whole_bunny: Big Buck Bunny 0-30 s scaled to 80 % and re-encoded at crf 28, so
    query 7-30 s <- bunny_from7 0-23 s and its 7 s before are the same shot's lead-in.
    water_opening: 2 s of WATER (in no reference), then HIGHWAY 0-8.8 s, scaled to 80 % and
    re-encoded at crf 28: query 2-10.8 s <- udacity_highway_lanes 0-8.8 s."""

    library: Path
    whole_bunny: Path
    water_opening: Path


@pytest.fixture(scope="module")
def opening_media(tmp_path_factory: pytest.TempPathFactory) -> OpeningMedia:
    base = tmp_path_factory.mktemp("openings")
    trimmed = base / "bunny_from7.mp4"
    render_copy(BUNNY, trimmed, start=7.0, end=30.0, crf=18)
    edits = [Scale(0.8), Reencode(crf=28)]
    whole, water = base / "whole_bunny.mp4", base / "water_opening.mp4"
    render_copy(BUNNY, whole, start=0.0, end=30.0, edits=edits)
    compose_query([FillerPiece(WATER, 0.0, 2.0), CopyPiece(HIGHWAY, 0.0, 8.8)], water,
                  edits=edits)
    with Library.create(base / "library") as lib:
        lib.add([trimmed, HIGHWAY, FLOWER])
    return OpeningMedia(base / "library", whole, water)


def _one_match(matches: list[Match], ref_id: str, query: tuple[float, float],
               ref: tuple[float, float]) -> None:
    assert len(matches) == 1, matches
    (m,) = matches
    assert m.ref_id == ref_id
    assert abs(m.query_start - query[0]) <= 1.0 and abs(m.query_end - query[1]) <= 1.0
    assert abs(m.ref_start - ref[0]) <= 1.0 and abs(m.ref_end - ref[1]) <= 1.0
    speed = (m.ref_end - m.ref_start) / (m.query_end - m.query_start)
    assert 0.9 <= speed <= 1.1


def test_head_trimmed_reference_gives_one_segment(opening_media: OpeningMedia) -> None:
    with Library.open(opening_media.library) as lib:
        _one_match(lib.query(opening_media.whole_bunny), "bunny_from7", (7.0, 30.0), (0.0, 23.0))
        views: QueryViews = lib.describe_query(opening_media.whole_bunny)
        for stage2 in ("lis", "interp"):  # hough is the default, queried above
            matches = lib.match(views, replace(lib.query_defaults, stage2=stage2))
            _one_match(matches, "bunny_from7", (7.0, 30.0), (0.0, 23.0))


def test_unrelated_opening_is_no_segment(opening_media: OpeningMedia) -> None:
    with Library.open(opening_media.library) as lib:
        views: QueryViews = lib.describe_query(opening_media.water_opening)
        for stage2 in ("lis", "interp", "hough"):
            matches = lib.match(views, replace(lib.query_defaults, stage2=stage2))
            _one_match(matches, "udacity_highway_lanes", (2.0, 10.8), (0.0, 8.8))
