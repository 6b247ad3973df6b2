"""The mirrored view (`QuerySettings.mirror_view`, `MirrorCollector` in
vidtrace/video/described.py) end to end on real footage: a left-right flipped copy is matched by
the flipped description of its frames, and unrelated footage still matches nothing."""

from pathlib import Path

import numpy as np
import pytest

from vidtrace.api import Library
from vidtrace.synth import CopyPiece, HFlip, Reencode, compose_query
from vidtrace.types import QueryTruth
from vidtrace.video import iter_frames
from vidtrace.video.borders import prepare_frame


@pytest.fixture(scope="module")
def mirrored_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_c 2-16 s (highway, then bikes) flipped left to right and re-encoded at crf 30."""
    return compose_query([CopyPiece(reference_videos["ref_c"], 2.0, 16.0)],
                         media_dir / "mirrored_copy.mp4", edits=[HFlip(), Reencode(crf=30)])


def test_mirror_view_describes_the_flipped_frames(reference_library: Path,
                                                  mirrored_copy: QueryTruth,
                                                  media_dir: Path) -> None:
    path = media_dir / mirrored_copy.query
    with Library.open(reference_library) as lib:
        s = lib.query_defaults.with_changes(mirror_view=True, pip_view=False)
        views = lib.describe_query(path, settings=s)
        assert views.mirror is not None
        assert views.mirror.rows.tolist() == list(range(len(views.full)))
        lib_s = lib.settings
        frames = [prepare_frame(f, lib_s.input_size) for _, f in
                  iter_frames(path, s.query_fps, lib_s.short_side, lib_s.max_long_side)]
        flipped = lib.descriptor.describe(np.stack([f[:, ::-1] for f in frames]))
        assert np.allclose(views.mirror.vectors, flipped, atol=1e-5)
        # the flipped view undoes the edit: it is closer to the reference than the frames
        # (only a little for SSCD, which was trained with flips and is nearly invariant)
        rec = next(v for v in lib.videos() if v.video_id == "ref_c")
        _, ref_vectors = lib.store.frames(rec.key)
        plain = (views.full.vectors @ ref_vectors.T).max(axis=1)
        mirrored = (views.mirror.vectors @ ref_vectors.T).max(axis=1)
        assert np.median(mirrored - plain) > 0.01, (plain, mirrored)
        assert np.mean(mirrored > plain) >= 0.8
        with_view = lib.match(views, s)
        without = lib.match(views.full, s)
    (t,) = mirrored_copy.segments
    best = with_view[0]
    assert best.ref_id == "ref_c" and max(
        abs(best.query_start - t.query_start), abs(best.query_end - t.query_end),
        abs(best.ref_start - t.ref_start), abs(best.ref_end - t.ref_end)) <= 3.0, with_view
    assert without == [] or best.score > without[0].score


def test_unrelated_query_matches_nothing_with_the_mirror(reference_library: Path,
                                                         unrelated_query: Path) -> None:
    with Library.open(reference_library) as lib:
        s = lib.query_defaults.with_changes(mirror_view=True)
        assert lib.query(unrelated_query, settings=s) == []
