"""Describing whole videos (descriptors/describe.py) on the shipped clips, with the cheap PDQ
backend: what references store, what a query is, what a trainable backend learns from."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames
from vidtrace.descriptors import create_descriptor
from vidtrace.descriptors.describe import (
    describe_query,
    describe_reference,
    describe_video,
    training_frames,
)
from vidtrace.errors import VideoError
from vidtrace.settings import LibrarySettings, QuerySettings
from vidtrace.video.borders import prepare_frame

FLOWER = CLIPS / "mdn_flower.mp4"  # 5.1 s, 29.97 frames/s
LIB = LibrarySettings(descriptor="pdq")
NO_VIEWS = QuerySettings(pip_view=False, canvas_view=False, mirror_view=False, turn_view=False)


@pytest.fixture(scope="module")
def pdq():  # type: ignore[no-untyped-def]
    return create_descriptor("pdq")


def test_a_video_is_every_sampled_frame_prepared_and_described(pdq) -> None:  # type: ignore[no-untyped-def]
    fs = describe_video(FLOWER, pdq, 2.0, "fixed", LIB, batch_size=3, video_id="f")
    times, frames = decode_frames(FLOWER, 2.0, LIB.short_side, LIB.max_long_side)
    assert fs.video_id == "f" and np.array_equal(fs.times, times)
    prepared = np.stack([prepare_frame(f, LIB.input_size, LIB.crop_borders) for f in frames])
    assert np.array_equal(fs.vectors, pdq.describe(prepared))  # batches change nothing
    assert fs.duration >= times[-1] and abs(fs.duration - 5.1) < 0.6


def test_a_query_without_views_is_its_whole_frames(pdq) -> None:  # type: ignore[no-untyped-def]
    seen: list[float] = []
    views = describe_query(FLOWER, pdq, LIB, NO_VIEWS, 4, progress=seen.append)
    plain = describe_video(FLOWER, pdq, NO_VIEWS.query_fps, "fixed", LIB, 4)
    assert np.array_equal(views.full.times, plain.times)
    assert np.array_equal(views.full.vectors, plain.vectors)
    assert len(views.inset) == 0 and views.mirror is None and views.extra == []
    assert seen == sorted(seen) and seen[-1] == plain.times[-1]  # progress in seconds


def test_the_mirror_view_describes_every_frame_flipped(pdq) -> None:  # type: ignore[no-untyped-def]
    views = describe_query(FLOWER, pdq, LIB, NO_VIEWS.with_changes(mirror_view=True), 4)
    assert views.mirror is not None and views.mirror.rows.tolist() == list(range(len(views.full)))
    assert not np.array_equal(views.mirror.vectors, views.full.vectors)


def test_a_reference_with_fine_rows_keeps_the_index_rate_among_them(pdq) -> None:  # type: ignore[no-untyped-def]
    fine_lib = LIB.with_changes(index_fps=1.0, fine_fps=4.0)
    coarse, fine = describe_reference(FLOWER, pdq, fine_lib, 8, "flower")
    assert fine is not None and abs(len(fine) - 4 * 5.1) <= 2
    assert set(coarse.times.tolist()) <= set(fine.times.tolist())
    assert np.array_equal(coarse.times, describe_reference(FLOWER, pdq, LIB, 8, "x")[0].times)
    same, none = describe_reference(FLOWER, pdq, LIB, 8, "flower")
    assert none is None and np.array_equal(same.vectors, coarse.vectors)


def test_training_frames_are_spread_over_the_files_and_skip_bad_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    frames = training_frames([bad, FLOWER, CLIPS / "mdn_friday_1940.mp4"], LIB)
    # 0.5 frames/s: 3 of the flower's 5.1 s and 4 of friday's 6.2 s
    assert frames.shape == (7, LIB.input_size, LIB.input_size, 3) and frames.dtype == np.uint8
    assert training_frames([bad], LIB).shape == (0, LIB.input_size, LIB.input_size, 3)


def test_an_unreadable_query_is_a_video_error(pdq, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VideoError, match="no such file"):
        describe_query(tmp_path / "missing.mp4", pdq, LIB, NO_VIEWS, 4)
