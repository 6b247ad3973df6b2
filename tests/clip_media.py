"""Small media for the report and service tests, made once per test session from the shipped
clips (`clips/`) with the transformation engine, and shared by tests/report and tests/service.

`clip_media(base)` builds into `base` the first time and returns the same files after that, so
two conftests can share one build without a fixture in tests/conftest.py.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from vidtrace.synth import Border, CopyPiece, FillerPiece, Reencode, Scale, compose_query
from vidtrace.types import QueryTruth

CLIPS = Path(__file__).resolve().parent.parent / "clips"
BUNNY = CLIPS / "big_buck_bunny_0-30s.webm"
HIGHWAY = CLIPS / "udacity_highway_lanes.mp4"
FLOWER = CLIPS / "mdn_flower.mp4"
FRIDAY = CLIPS / "mdn_friday_1940.mp4"  # in no library: the reference the tests add
WATER = CLIPS / "mdn_stream_of_water.webm"
REFERENCES = (BUNNY, HIGHWAY, FLOWER)


@dataclass(frozen=True)
class ClipMedia:
    """library: BUNNY, HIGHWAY and FLOWER, default settings. two_segment: 3 s of WATER, then
    BUNNY 8-20 s, then HIGHWAY 1-8 s, scaled to 60 %, black border of 10 %, re-encoded at crf
    30 (22 s; `two_segment_truth`). unrelated: WATER alone, scaled to 75 % and re-encoded at
    crf 30 (3 s, in no reference)."""

    library: Path
    two_segment: Path
    two_segment_truth: QueryTruth
    unrelated: Path


def _truth_json(t: QueryTruth) -> str:
    return json.dumps({"duration": t.duration, "segments": [
        [s.ref_id, s.query_start, s.query_end, s.ref_start, s.ref_end] for s in t.segments]})


def _truth_of(path: Path, text: str) -> QueryTruth:
    from vidtrace.types import CopySegment

    data = json.loads(text)
    return QueryTruth(path.name, data["duration"],
                      tuple(CopySegment(*row) for row in data["segments"]))


def clip_media(base: Path) -> ClipMedia:
    """The media in folder `base`, built there unless a previous call finished it."""
    from vidtrace.api import Library

    library, two, unrelated = base / "library", base / "two_segment.mp4", base / "unrelated.mp4"
    done = base / "done.json"
    if done.exists():
        return ClipMedia(library, two, _truth_of(two, done.read_text()), unrelated)
    base.mkdir(parents=True, exist_ok=True)
    with Library.create(library) as lib:
        lib.add(list(REFERENCES))
    truth = compose_query([FillerPiece(WATER, 0.0, 3.0), CopyPiece(BUNNY, 8.0, 20.0),
                           CopyPiece(HIGHWAY, 1.0, 8.0)], two,
                          edits=[Scale(0.6), Border(0.1, 0.1, 0.1, 0.1), Reencode(crf=30)])
    compose_query([FillerPiece(WATER, 0.0, 3.0)], unrelated, edits=[Scale(0.75),
                                                                    Reencode(crf=30)])
    done.write_text(_truth_json(truth))
    return ClipMedia(library, two, truth, unrelated)
