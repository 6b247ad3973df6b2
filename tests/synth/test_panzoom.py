"""Pan/zoom footage from real photos: the window geometry, smooth motion, determinism, and
joining moves with clips."""

from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.synth import PanZoom, PanZoomReader, join_footage, random_panzoom, render_panzoom

from .footage import decode_all, frame_at, mse


def _frames(motion: PanZoom, size: tuple[int, int], fps: float = 25.0) -> list[np.ndarray]:
    reader = PanZoomReader(motion, size)
    frames = []
    while (image := reader.frame_at(len(frames) / fps)) is not None:
        frames.append(image)
    return frames


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(dx, dy) in pixels of b's content relative to a's, by phase correlation."""
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b))
    (dx, dy), _ = cv2.phaseCorrelate(ga, gb)
    return dx, dy


def test_pan_moves_the_picture_by_the_same_step_every_frame(photo: Path) -> None:
    # kodim23 is 768x512. At zoom 1.5 the window is 512x288 photo pixels, shown at 320x180, so
    # the photo is first shrunk to 480x320 (window 320x180, 1:1). Panning x from 0 to 1 over
    # 2 s at 25 fps crosses the free 160 pixels in 50 steps: 3.2 pixels per frame, y still.
    motion = PanZoom(str(photo), 2.0, 1.5, 1.5, 0.0, 0.5, 1.0, 0.5)
    frames = _frames(motion, (320, 180))
    assert len(frames) == 50
    assert frames[0].shape == (180, 320, 3) and frames[0].dtype == np.uint8
    shifts = np.array([_shift(a, b) for a, b in pairwise(frames)])
    np.testing.assert_allclose(np.abs(shifts[:, 0]), 3.2, atol=0.25)
    np.testing.assert_allclose(shifts[:, 1], 0.0, atol=0.25)
    assert len(set(np.sign(shifts[:, 0]).tolist())) == 1  # always the same direction
    assert mse(frames[0], frames[-1]) > 300  # it really went somewhere


def test_window_shows_the_photo_region_it_names(photo: Path) -> None:
    # Start: zoom 1, window at the top (y 0): the photo's full width, top 432 rows.
    # End: zoom 2 at the bottom-right corner: columns 384-768, rows 296-512.
    motion = PanZoom(str(photo), 1.0, 1.0, 2.0, 0.5, 0.0, 1.0, 1.0)
    image = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    assert motion.window(0.0, 768, 512, 16 / 9) == pytest.approx((0, 0, 768, 432))
    assert motion.window(5.0, 768, 512, 16 / 9) == pytest.approx((384, 296, 384, 216))
    reader = PanZoomReader(motion, (320, 180))
    first = reader.frame_at(0.0)
    last = reader.frame_at(1.0 - 1e-6)
    assert first is not None and last is not None
    top = cv2.resize(image[:432], (320, 180), interpolation=cv2.INTER_AREA)
    corner = cv2.resize(image[296:, 384:], (320, 180), interpolation=cv2.INTER_AREA)
    assert mse(first, top) < 20 and mse(last, corner) < 20
    assert mse(first, corner) > 500
    assert reader.frame_at(1.0) is None


def test_same_move_same_frames_and_random_moves_follow_the_seed(photo: Path) -> None:
    a = random_panzoom(np.random.default_rng(7), photo, (3.0, 5.0))
    b = random_panzoom(np.random.default_rng(7), photo, (3.0, 5.0))
    c = random_panzoom(np.random.default_rng(8), photo, (3.0, 5.0))
    assert a == b and a != c
    assert 3.0 <= a.duration_s <= 5.0 and 1.0 <= min(a.zoom_start, a.zoom_end) <= 1.1
    assert 1.25 <= max(a.zoom_start, a.zoom_end) <= 1.6
    assert PanZoom.from_json(a.to_json()) == a
    first, again = _frames(a, (160, 90), 10), _frames(PanZoom.from_json(a.to_json()), (160, 90), 10)
    assert len(first) == len(again) == int(np.ceil(a.duration_s * 10))
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))


def test_join_footage_writes_clip_then_move(foreman_clip: Path, photo: Path,
                                            tmp_path: Path) -> None:
    motion = PanZoom(str(photo), 3.0, 1.2, 1.0, 0.0, 0.0, 1.0, 1.0)
    out = tmp_path / "joined.mp4"
    spans = join_footage([foreman_clip, motion], out, fps=25, size=(192, 108), crf=12)
    assert spans[0][0] == foreman_clip and spans[1][0] == motion
    assert spans[0][1] == 0.0 and spans[0][2] == pytest.approx(10.0, abs=0.05)
    assert spans[1][2] - spans[1][1] == pytest.approx(3.0)
    times, frames = decode_all(out, 108)
    assert times[-1] + 1 / 25 == pytest.approx(spans[1][2], abs=1e-3)
    reader = PanZoomReader(motion, (192, 108))
    for x in (0.0, 1.5, 2.9):
        decoded = frame_at(times, frames, spans[1][1] + x)
        expected, other = reader.frame_at(x), reader.frame_at(abs(x - 0.4))
        assert expected is not None and other is not None
        # within coding loss of the rendered frame, and clearly closer to it than to a frame
        # 0.4 s away
        assert mse(decoded, expected) < 60
        assert mse(decoded, expected) < 0.5 * mse(decoded, other)
    length = render_panzoom(motion, tmp_path / "alone.mp4", fps=10, size=(64, 36))
    assert length == pytest.approx(3.0)


def test_bad_moves_and_photos_are_config_errors(tmp_path: Path, photo: Path) -> None:
    with pytest.raises(ConfigError, match="zoom_end must be in"):
        PanZoom(str(photo), 2.0, 1.0, 0.5)
    with pytest.raises(ConfigError, match="x_start must be in"):
        PanZoom(str(photo), 2.0, x_start=1.5)
    with pytest.raises(ConfigError, match="duration_s"):
        PanZoom(str(photo), 0.0)
    with pytest.raises(ConfigError, match="not a pan/zoom record"):
        PanZoom.from_json({"photo": str(photo), "duration_s": 2.0, "spin": 1})
    not_a_photo = tmp_path / "notes.png"
    not_a_photo.write_text("hello")
    with pytest.raises(ConfigError, match="cannot be read as a photo"):
        PanZoomReader(PanZoom(str(not_a_photo), 1.0), (64, 36))
