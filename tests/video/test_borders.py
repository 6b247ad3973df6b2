"""Border cropping on real frames: padding of any flat colour and portrait canvases are cut so
the crop matches the crop of the original frame."""

import numpy as np
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames
from vidtrace.synth import Border, Canvas
from vidtrace.video.borders import content_box, prepare_frame


@pytest.fixture(scope="module")
def highway_frames() -> np.ndarray:
    """Frames at 0, 4 and 8 s of the shipped udacity_highway_lanes.mp4, 512x288 (a flat sky
    at the top of some)."""
    _, frames = decode_frames(CLIPS / "udacity_highway_lanes.mp4", 1.0, 288, 512)
    return frames[[0, 4, 8]]


@pytest.mark.parametrize("color", [(0, 0, 0), (30, 120, 200)])
def test_padding_of_any_flat_colour_is_cut_back_to_the_original_crop(
        highway_frames: np.ndarray, color: tuple[int, int, int]) -> None:
    for frame in highway_frames:
        h, w = frame.shape[:2]
        padded = Border(left=0.1, top=0.2, right=0.05, bottom=0.15, color=color).apply(frame, 0)
        t0, b0, l0, r0 = content_box(frame)
        t, b, lft, r = content_box(padded)
        dy, dx = round(0.2 * h), round(0.1 * w)
        assert abs(t - (t0 + dy)) <= 2 and abs(b - (b0 + dy)) <= 2
        assert abs(lft - (l0 + dx)) <= 2 and abs(r - (r0 + dx)) <= 2


def test_portrait_canvas_is_cut_to_the_picture(highway_frames: np.ndarray) -> None:
    for frame in highway_frames:
        t0, b0, l0, r0 = content_box(frame)
        portrait = Canvas(aspect_w=9, aspect_h=16).apply(frame, 0.0)
        t, b, lft, r = content_box(portrait)
        assert abs((r - lft) / (b - t) - (r0 - l0) / (b0 - t0)) < 0.1


def test_prepared_bordered_frame_equals_prepared_original(highway_frames: np.ndarray) -> None:
    frame = highway_frames[1]
    padded = Border(left=0.15, top=0.15, right=0.15, bottom=0.15).apply(frame, 0.0)
    a = prepare_frame(frame, 224).astype(int)
    b = prepare_frame(padded, 224).astype(int)
    assert a.shape == b.shape == (224, 224, 3)
    assert np.abs(a - b).mean() < 4  # resampling differences only
    uncropped = prepare_frame(padded, 224, crop=False).astype(int)
    assert np.abs(a - uncropped).mean() > 20


def test_flat_frame_is_left_whole() -> None:
    grey = np.full((100, 200, 3), 90, dtype=np.uint8)
    assert content_box(grey) == (0, 100, 0, 200)


def test_fast_grey_is_exactly_the_channel_mean(highway_frames: np.ndarray) -> None:
    from vidtrace.video.borders import _grey

    padded = Border(left=0.1, top=0.2, color=(30, 120, 200)).apply(highway_frames[0], 0)
    for frame in [*highway_frames, padded]:
        assert np.array_equal(_grey(frame), frame.astype(np.float32).mean(axis=2))
    one = highway_frames[0][..., :1]
    assert np.array_equal(_grey(one), one.astype(np.float32).mean(axis=2))
